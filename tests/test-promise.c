/* test-promise.c - unit tests for the answer-by promise (src/promise.h).
 *
 * One table of arrival x priority -> due time over two calendars (the
 * example desk "mon-fri 09:00-20:00; sat 09:00-13:00" and the default
 * "mon-fri 09:00-17:00", both with 12-25, 12-26 and 01-01 closed) and a
 * seven-day desk for the DST nights; one table of rule texts; and a sweep
 * that checks the promise is never shorter than written and never falls
 * due while the desk is shut.  Every expected instant is built here with
 * g_date_time_new() from the local time a person would read off the
 * calendar, never by asking the module. */
#include "dm-autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "promise.h"
#include "table-tests.h"

struct calendar {
	const char *zone;
	const char *weekly;
	const char *const *holidays;
};

static const char *const holidays[] = { "12-25", "12-26", "01-01", NULL };
static const struct calendar example = { "Europe/Ljubljana", "mon-fri 09:00-20:00; sat 09:00-13:00", holidays };
static const struct calendar standard = { "Europe/Ljubljana", "mon-fri 09:00-17:00", holidays };
/* Open every day, so that a wall-clock promise can end on the Sunday the
 * clocks change (2026-03-29 and 2026-10-25). */
static const struct calendar daily = { "Europe/Ljubljana", "mon-sun 09:00-20:00", holidays };

struct moment {
	int y, mo, d, h, mi;
};
#define L(y, mo, d, h, mi) { (y), (mo), (d), (h), (mi) }

static gint64
instant(const struct calendar *cal, const struct moment *m)
{
	GTimeZone *tz = g_time_zone_new_identifier(cal->zone);
	assert_non_null(tz);
	GDateTime *dt = g_date_time_new(tz, m->y, m->mo, m->d, m->h, m->mi, 0);
	assert_non_null(dt);
	gint64 t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	g_time_zone_unref(tz);
	return t;
}

static struct dm_hours *
open_calendar(const struct calendar *cal)
{
	GError *error = NULL;
	struct dm_hours *h = dm_hours_new(cal->zone, cal->weekly, cal->holidays, &error);
	if (h == NULL)
		fail_msg("%s", error->message);
	return h;
}

/* ---- dm_promise_due under the default policy -------------------------- */

struct due_case {
	const char *name;
	const struct calendar *cal;
	struct moment arrival;
	enum dm_priority priority;
	struct moment want;
};

#define LOW DM_PRIORITY_LOW
#define NORMAL DM_PRIORITY_NORMAL
#define HIGH DM_PRIORITY_HIGH
#define URGENT DM_PRIORITY_URGENT

/* 2026-11-20 is a Friday, 11-21 Saturday, 11-23 Monday; 12-24 and 12-31
 * are Thursdays before the holidays 12-25 (Fri), 12-26 (Sat), 01-01 (Fri). */
