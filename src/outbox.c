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

static const char SQL_QUEUE[] =
	"INSERT INTO outbox (ticket_id, message_id, kind, envelope_from, recipients, body) "
	"VALUES ($1, $2, $3, $4, $5::text[], $6) RETURNING id";
/* Only rows that are due and not being sent by someone else. */
static const char SQL_CLAIM[] =
	"SELECT id, envelope_from, recipients, body, attempts FROM outbox "
	"WHERE status = 'queued' AND next_attempt_at <= now() AND ($1::bigint = 0 OR id = $1::bigint) "
	"ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";
static const char SQL_SENT[] =
	"UPDATE outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL "
	"WHERE id = $1";
static const char SQL_RETRY[] =
	"UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
	" status = CASE WHEN attempts + 1 >= $3::int THEN 'failed' ELSE 'queued' END,"
	" next_attempt_at = now() + make_interval(secs => $4::double precision * power(2, attempts)) "
	"WHERE id = $1";
static const char SQL_LIST[] =
	"SELECT id, status, kind, attempts, array_to_string(recipients, ','),"
	" to_char(created_at, 'YYYY-MM-DD HH24:MI'), coalesce(to_char(next_attempt_at, 'YYYY-MM-DD HH24:MI'), ''),"
	" coalesce(last_error, ''), coalesce(ticket_id::text, '') "
	"FROM outbox WHERE $1::boolean OR status <> 'sent' ORDER BY id DESC LIMIT $2";

enum dm_status
dm_outbox_queue(struct dm_db *db, gint64 ticket, gint64 message_row, const char *kind,
		const char *envelope_from, GPtrArray *recipients, GBytes *data, gint64 *id)
{
	for (guint i = 0; i < recipients->len; i++)
		if (!dm_compose_address_ok(recipients->pdata[i]))
			return DM_REJECT;
	char t[24], m[24];
	g_snprintf(t, sizeof t, "%" G_GINT64_FORMAT, ticket);
	g_snprintf(m, sizeof m, "%" G_GINT64_FORMAT, message_row);
	g_autofree char *rcpts = dm_db_array_literal(recipients);
	gsize len;
	const char *body = g_bytes_get_data(data, &len);
	const char *p[] = { t, message_row ? m : NULL, kind, envelope_from ? envelope_from : "", rcpts, body };
	int lens[] = { 0, 0, 0, 0, 0, (int) len };
	int fmts[] = { 0, 0, 0, 0, 0, 1 };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query_bin(db, SQL_QUEUE, 6, p, lens, fmts, &res);
	if (st == DM_OK)
		*id = g_ascii_strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	return st;
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

/* Parse a text[] value as returned in text format: {a,"b c"}. */
static GPtrArray *
parse_array(const char *lit)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	const char *p = lit;
	if (*p == '{')
		p++;
	while (*p && *p != '}') {
		GString *item = g_string_new(NULL);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				g_string_append_c(item, *p);
			}
			if (*p == '"')
				p++;
		} else {
			for (; *p && *p != ',' && *p != '}'; p++)
				g_string_append_c(item, *p);
		}
		g_ptr_array_add(out, g_string_free(item, FALSE));
		if (*p == ',')
			p++;
	}
	g_ptr_array_add(out, NULL);
	return out;
}

/* One row: claim, submit, record.  *DONE is set when nothing was due. */
static enum dm_status
flush_one(struct dm_db *db, const struct dm_config *cfg, gint64 only_id, int *sent, int *failed,
	  gboolean *done)
{
	char idbuf[24];
	g_snprintf(idbuf, sizeof idbuf, "%" G_GINT64_FORMAT, only_id);
	const char *p[] = { idbuf };
	g_autoptr(PGresult) res = NULL;
	g_autoptr(GPtrArray) rcpts = NULL;
	g_autoptr(GBytes) data = NULL;
	g_autofree char *error_text = NULL;
	enum dm_status st;

	*done = FALSE;
	if ((st = dm_db_begin(db)) != DM_OK)
		return st;
	if ((st = dm_db_query(db, SQL_CLAIM, 1, p, &res)) != DM_OK)
		goto fail;
	if (PQntuples(res) == 0) {
		*done = TRUE;
		dm_db_rollback(db);
		return DM_OK;
	}
	const char *row_id = PQgetvalue(res, 0, 0);
	const char *sender = PQgetvalue(res, 0, 1);
	rcpts = parse_array(PQgetvalue(res, 0, 2));
	/* The body comes back as bytea text and is unescaped. */
	size_t body_len = 0;
	unsigned char *body = PQunescapeBytea((const unsigned char *) PQgetvalue(res, 0, 3), &body_len);
	data = g_bytes_new_with_free_func(body, body_len, (GDestroyNotify) PQfreemem, body);

	if (dm_outbox_submit(cfg->sendmail, sender, (const char *const *) rcpts->pdata, data, &error_text)) {
		const char *q[] = { row_id };
		if ((st = dm_db_write(db, SQL_SENT, 1, q)) != DM_OK)
			goto fail;
		(*sent)++;
	} else {
		char max[16], delay[16];
		g_snprintf(max, sizeof max, "%d", cfg->max_attempts);
		g_snprintf(delay, sizeof delay, "%d", cfg->retry_delay);
		const char *q[] = { row_id, error_text, max, delay };
		dm_log_warn("outbox id=%s not sent: %s", row_id, error_text);
		if ((st = dm_db_write(db, SQL_RETRY, 4, q)) != DM_OK)
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
	char lim[16];
	g_snprintf(lim, sizeof lim, "%d", limit);
	const char *p[] = { all ? "true" : "false", lim };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_LIST, 2, p, &res);
	if (st != DM_OK)
		return st;
	fprintf(out, "%-6s %-7s %-13s %-3s %-7s %-16s %-16s %s\n", "ID", "STATUS", "KIND", "TRY", "TICKET",
		"CREATED", "NEXT ATTEMPT", "RECIPIENTS / LAST ERROR");
	for (int r = 0; r < PQntuples(res); r++) {
		fprintf(out, "%-6s %-7s %-13s %-3s %-7s %-16s %-16s %s%s%s\n", PQgetvalue(res, r, 0),
			PQgetvalue(res, r, 1), PQgetvalue(res, r, 2), PQgetvalue(res, r, 3),
			PQgetvalue(res, r, 8), PQgetvalue(res, r, 5), PQgetvalue(res, r, 6),
			PQgetvalue(res, r, 4), *PQgetvalue(res, r, 7) ? " / " : "", PQgetvalue(res, r, 7));
	}
	return DM_OK;
}
