/* clock.h - the desk's clock: reminders before a ticket's answer-by
 * time and an escalation once it has passed, for tickets still waiting
 * for their first answer.  Run by `deskmail tick` and by the service's
 * sender every tick_interval. */
#ifndef DM_CLOCK_H
#define DM_CLOCK_H

#include <glib.h>

#include "db.h"
#include "desk.h"

/* Send every alert that is due, each in its own transaction (its alert
 * row, its mails in the outbox, an event on the ticket), claimed so that
 * clocks on several hosts send each once.  The outbox rows queued are
 * appended to OUTBOX_IDS (gint64) for handing over after COMMIT; *ALERTS
 * is the number of alerts recorded.  On failure the transaction in
 * progress is rolled back; what was committed before stays. */
enum dm_status dm_clock_tick(const struct dm_desk *desk, struct dm_db *db, GArray *outbox_ids, int *alerts);

#endif