static const struct due_case due_cases[] = {
	/* Monday 22:13, closed: the next working day, Tuesday. */
	{ "example: monday 22:13 low -> tuesday closing", &example, L(2026, 11, 23, 22, 13), LOW, L(2026, 11, 24, 20, 0) },
	{ "example: monday 22:13 normal -> tuesday closing", &example, L(2026, 11, 23, 22, 13), NORMAL, L(2026, 11, 24, 20, 0) },
	{ "example: monday 22:13 high -> tuesday 17:00", &example, L(2026, 11, 23, 22, 13), HIGH, L(2026, 11, 24, 17, 0) },
	{ "example: monday 22:13 urgent -> tuesday 13:00", &example, L(2026, 11, 23, 22, 13), URGENT, L(2026, 11, 24, 13, 0) },
	{ "default: monday 22:13 normal -> tuesday 17:00", &standard, L(2026, 11, 23, 22, 13), NORMAL, L(2026, 11, 24, 17, 0) },
	{ "default: monday 22:13 high -> tuesday 17:00", &standard, L(2026, 11, 23, 22, 13), HIGH, L(2026, 11, 24, 17, 0) },
	{ "default: monday 22:13 urgent -> tuesday 13:00", &standard, L(2026, 11, 23, 22, 13), URGENT, L(2026, 11, 24, 13, 0) },

	/* Friday 19:30, open: 24 h later is Saturday 19:30, after the short
	 * Saturday; the desk opens next on Monday. */
	{ "example: friday 19:30 normal -> monday 09:00", &example, L(2026, 11, 20, 19, 30), NORMAL, L(2026, 11, 23, 9, 0) },
	{ "example: friday 19:30 low -> monday 09:00", &example, L(2026, 11, 20, 19, 30), LOW, L(2026, 11, 23, 9, 0) },
	/* 0.5 h Friday, 4 h Saturday, 3.5 h Monday. */
	{ "example: friday 19:30 high -> monday 12:30", &example, L(2026, 11, 20, 19, 30), HIGH, L(2026, 11, 23, 12, 30) },
	{ "example: friday 19:30 urgent -> saturday 12:30", &example, L(2026, 11, 20, 19, 30), URGENT, L(2026, 11, 21, 12, 30) },
	{ "default: friday 19:30 normal -> monday closing", &standard, L(2026, 11, 20, 19, 30), NORMAL, L(2026, 11, 23, 17, 0) },
	{ "default: friday 19:30 high -> monday 17:00", &standard, L(2026, 11, 20, 19, 30), HIGH, L(2026, 11, 23, 17, 0) },
	{ "default: friday 19:30 urgent -> monday 13:00", &standard, L(2026, 11, 20, 19, 30), URGENT, L(2026, 11, 23, 13, 0) },

	/* Saturday 12:30, open for half an hour more. */
	{ "example: saturday 12:30 normal -> monday 09:00", &example, L(2026, 11, 21, 12, 30), NORMAL, L(2026, 11, 23, 9, 0) },
	{ "example: saturday 12:30 high -> monday 16:30", &example, L(2026, 11, 21, 12, 30), HIGH, L(2026, 11, 23, 16, 30) },
	{ "example: saturday 12:30 urgent -> monday 12:30", &example, L(2026, 11, 21, 12, 30), URGENT, L(2026, 11, 23, 12, 30) },
	{ "default: saturday 12:30 normal -> monday closing", &standard, L(2026, 11, 21, 12, 30), NORMAL, L(2026, 11, 23, 17, 0) },
	{ "default: saturday 12:30 urgent -> monday 13:00", &standard, L(2026, 11, 21, 12, 30), URGENT, L(2026, 11, 23, 13, 0) },
	{ "example: saturday 14:00 normal -> monday closing", &example, L(2026, 11, 21, 14, 0), NORMAL, L(2026, 11, 23, 20, 0) },

	/* An ordinary weekday morning. */
	{ "example: tuesday 10:00 normal -> wednesday 10:00", &example, L(2026, 11, 24, 10, 0), NORMAL, L(2026, 11, 25, 10, 0) },
	{ "example: tuesday 10:00 high -> 18:00", &example, L(2026, 11, 24, 10, 0), HIGH, L(2026, 11, 24, 18, 0) },
	{ "example: tuesday 10:00 urgent -> 14:00", &example, L(2026, 11, 24, 10, 0), URGENT, L(2026, 11, 24, 14, 0) },
	{ "default: tuesday 10:00 normal -> wednesday 10:00", &standard, L(2026, 11, 24, 10, 0), NORMAL, L(2026, 11, 25, 10, 0) },
	{ "default: tuesday 10:00 high -> wednesday 10:00", &standard, L(2026, 11, 24, 10, 0), HIGH, L(2026, 11, 25, 10, 0) },
	/* Before opening the next working day is the one about to start. */
	{ "example: tuesday 07:00 normal -> tuesday closing", &example, L(2026, 11, 24, 7, 0), NORMAL, L(2026, 11, 24, 20, 0) },
	/* Due exactly at closing is kept, not moved to Monday. */
	{ "example: friday 13:00 normal -> saturday 13:00", &example, L(2026, 11, 20, 13, 0), NORMAL, L(2026, 11, 21, 13, 0) },
	{ "example: friday 12:59 normal -> saturday 12:59", &example, L(2026, 11, 20, 12, 59), NORMAL, L(2026, 11, 21, 12, 59) },
	{ "example: friday 13:01 normal -> monday 09:00", &example, L(2026, 11, 20, 13, 1), NORMAL, L(2026, 11, 23, 9, 0) },

	/* The eve of Christmas: Friday 12-25 and Saturday 12-26 are closed. */
	{ "example: christmas eve 15:00 normal -> monday 12-28 09:00", &example, L(2026, 12, 24, 15, 0), NORMAL, L(2026, 12, 28, 9, 0) },
	{ "example: christmas eve 15:00 high -> monday 12-28 12:00", &example, L(2026, 12, 24, 15, 0), HIGH, L(2026, 12, 28, 12, 0) },
	{ "example: christmas eve 15:00 urgent -> 19:00", &example, L(2026, 12, 24, 15, 0), URGENT, L(2026, 12, 24, 19, 0) },
	{ "example: christmas eve 21:00 normal -> monday 12-28 closing", &example, L(2026, 12, 24, 21, 0), NORMAL, L(2026, 12, 28, 20, 0) },
	{ "example: christmas eve 21:00 urgent -> monday 12-28 13:00", &example, L(2026, 12, 24, 21, 0), URGENT, L(2026, 12, 28, 13, 0) },
	{ "default: christmas eve 15:00 normal -> monday 12-28 09:00", &standard, L(2026, 12, 24, 15, 0), NORMAL, L(2026, 12, 28, 9, 0) },
	{ "default: christmas eve 15:00 high -> monday 12-28 15:00", &standard, L(2026, 12, 24, 15, 0), HIGH, L(2026, 12, 28, 15, 0) },
	{ "default: christmas eve 15:00 urgent -> monday 12-28 11:00", &standard, L(2026, 12, 24, 15, 0), URGENT, L(2026, 12, 28, 11, 0) },
	{ "example: on christmas day normal -> monday 12-28 closing", &example, L(2026, 12, 25, 11, 0), NORMAL, L(2026, 12, 28, 20, 0) },
	/* New Year's Eve: Friday 01-01 is closed, Saturday 01-02 open. */
	{ "example: new year's eve 19:30 normal -> saturday 01-02 09:00", &example, L(2026, 12, 31, 19, 30), NORMAL, L(2027, 1, 2, 9, 0) },
	{ "example: new year's eve 19:30 urgent -> saturday 01-02 12:30", &example, L(2026, 12, 31, 19, 30), URGENT, L(2027, 1, 2, 12, 30) },
	{ "example: new year's eve 19:30 high -> monday 01-04 12:30", &example, L(2026, 12, 31, 19, 30), HIGH, L(2027, 1, 4, 12, 30) },
	{ "default: new year's eve 19:30 normal -> monday 01-04 closing", &standard, L(2026, 12, 31, 19, 30), NORMAL, L(2027, 1, 4, 17, 0) },

	/* The nights the clocks change.  24 hours are real hours: Saturday
	 * 10:00 CET + 24 h is Sunday 11:00 CEST in March, and Saturday 10:00
	 * CEST + 24 h is Sunday 09:00 CET in October. */
	{ "daily: spring forward, saturday 10:00 normal -> sunday 11:00", &daily, L(2026, 3, 28, 10, 0), NORMAL, L(2026, 3, 29, 11, 0) },
	{ "daily: fall back, saturday 10:00 normal -> sunday 09:00", &daily, L(2026, 10, 24, 10, 0), NORMAL, L(2026, 10, 25, 9, 0) },
	{ "daily: spring forward, saturday 22:00 normal -> sunday closing", &daily, L(2026, 3, 28, 22, 0), NORMAL, L(2026, 3, 29, 20, 0) },
	{ "daily: fall back, saturday 22:00 normal -> sunday closing", &daily, L(2026, 10, 24, 22, 0), NORMAL, L(2026, 10, 25, 20, 0) },
	{ "daily: spring forward, saturday 18:00 urgent -> sunday 11:00", &daily, L(2026, 3, 28, 18, 0), URGENT, L(2026, 3, 29, 11, 0) },
	{ "example: spring forward, saturday 12:30 normal -> monday 09:00", &example, L(2026, 3, 28, 12, 30), NORMAL, L(2026, 3, 30, 9, 0) },
	{ "example: spring forward, saturday 12:30 urgent -> monday 12:30", &example, L(2026, 3, 28, 12, 30), URGENT, L(2026, 3, 30, 12, 30) },
	{ "example: spring forward, sunday 01:30 normal -> monday closing", &example, L(2026, 3, 29, 1, 30), NORMAL, L(2026, 3, 30, 20, 0) },
	{ "example: fall back, sunday 01:30 normal -> monday closing", &example, L(2026, 10, 25, 1, 30), NORMAL, L(2026, 10, 26, 20, 0) },
	{ "example: fall back, saturday 12:30 high -> monday 16:30", &example, L(2026, 10, 24, 12, 30), HIGH, L(2026, 10, 26, 16, 30) },
	{ "default: fall back, friday 16:00 normal -> monday 09:00", &standard, L(2026, 10, 23, 16, 0), NORMAL, L(2026, 10, 26, 9, 0) },
};

