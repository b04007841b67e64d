/* outbox.c - queued mail, handed to the site's sendmail.
 *
 * The outbox row is written in the delivery's transaction, so a customer's
 * mail and our answer to it are committed together.  Sending happens after
 * COMMIT: a failing sendmail never loses the customer's mail; the row
 * waits for `deskmail outbox flush`. */
#include "dm-autoconf.h"

#include <string.h>

#include <gio/gio.h>

#include "compose.h"
#include "log.h"
#include "outbox.h"
#include "store-outbox.h"

enum dm_status
dm_outbox_queue(struct dm_db *db, gint64 ticket, gint64 message_row, const char *kind,
		const char *envelope_from, GPtrArray *recipients, GBytes *data, gint64 *id)
{
	for (guint i = 0; i < recipients->len; i++)
		if (!dm_compose_address_ok(recipients->pdata[i]))
			return DM_REJECT;
	return dm_store_outbox_insert(db, ticket, message_row, kind, envelope_from, recipients, data, id);
}

gboolean
dm_outbox_submit(const char *sendmail, const char *envelope_from, const char *const *recipients,
		 GBytes *data, char **error_text)
{
	GPtrArray *argv = g_ptr_array_new();
	g_ptr_array_add(argv, (gpointer) sendmail);
	g_ptr_array_add(argv, "-i");
	g_ptr_array_add(argv, "-f");
	g_ptr_array_add(argv, (gpointer) (envelope_from && *envelope_from ? envelope_from : "<>"));
	/* After "--" nothing is an option, whatever it starts with. */
	g_ptr_array_add(argv, "--");
	for (const char *const *r = recipients; *r; r++) {
		if (!dm_compose_address_ok(*r)) {
			*error_text = g_strdup_printf("refusing recipient '%s'", *r);
			g_ptr_array_free(argv, TRUE);
			return FALSE;
		}
		g_ptr_array_add(argv, (gpointer) *r);
	}
	g_ptr_array_add(argv, NULL);

	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) proc = g_subprocess_newv((const char *const *) argv->pdata,
							G_SUBPROCESS_FLAGS_STDIN_PIPE |
								G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
								G_SUBPROCESS_FLAGS_STDERR_PIPE,
							&error);
	g_ptr_array_free(argv, TRUE);
	if (proc == NULL) {
		*error_text = g_strdup_printf("cannot run %s: %s", sendmail, error->message);
		return FALSE;
	}
	g_autoptr(GBytes) err_out = NULL;
	if (!g_subprocess_communicate(proc, data, NULL, NULL, &err_out, &error)) {
		*error_text = g_strdup_printf("%s: %s", sendmail, error->message);
		return FALSE;
	}
	if (!g_subprocess_get_successful(proc)) {
		gsize n = 0;
		const char *e = err_out ? g_bytes_get_data(err_out, &n) : NULL;
		g_autofree char *first = g_strndup(e ? e : "", MIN(n, 300));
		char *nl = strchr(first, '\n');
		if (nl)
			*nl = '\0';
		g_autofree char *clean = dm_log_sanitize(first, 300);
		if (g_subprocess_get_if_exited(proc))
			*error_text = g_strdup_printf("%s exited %d%s%s", sendmail,
						      g_subprocess_get_exit_status(proc), *clean ? ": " : "", clean);
		else
			*error_text = g_strdup_printf("%s killed by signal %d", sendmail,
						      g_subprocess_get_term_sig(proc));
		return FALSE;
	}
	return TRUE;
}

/* One row: claim, submit, record.  *DONE is set when nothing was due. */
static enum dm_status
flush_one(struct dm_db *db, const struct dm_config *cfg, gint64 only_id, int *sent, int *failed,
	  gboolean *done)
{
	g_autoptr(DmOutboxRow) row = NULL;
	g_autofree char *error_text = NULL;
	enum dm_status st;

	*done = FALSE;
	if ((st = dm_db_begin(db)) != DM_OK)
		return st;
	if ((st = dm_store_outbox_claim(db, only_id, &row)) != DM_OK)
		goto fail;
	if (row == NULL) {
		*done = TRUE;
		dm_db_rollback(db);
		return DM_OK;
	}
	if (dm_outbox_submit(cfg->sendmail, row->envelope_from, (const char *const *) row->recipients->pdata,
			     row->data, &error_text)) {
		if ((st = dm_store_outbox_sent(db, row->id)) != DM_OK)
			goto fail;
		(*sent)++;
	} else {
		dm_log_warn("outbox id=%" G_GINT64_FORMAT " not sent: %s", row->id, error_text);
		if ((st = dm_store_outbox_retry(db, row->id, error_text, cfg->max_attempts, cfg->retry_delay)) != DM_OK)
			goto fail;
		(*failed)++;
	}
	if ((st = dm_db_commit(db)) != DM_OK)
		goto fail;
	return DM_OK;
fail:
	dm_db_rollback(db);
	return st;
}

enum dm_status
dm_outbox_flush(struct dm_db *db, const struct dm_config *cfg, gint64 only_id, int *sent, int *failed)
{
	*sent = 0;
	*failed = 0;
	/* A row that fails is rescheduled, so it is not claimed again in
	 * this run; the loop ends when nothing is due. */
	for (int guard = 0; guard < 100000; guard++) {
		gboolean done;
		enum dm_status st = flush_one(db, cfg, only_id, sent, failed, &done);
		if (st != DM_OK)
			return st;
		if (done || only_id > 0)
			break;
	}
	return DM_OK;
}

enum dm_status
dm_outbox_list(struct dm_db *db, gboolean all, int limit, FILE *out)
{
	g_autoptr(GPtrArray) rows = NULL;
	enum dm_status st = dm_store_outbox_list(db, all, limit, &rows);
	if (st != DM_OK)
		return st;
	fprintf(out, "%-6s %-7s %-13s %-3s %-7s %-16s %-16s %s\n", "ID", "STATUS", "KIND", "TRY", "TICKET",
		"CREATED", "NEXT ATTEMPT", "RECIPIENTS / LAST ERROR");
	for (guint r = 0; r < rows->len; r++) {
		const struct dm_outbox_entry *e = rows->pdata[r];
		fprintf(out, "%-6s %-7s %-13s %-3s %-7s %-16s %-16s %s%s%s\n", e->id, e->status, e->kind,
			e->attempts, e->ticket, e->created, e->next_attempt, e->recipients,
			*e->last_error ? " / " : "", e->last_error);
	}
	return DM_OK;
}
