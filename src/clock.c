/* clock.c - the desk's clock: one pass over the tickets whose promise
 * is near (a reminder to their agents) or broken (an overdue mail to the
 * escalation address, else the agents).
 *
 * Every alert is its own transaction, so one ticket's bad template or a
 * lost connection leaves those already sent recorded, and the alert row
 * commits with its mail: a crash in between sends neither, and the next
 * tick tries again. */
#include "dm-autoconf.h"

#include "clock.h"
#include "log.h"
#include "notify.h"
#include "store-alerts.h"
#include "store.h"

/* Who hears of KIND on ticket T: the escalation address for an overdue
 * ticket when one is set, else the assignee or the team. */
static enum dm_status
alert_recipients(const struct dm_config *cfg, struct dm_db *db, enum dm_alert_kind kind, gint64 ticket,
		 GPtrArray **out)
{
	if (kind == DM_ALERT_OVERDUE && cfg->escalation_address && *cfg->escalation_address) {
		*out = g_ptr_array_new_with_free_func((GDestroyNotify) dm_recipient_free);
		struct dm_recipient *r = g_new0(struct dm_recipient, 1);
		r->address = g_strdup(cfg->escalation_address);
		r->name = g_strdup("");
		g_ptr_array_add(*out, r);
		return DM_OK;
	}
	return dm_store_notify_recipients(db, ticket, 0, out);
}

/* Claim and send one alert of KIND.  *DONE is TRUE when none is due. */
static enum dm_status
one_alert(const struct dm_desk *desk, struct dm_db *db, enum dm_alert_kind kind, GArray *outbox_ids,
	  gboolean *done, int *alerts)
{
	const struct dm_config *cfg = desk->cfg;
	const char *name = dm_alert_kind_name(kind);
	struct dm_ticket_facts f = { 0 };
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GArray) queued = g_array_new(FALSE, FALSE, sizeof(gint64));
	struct dm_notify_ctx n = {
		.cfg = cfg, .templates = desk->templates, .hours = desk->hours, .outbox_ids = queued,
	};
	gint64 ticket = 0;
	gboolean claimed = FALSE;
	enum dm_status st;

	*done = FALSE;
	if ((st = dm_db_begin(db)) != DM_OK)
		return st;
	if ((st = dm_store_alert_claim(db, kind, cfg->remind_before, g_get_real_time(), &ticket, &claimed)) != DM_OK)
		goto fail;
	if (ticket == 0 || !claimed) {
		/* Nothing due, or another clock was first: its alert is
		 * visible to the next look-up, which passes the ticket over. */
		*done = ticket == 0;
		dm_db_rollback(db);
		return DM_OK;
	}
	if ((st = dm_store_ticket_facts(db, ticket, &f)) != DM_OK ||
	    (st = alert_recipients(cfg, db, kind, ticket, &list)) != DM_OK ||
	    (st = dm_notify_alert(&n, db, &f, name, list)) != DM_OK)
		goto fail;
	GString *to = g_string_new(NULL);
	for (guint i = 0; i < list->len; i++)
		g_string_append_printf(to, "%s%s", i ? ", " : "", ((struct dm_recipient *) list->pdata[i])->address);
	st = dm_store_event(db, ticket, 0, "deskmail", name, NULL, NULL, to->len ? to->str : "nobody to tell");
	g_string_free(to, TRUE);
	if (st != DM_OK || (st = dm_db_commit(db)) != DM_OK)
		goto fail;
	g_array_append_vals(outbox_ids, queued->data, queued->len);
	(*alerts)++;
	dm_log_info("action=%s ticket=%" G_GINT64_FORMAT " recipients=%u", name, ticket, list->len);
	dm_ticket_facts_clear(&f);
	return DM_OK;
fail:
	dm_log_warn("clock: %s on ticket %" G_GINT64_FORMAT ": %s", name, ticket, dm_db_error(db));
	dm_db_rollback(db);
	dm_ticket_facts_clear(&f);
	return st;
}

enum dm_status
dm_clock_tick(const struct dm_desk *desk, struct dm_db *db, GArray *outbox_ids, int *alerts)
{
	static const enum dm_alert_kind kinds[] = { DM_ALERT_OVERDUE, DM_ALERT_REMINDER };
	*alerts = 0;
	for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
		/* A clock that lost the race for a ticket asks again; the
		 * bound keeps a pass finite whatever the others do. */
		for (int round = 0; round < 100000; round++) {
			gboolean done = FALSE;
			enum dm_status st = one_alert(desk, db, kinds[k], outbox_ids, &done, alerts);
			if (st != DM_OK)
				return st;
			if (done)
				break;
		}
	}
	return DM_OK;
}