static void
test_due(void **state)
{
	const struct due_case *c = *state;
	g_autoptr(DmHours) h = open_calendar(c->cal);
	struct dm_promise_policy policy;
	dm_promise_policy_default(&policy);
	gint64 arrival = instant(c->cal, &c->arrival);
	gint64 want = instant(c->cal, &c->want);
	gint64 got = dm_promise_due(h, &policy, arrival, c->priority);
	if (got != want) {
		g_autofree char *g = dm_hours_format(h, got, "en");
		g_autofree char *w = dm_hours_format(h, want, "en");
		fail_msg("got %s, want %s", g, w);
	}
}

/* ---- Rules ------------------------------------------------------------ */

struct rule_case {
	const char *name;
	const char *text;
	gboolean ok;
	enum dm_promise_kind kind;
	gint64 seconds;
	const char *error; /* a part of the message when not OK */
};

static const struct rule_case rule_cases[] = {
	{ "rule: 24 hours", "24 hours", TRUE, DM_PROMISE_ELAPSED, 86400, NULL },
	{ "rule: 24h", "24h", TRUE, DM_PROMISE_ELAPSED, 86400, NULL },
	{ "rule: 2 days", " 2 Days ", TRUE, DM_PROMISE_ELAPSED, 172800, NULL },
	{ "rule: 90 minutes", "90 minutes", TRUE, DM_PROMISE_ELAPSED, 5400, NULL },
	{ "rule: 4 opening hours", "4 opening hours", TRUE, DM_PROMISE_OPENING, 14400, NULL },
	{ "rule: 8 open h", "8 open h", TRUE, DM_PROMISE_OPENING, 28800, NULL },
	{ "rule: 30 opening minutes", "30 opening minutes", TRUE, DM_PROMISE_OPENING, 1800, NULL },
	{ "rule: next-working-day-end", "Next-Working-Day-End", TRUE, DM_PROMISE_DAY_END, 0, NULL },
	{ "rule: 366 days is the limit", "366 days", TRUE, DM_PROMISE_ELAPSED, 366 * 86400, NULL },
	{ "rule: empty", "", FALSE, 0, 0, "want e.g." },
	{ "rule: no unit", "24", FALSE, 0, 0, "want e.g." },
	{ "rule: unknown unit", "24 fortnights", FALSE, 0, 0, "want e.g." },
	{ "rule: words", "tomorrow", FALSE, 0, 0, "want e.g." },
	{ "rule: negative", "-4 hours", FALSE, 0, 0, "want e.g." },
	{ "rule: opening days", "2 opening days", FALSE, 0, 0, "hours or minutes" },
	{ "rule: zero", "0 hours", FALSE, 0, 0, "no time at all" },
	{ "rule: seconds are too fine", "30 s", FALSE, 0, 0, "want e.g." },
	{ "rule: 367 days", "367 days", FALSE, 0, 0, "too long" },
	{ "rule: huge number", "99999999999999999999999 hours", FALSE, 0, 0, "too long" },
	{ "rule: extra words", "4 opening hours please", FALSE, 0, 0, "want e.g." },
};

