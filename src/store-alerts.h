/* store-alerts.h - the SQL of the desk's clock: which waiting tickets
 * are due a reminder or an overdue mail, claimed once per due time. */
#ifndef DM_STORE_ALERTS_H
#define DM_STORE_ALERTS_H

#include <glib.h>

#include "db.h"

enum dm_alert_kind {
	DM_ALERT_REMINDER, /* due_at - remind_before <= now < due_at */
	DM_ALERT_OVERDUE,  /* due_at <= now */
};

/* The name of KIND ("reminder", "overdue"): the alert, event and
 * template name.  Static. */
const char *dm_alert_kind_name(enum dm_alert_kind kind);

/* Inside the caller's transaction: lock one ticket still waiting for its
 * first answer (not pending, resolved or closed) that is due an alert of
 * KIND not yet recorded for its due time (FOR UPDATE SKIP LOCKED: tickets
 * another clock holds are passed over), and record the alert.
 * REMIND_BEFORE (seconds) is the reminder's window; NOW (microseconds
 * since the epoch, g_get_real_time()) is the clock's time, the same
 * clock the due times were set by.  *TICKET is the
 * ticket, or 0 when none is due; *CLAIMED is FALSE when another clock
 * recorded the same alert first (roll back and ask again). */
enum dm_status dm_store_alert_claim(struct dm_db *db, enum dm_alert_kind kind, int remind_before,
				    gint64 now, gint64 *ticket, gboolean *claimed);

#endif
