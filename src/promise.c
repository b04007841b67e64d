/* promise.c - the answer-by promise: a rule per priority, read from
 * [hours], applied to the desk's calendar.
 *
 * The calendar (hours.c) knows when the desk is open; this module knows
 * what the desk promised.  A promise is never shorter than written and
 * never falls due while the desk is shut: that is why real-time promises
 * move to the next opening, and why mail that arrives at night gets a
 * whole working day rather than the few hours left of a wall-clock 24. */
#include "dm-autoconf.h"

#include <errno.h>
#include <string.h>

#include "promise.h"

G_DEFINE_QUARK(dm-promise-error-quark, dm_promise_error)

#define MINUTE 60
#define HOUR 3600
#define DAY 86400
#define MAX_PROMISE (G_GINT64_CONSTANT(366) * DAY)

enum dm_priority
dm_priority_from_name(const char *name)
{
	static const char *const names[DM_PRIORITY_COUNT] = { "low", "normal", "high", "urgent" };
	for (int i = 0; name != NULL && i < DM_PRIORITY_COUNT; i++)
		if (g_ascii_strcasecmp(name, names[i]) == 0)
			return (enum dm_priority) i;
	return DM_PRIORITY_NORMAL;
}

void
dm_promise_policy_default(struct dm_promise_policy *policy)
{
	const struct dm_promise_rule wall24 = { DM_PROMISE_ELAPSED, 24 * HOUR };
	policy->by_priority[DM_PRIORITY_LOW] = wall24;
	policy->by_priority[DM_PRIORITY_NORMAL] = wall24;
	policy->by_priority[DM_PRIORITY_HIGH] = (struct dm_promise_rule) { DM_PROMISE_OPENING, 8 * HOUR };
	policy->by_priority[DM_PRIORITY_URGENT] = (struct dm_promise_rule) { DM_PROMISE_OPENING, 4 * HOUR };
	policy->outside = (struct dm_promise_rule) { DM_PROMISE_DAY_END, 0 };
}

/* Seconds per UNIT, or 0 if UNIT is no unit we know. */
static gint64
unit_seconds(const char *unit)
{
	static const struct {
		const char *name;
		gint64 secs;
	} units[] = {
		{ "m", MINUTE }, { "min", MINUTE }, { "mins", MINUTE }, { "minute", MINUTE }, { "minutes", MINUTE },
		{ "h", HOUR }, { "hour", HOUR }, { "hours", HOUR },
		{ "d", DAY }, { "day", DAY }, { "days", DAY },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(units); i++)
		if (strcmp(unit, units[i].name) == 0)
			return units[i].secs;
	return 0;
}

static gboolean
bad_rule(GError **error, const char *text, const char *problem)
{
	g_set_error(error, DM_PROMISE_ERROR, 0, "'%s': %s", text, problem);
	return FALSE;
}

gboolean
dm_promise_rule_parse(const char *text, struct dm_promise_rule *out, GError **error)
{
	static const char *const usage = "want e.g. '24 hours', '8 opening hours' or 'next-working-day-end'";
	g_autofree char *s = g_strstrip(g_ascii_strdown(text ? text : "", -1));

	if (strcmp(s, "next-working-day-end") == 0) {
		*out = (struct dm_promise_rule) { DM_PROMISE_DAY_END, 0 };
		return TRUE;
	}
	if (!g_ascii_isdigit(*s))
		return bad_rule(error, s, usage);
	char *end = NULL;
	errno = 0;
	guint64 n = g_ascii_strtoull(s, &end, 10);
	if (errno != 0 || n > (guint64) MAX_PROMISE)
		return bad_rule(error, s, "too long (at most 366 days)");

	/* The rest: an optional "opening" (or "open") and a unit. */
	g_auto(GStrv) words = g_strsplit_set(end, " \t", -1);
	GPtrArray *w = g_ptr_array_new();
	for (char **p = words; *p; p++)
		if (**p)
			g_ptr_array_add(w, *p);
	gboolean opening = w->len == 2 && (strcmp(w->pdata[0], "opening") == 0 || strcmp(w->pdata[0], "open") == 0);
	const char *unit = w->len == 1 ? w->pdata[0] : opening ? w->pdata[1] : NULL;
	g_ptr_array_free(w, TRUE);
	gint64 per = unit ? unit_seconds(unit) : 0;
	if (per == 0)
		return bad_rule(error, s, usage);
	if (opening && per == DAY)
		return bad_rule(error, s, "opening time is counted in hours or minutes "
					  "(or use 'next-working-day-end')");
	gint64 secs = (gint64) n * per;
	if (secs < MINUTE)
		return bad_rule(error, s, "a promise of no time at all");
	if (secs > MAX_PROMISE)
		return bad_rule(error, s, "too long (at most 366 days)");
	*out = (struct dm_promise_rule) { opening ? DM_PROMISE_OPENING : DM_PROMISE_ELAPSED, secs };
	return TRUE;
}

gint64
dm_promise_due(const struct dm_hours *hours, const struct dm_promise_policy *policy, gint64 arrival,
	       enum dm_priority priority)
{
	if ((int) priority < 0 || priority >= DM_PRIORITY_COUNT)
		priority = DM_PRIORITY_NORMAL;
	struct dm_promise_rule rule = policy->by_priority[priority];

	/* A wall-clock promise assumes someone is there when the clock
	 * starts; at night the desk promises its next working day instead. */
	if (rule.kind == DM_PROMISE_ELAPSED && !dm_hours_is_open(hours, arrival))
		rule = policy->outside;

	switch (rule.kind) {
	case DM_PROMISE_OPENING:
		return dm_hours_add(hours, arrival, (double) rule.seconds / HOUR);
	case DM_PROMISE_DAY_END:
		return dm_hours_next_day_close(hours, arrival);
	case DM_PROMISE_ELAPSED:
	default: {
		gint64 due = arrival > G_MAXINT64 - rule.seconds ? G_MAXINT64 : arrival + rule.seconds;
		/* Due exactly at closing is a promise the desk can keep. */
		if (dm_hours_is_open(hours, due) || dm_hours_is_open(hours, due - 1))
			return due;
		return dm_hours_add(hours, due, 0);
	}
	}
}