static void
test_rule(void **state)
{
	const struct rule_case *c = *state;
	struct dm_promise_rule r = { 0 };
	g_autoptr(GError) error = NULL;
	gboolean ok = dm_promise_rule_parse(c->text, &r, &error);
	assert_int_equal(ok, c->ok);
	if (c->ok) {
		assert_null(error);
		assert_int_equal(r.kind, c->kind);
		assert_int_equal(r.seconds, c->seconds);
	} else {
		assert_non_null(error);
		if (strstr(error->message, c->error) == NULL)
			fail_msg("'%s' lacks '%s'", error->message, c->error);
	}
}

/* ---- Fixed tests ------------------------------------------------------ */

static void
test_priority_names(void **state G_GNUC_UNUSED)
{
	assert_int_equal(dm_priority_from_name("low"), DM_PRIORITY_LOW);
	assert_int_equal(dm_priority_from_name("normal"), DM_PRIORITY_NORMAL);
	assert_int_equal(dm_priority_from_name("HIGH"), DM_PRIORITY_HIGH);
	assert_int_equal(dm_priority_from_name("urgent"), DM_PRIORITY_URGENT);
	assert_int_equal(dm_priority_from_name(NULL), DM_PRIORITY_NORMAL);
	assert_int_equal(dm_priority_from_name("critical"), DM_PRIORITY_NORMAL);
}

