/* promise.h - the answer-by promise: when a new ticket is due, by its
 * priority, from the desk's calendar and the policy in [hours]. */
#ifndef DM_PROMISE_H
#define DM_PROMISE_H

#include <glib.h>

#include "hours.h"

/* A ticket's priority, as the tickets table and #priority name it. */
enum dm_priority {
	DM_PRIORITY_LOW,
	DM_PRIORITY_NORMAL,
	DM_PRIORITY_HIGH,
	DM_PRIORITY_URGENT,
	DM_PRIORITY_COUNT
};

/* "low", "normal", "high" or "urgent" (any case); NAME may be NULL, and
 * anything else is DM_PRIORITY_NORMAL, so that a missing classification
 * gets the ordinary promise. */
enum dm_priority dm_priority_from_name(const char *name);

/* How one promise is counted. */
enum dm_promise_kind {
	DM_PROMISE_ELAPSED,  /* real time, e.g. "24 hours"; moved out of closed time */
	DM_PROMISE_OPENING,  /* opening time only, e.g. "4 opening hours" */
	DM_PROMISE_DAY_END,  /* "next-working-day-end": closing of the next full day */
};

struct dm_promise_rule {
	enum dm_promise_kind kind;
	gint64 seconds; /* for ELAPSED and OPENING; 0 for DAY_END */
};

/* The policy: a rule per priority, and the rule that replaces an ELAPSED
 * one for mail that arrives while the desk is closed. */
struct dm_promise_policy {
	struct dm_promise_rule by_priority[DM_PRIORITY_COUNT];
	struct dm_promise_rule outside;
};

/* The desks' promise: low and normal 24 hours, but mail arriving outside
 * opening hours by the end of the next working day; high 8 opening hours;
 * urgent 4 opening hours.  Fills *POLICY. */
void dm_promise_policy_default(struct dm_promise_policy *policy);

/* Parse one rule as [hours] answer_* writes it (case and white space do
 * not matter):
 *   "24h", "24 hours", "90 minutes", "2 days"  real time (ELAPSED)
 *   "4 opening hours", "30 opening minutes"    opening time (OPENING)
 *   "next-working-day-end"                     (DAY_END)
 * Units: m, min, minute(s), h, hour(s), d, day(s) (days not with
 * "opening").  From 1 minute to 366 days.  On failure returns FALSE and
 * sets ERROR to one line saying what is wrong with TEXT (borrowed). */
gboolean dm_promise_rule_parse(const char *text, struct dm_promise_rule *out, GError **error);

/* When mail arriving at ARRIVAL (Unix seconds) with PRIORITY is due
 * under POLICY on calendar HOURS (both borrowed).  Pure; the rules:
 *  - ELAPSED: mail arriving while the desk is closed takes
 *    POLICY->outside instead.  The due time is ARRIVAL plus the real
 *    seconds (so across a DST change the clock reads an hour later or
 *    earlier: never less time than promised).  A due time in closed time
 *    (night, a closed day, a holiday) moves to the next opening; a due
 *    time exactly at closing stays.
 *  - OPENING: dm_hours_add(): only opening time counts.
 *  - DAY_END: dm_hours_next_day_close().
 * The result is never before ARRIVAL. */
gint64 dm_promise_due(const struct dm_hours *hours, const struct dm_promise_policy *policy, gint64 arrival,
		      enum dm_priority priority);

#define DM_PROMISE_ERROR (dm_promise_error_quark())
GQuark dm_promise_error_quark(void);

#endif