/* A policy of the operator's own: low gets two working days' worth of
 * real time, outside mail the same 24 h as inside. */
static void
test_custom_policy(void **state G_GNUC_UNUSED)
{
	g_autoptr(DmHours) h = open_calendar(&example);
	struct dm_promise_policy p;
	dm_promise_policy_default(&p);
	p.by_priority[DM_PRIORITY_LOW] = (struct dm_promise_rule) { DM_PROMISE_ELAPSED, 48 * 3600 };
	p.outside = (struct dm_promise_rule) { DM_PROMISE_ELAPSED, 24 * 3600 };
	/* Monday 22:13 + 24 h = Tuesday 22:13, closed -> Wednesday 09:00. */
	gint64 mon = instant(&example, &(struct moment) L(2026, 11, 23, 22, 13));
	assert_int_equal(dm_promise_due(h, &p, mon, DM_PRIORITY_NORMAL),
			 instant(&example, &(struct moment) L(2026, 11, 25, 9, 0)));
	/* Tuesday 10:00 + 48 h = Thursday 10:00. */
	gint64 tue = instant(&example, &(struct moment) L(2026, 11, 24, 10, 0));
	assert_int_equal(dm_promise_due(h, &p, tue, DM_PRIORITY_LOW),
			 instant(&example, &(struct moment) L(2026, 11, 26, 10, 0)));
	/* An out-of-range priority is normal. */
	assert_int_equal(dm_promise_due(h, &p, tue, (enum dm_priority) 42),
			 instant(&example, &(struct moment) L(2026, 11, 25, 10, 0)));
}

/* Every 7 minutes over four weeks around the spring DST change, and
 * around Christmas, on both calendars: the due time is never before the
 * promise and never inside closed time. */
static void
test_never_shorter_never_shut(void **state G_GNUC_UNUSED)
{
	const struct calendar *cals[] = { &example, &standard, &daily };
	const struct moment starts[] = { L(2026, 3, 16, 0, 0), L(2026, 12, 14, 0, 0) };
	struct dm_promise_policy p;
	dm_promise_policy_default(&p);

	for (gsize c = 0; c < G_N_ELEMENTS(cals); c++) {
		g_autoptr(DmHours) h = open_calendar(cals[c]);
		for (gsize s = 0; s < G_N_ELEMENTS(starts); s++) {
			gint64 from = instant(cals[c], &starts[s]);
			for (gint64 t = from; t < from + 28 * 86400; t += 7 * 60) {
				gboolean open = dm_hours_is_open(h, t);
				for (int prio = 0; prio < DM_PRIORITY_COUNT; prio++) {
					struct dm_promise_rule r = p.by_priority[prio];
					gint64 due = dm_promise_due(h, &p, t, (enum dm_priority) prio);
					assert_true(due > t);
					/* Open at the due time, or it is a closing instant. */
					assert_true(dm_hours_is_open(h, due) || dm_hours_is_open(h, due - 1));
					if (r.kind == DM_PROMISE_OPENING)
						assert_int_equal(dm_hours_between(h, t, due), r.seconds);
					else if (open)
						assert_true(due >= t + r.seconds);
					else
						/* A whole working day: its opening is after T. */
						assert_true(dm_hours_between(h, t, due) >= 4 * 3600);
				}
			}
		}
	}
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_priority_names),
		cmocka_unit_test(test_custom_policy),
		cmocka_unit_test(test_never_shorter_never_shut),
	};
	g_autoptr(GArray) tests = dm_tests_new();

	DM_TESTS_ADD_ROWS(tests, due_cases, name, test_due);
	DM_TESTS_ADD_ROWS(tests, rule_cases, name, test_rule);
	g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));
	return dm_tests_run("promise", tests, NULL, NULL);
}
