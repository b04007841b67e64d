/* test-hours.c - unit tests for the business-hours calendar (src/hours.h).
 *
 * Four tables, one test per row: dm_hours_add() targets, dm_hours_between()
 * spans, dm_hours_format() strings and dm_hours_new() errors.  Every
 * expected instant is built here with g_date_time_new() from the local
 * date and time a person would read off the calendar (or from UTC where
 * the local time is ambiguous or skipped), never by asking the module, so
 * that a wrong conversion in the module cannot agree with itself.  The
 * fixed tests after the tables cover the scan bound, odd targets and a
 * sweep checking that add and between agree. */
#include "dm-autoconf.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "hours.h"
#include "table-tests.h"

struct calendar {
	const char *zone;
	const char *weekly;
	const char *const *holidays;
};

/* The help desk of the brief. */
static const char *const desk_holidays[] = {
	"12-25", "12-26", "01-01", "2026-12-24", NULL
};
static const struct calendar desk = {
	"Europe/Ljubljana", "mon-fri 09:00-20:00; sat 09:00-13:00", desk_holidays
};

/* Open all day on Sundays: both 2026 DST changes fall inside open time. */
static const struct calendar sundays = { "Europe/Ljubljana", "sun 00:00-24:00", NULL };

/* Opening hours that the DST changes cut into: 02:00-03:00 does not exist
 * on 2026-03-29, and 02:00-03:00 happens twice on 2026-10-25. */
static const struct calendar night_gap = { "Europe/Ljubljana", "sun 02:00-04:00", NULL };
static const struct calendar night_repeat = { "Europe/Ljubljana", "sun 02:30-03:00", NULL };

/* West of UTC, with US DST (2026-03-08) and Thanksgiving as a dated holiday. */
static const char *const ny_holidays[] = { "2026-11-26", "07-04", NULL };
static const struct calendar new_york = {
	"America/New_York", "mon-fri 09:00-17:00", ny_holidays
};

/* The parts of the opening-hours syntax. */
static const struct calendar lunch_break = {
	"Europe/Ljubljana", "mon 08:00-12:00,13:00-16:00", NULL
};
static const struct calendar weekend_shift = { "Europe/Ljubljana", "fri-mon 10:00-12:00", NULL };
static const struct calendar mon_wed = { "Europe/Ljubljana", "mon,wed 09:00-10:00", NULL };
static const struct calendar loose = {
	"Europe/Ljubljana", " MON - Fri 09:00 - 12:00 , 13:00-17:00 ; ", NULL
};
static const struct calendar overlapping = {
	"Europe/Ljubljana", "mon 09:00-12:00; mon 11:00-13:00", NULL
};
static const struct calendar over_midnight = {
	"Europe/Ljubljana", "sun 20:00-24:00; mon 00:00-02:00", NULL
};
static const char *const leap_holidays[] = { "02-29", NULL };
static const struct calendar leap_day = {
	"Europe/Ljubljana", "mon-sun 09:00-17:00", leap_holidays
};

/* A wall-clock time in the calendar's zone, or in UTC when UTC is set. */
struct moment {
	int y, mo, d, h, mi;
	gboolean utc;
};
#define L(y, mo, d, h, mi) { (y), (mo), (d), (h), (mi), FALSE }
#define U(y, mo, d, h, mi) { (y), (mo), (d), (h), (mi), TRUE }

static gint64
instant(const struct calendar *cal, const struct moment *m)
{
	GTimeZone *tz = m->utc ? g_time_zone_new_utc() : g_time_zone_new_identifier(cal->zone);
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

/* ---- dm_hours_add ----------------------------------------------------- */

struct add_case {
	const char *name;
	const struct calendar *cal;
	struct moment from;
	double hours;
	struct moment want;
};

static const struct add_case add_cases[] = {
	{ "add: friday 21:00 + 2 h -> saturday 11:00", &desk,
	  L(2026, 11, 20, 21, 0), 2, L(2026, 11, 21, 11, 0) },
	{ "add: saturday 12:00 + 4 h -> monday 12:00", &desk,
	  L(2026, 11, 21, 12, 0), 4, L(2026, 11, 23, 12, 0) },
	/* 12-24 (dated), 12-25, 12-26 (yearly) are holidays, 12-27 is Sunday. */
	{ "add: holiday 2026-12-24 10:00 + 1 h -> monday 12-28 10:00", &desk,
	  L(2026, 12, 24, 10, 0), 1, L(2026, 12, 28, 10, 0) },
	{ "add: tuesday 10:00 + 3 h -> 13:00", &desk,
	  L(2026, 11, 24, 10, 0), 3, L(2026, 11, 24, 13, 0) },
	{ "add: tuesday 19:00 + 2 h -> wednesday 10:00", &desk,
	  L(2026, 11, 24, 19, 0), 2, L(2026, 11, 25, 10, 0) },
	/* Friday 5 h, Saturday 4 h, Monday 11 h, Tuesday 4 h. */
	{ "add: friday 15:00 + 24 h -> tuesday 13:00", &desk,
	  L(2026, 11, 20, 15, 0), 24, L(2026, 11, 24, 13, 0) },
	{ "add: 0 h on sunday -> monday opening", &desk,
	  L(2026, 11, 22, 15, 0), 0, L(2026, 11, 23, 9, 0) },
	{ "add: 0 h while open -> the same instant", &desk,
	  L(2026, 11, 24, 10, 30), 0, L(2026, 11, 24, 10, 30) },
	{ "add: 0 h at closing time -> next opening", &desk,
	  L(2026, 11, 24, 20, 0), 0, L(2026, 11, 25, 9, 0) },
	{ "add: target that fills saturday ends at closing", &desk,
	  L(2026, 11, 21, 9, 0), 4, L(2026, 11, 21, 13, 0) },
	{ "add: half an hour", &desk,
	  L(2026, 11, 24, 10, 0), 0.5, L(2026, 11, 24, 10, 30) },
	{ "add: 2026-12-24 is a holiday in 2026 only", &desk,
	  L(2027, 12, 24, 10, 0), 1, L(2027, 12, 24, 11, 0) },
	/* 2027-01-01 is a Friday; Saturday 01-02 is open. */
	{ "add: 01-01 is a holiday every year", &desk,
	  L(2027, 1, 1, 10, 0), 1, L(2027, 1, 2, 10, 0) },
	{ "add: monday opening after spring forward", &desk,
	  L(2026, 3, 28, 12, 0), 2, L(2026, 3, 30, 10, 0) },
	{ "add: monday opening after fall back", &desk,
	  L(2026, 10, 24, 12, 0), 2, L(2026, 10, 26, 10, 0) },

	/* Open time is real elapsed time: 01:00 CET + 3 h = 05:00 CEST. */
	{ "add: spring forward, sunday 01:00 + 3 h -> 05:00", &sundays,
	  L(2026, 3, 29, 1, 0), 3, L(2026, 3, 29, 5, 0) },
	/* 01:00 CEST + 3 h = 03:00 CET. */
	{ "add: fall back, sunday 01:00 + 3 h -> 03:00", &sundays,
	  L(2026, 10, 25, 1, 0), 3, L(2026, 10, 25, 3, 0) },
	{ "add: spring-forward sunday holds 23 h", &sundays,
	  L(2026, 3, 29, 0, 0), 23, L(2026, 3, 30, 0, 0) },
	{ "add: 24 h from spring-forward sunday -> next sunday 01:00", &sundays,
	  L(2026, 3, 29, 0, 0), 24, L(2026, 4, 5, 1, 0) },
	{ "add: fall-back sunday holds 25 h", &sundays,
	  L(2026, 10, 25, 0, 0), 25, L(2026, 10, 26, 0, 0) },
	/* 02:00 is skipped: the desk opens at the jump, 01:00 UTC = 03:00 CEST. */
	{ "add: opening inside the skipped hour -> the jump", &night_gap,
	  L(2026, 3, 29, 0, 0), 0, U(2026, 3, 29, 1, 0) },
	{ "add: skipped hour leaves 1 h open", &night_gap,
	  L(2026, 3, 29, 0, 0), 1, U(2026, 3, 29, 2, 0) },
	{ "add: skipped hour, 1.5 h -> next sunday 02:30", &night_gap,
	  L(2026, 3, 29, 0, 0), 1.5, L(2026, 4, 5, 2, 30) },
	/* 02:30 happens twice; the desk opens at the first, 02:30 CEST =
	 * 00:30 UTC, and closes at 03:00 CET = 02:00 UTC. */
	{ "add: repeated hour opens at the first 02:30", &night_repeat,
	  L(2026, 10, 25, 0, 0), 0, U(2026, 10, 25, 0, 30) },
	{ "add: repeated hour leaves 1.5 h open", &night_repeat,
	  L(2026, 10, 25, 0, 0), 1.5, U(2026, 10, 25, 2, 0) },

	/* Wednesday 1 h, Thanksgiving, Friday 2 h. */
	{ "add: new york, over thanksgiving", &new_york,
	  L(2026, 11, 25, 16, 0), 3, L(2026, 11, 27, 11, 0) },
	{ "add: new york, over spring forward", &new_york,
	  L(2026, 3, 6, 16, 0), 2, L(2026, 3, 9, 10, 0) },
	/* Monday 20:00 EST is already Tuesday in UTC. */
	{ "add: new york, monday evening -> tuesday 10:00", &new_york,
	  L(2026, 11, 23, 20, 0), 1, L(2026, 11, 24, 10, 0) },

	{ "add: two intervals a day, over lunch", &lunch_break,
	  L(2026, 11, 23, 11, 0), 2, L(2026, 11, 23, 14, 0) },
	{ "add: 0 h at lunch -> 13:00", &lunch_break,
	  L(2026, 11, 23, 12, 30), 0, L(2026, 11, 23, 13, 0) },
	{ "add: range wrapping over sunday is open on sunday", &weekend_shift,
	  L(2026, 11, 22, 9, 0), 1, L(2026, 11, 22, 11, 0) },
	{ "add: range wrapping over sunday is closed on tuesday", &weekend_shift,
	  L(2026, 11, 24, 10, 0), 1, L(2026, 11, 27, 11, 0) },
	{ "add: comma list of days", &mon_wed,
	  L(2026, 11, 23, 9, 30), 1, L(2026, 11, 25, 9, 30) },
	{ "add: spaces, capitals and a trailing ';'", &loose,
	  L(2026, 11, 27, 11, 30), 1, L(2026, 11, 27, 13, 30) },
	{ "add: overlapping intervals count once", &overlapping,
	  L(2026, 11, 23, 9, 0), 4, L(2026, 11, 23, 13, 0) },
	{ "add: 24:00 runs on into monday 00:00", &over_midnight,
	  L(2026, 11, 22, 23, 0), 2, L(2026, 11, 23, 1, 0) },
	{ "add: yearly 02-29 closes leap days", &leap_day,
	  L(2028, 2, 28, 16, 0), 2, L(2028, 3, 1, 10, 0) },
};

static void
test_add(void **state)
{
	const struct add_case *c = *state;
	g_autoptr(DmHours) h = open_calendar(c->cal);
	gint64 from = instant(c->cal, &c->from);
	gint64 want = instant(c->cal, &c->want);

	assert_int_equal(dm_hours_add(h, from, c->hours), want);
}

/* ---- dm_hours_between ------------------------------------------------- */

struct between_case {
	const char *name;
	const struct calendar *cal;
	struct moment from;
	struct moment to;
	gint64 want;
};

static const struct between_case between_cases[] = {
	/* Friday 2 h, Saturday 4 h, Monday 1 h. */
	{ "between: friday 18:00 to monday 10:00", &desk,
	  L(2026, 11, 20, 18, 0), L(2026, 11, 23, 10, 0), 7 * 3600 },
	{ "between: backwards is 0", &desk,
	  L(2026, 11, 23, 10, 0), L(2026, 11, 20, 18, 0), 0 },
	{ "between: an instant to itself is 0", &desk,
	  L(2026, 11, 24, 10, 0), L(2026, 11, 24, 10, 0), 0 },
	{ "between: all on a sunday is 0", &desk,
	  L(2026, 11, 22, 10, 0), L(2026, 11, 22, 15, 0), 0 },
	{ "between: inside one interval", &desk,
	  L(2026, 11, 24, 10, 15), L(2026, 11, 24, 10, 45), 1800 },
	{ "between: an ordinary week is 59 h", &desk,
	  L(2026, 11, 23, 0, 0), L(2026, 11, 30, 0, 0), 59 * 3600 },
	/* Mon-Wed open, Thursday to Saturday holidays. */
	{ "between: christmas week is 33 h", &desk,
	  L(2026, 12, 21, 0, 0), L(2026, 12, 28, 0, 0), 33 * 3600 },
	{ "between: spring-forward sunday is 23 h", &sundays,
	  L(2026, 3, 29, 0, 0), L(2026, 3, 30, 0, 0), 23 * 3600 },
	{ "between: fall-back sunday is 25 h", &sundays,
	  L(2026, 10, 25, 0, 0), L(2026, 10, 26, 0, 0), 25 * 3600 },
	{ "between: 02:00-04:00 on spring-forward night is 1 h", &night_gap,
	  L(2026, 3, 29, 0, 0), L(2026, 3, 30, 0, 0), 3600 },
	{ "between: 02:30-03:00 on fall-back night is 1.5 h", &night_repeat,
	  L(2026, 10, 25, 0, 0), L(2026, 10, 26, 0, 0), 5400 },
	{ "between: new york, thanksgiving week is 32 h", &new_york,
	  L(2026, 11, 23, 0, 0), L(2026, 11, 30, 0, 0), 32 * 3600 },
	{ "between: overlapping intervals count once", &overlapping,
	  L(2026, 11, 23, 0, 0), L(2026, 11, 24, 0, 0), 4 * 3600 },
};

static void
test_between(void **state)
{
	const struct between_case *c = *state;
	g_autoptr(DmHours) h = open_calendar(c->cal);
	gint64 from = instant(c->cal, &c->from);
	gint64 to = instant(c->cal, &c->to);

	assert_int_equal(dm_hours_between(h, from, to), c->want);
}

/* ---- dm_hours_format -------------------------------------------------- */

struct format_case {
	const char *name;
	const struct calendar *cal;
	struct moment when;
	const char *lang;
	const char *want;
};

static const struct format_case format_cases[] = {
	{ "format: en", &desk, L(2026, 11, 24, 10, 0), "en",
	  "Tuesday, 24 November 2026 at 10:00" },
	{ "format: sl", &desk, L(2026, 11, 24, 10, 0), "sl",
	  "torek, 24. novembra 2026 ob 10.00" },
	{ "format: fi", &desk, L(2026, 11, 24, 10, 0), "fi",
	  "tiistaina 24. marraskuuta 2026 klo 10.00" },
	{ "format: hu", &desk, L(2026, 11, 24, 10, 0), "hu",
	  "2026. november 24., kedd 10:00" },
	{ "format: unknown language is en", &desk, L(2026, 11, 24, 10, 0), "de",
	  "Tuesday, 24 November 2026 at 10:00" },
	{ "format: NULL language is en", &desk, L(2026, 11, 24, 10, 0), NULL,
	  "Tuesday, 24 November 2026 at 10:00" },
	{ "format: empty language is en", &desk, L(2026, 11, 24, 10, 0), "",
	  "Tuesday, 24 November 2026 at 10:00" },
	{ "format: 'slx' is not sl", &desk, L(2026, 11, 24, 10, 0), "slx",
	  "Tuesday, 24 November 2026 at 10:00" },
	{ "format: region and case ignored", &desk, L(2026, 11, 24, 10, 0), "SL-si",
	  "torek, 24. novembra 2026 ob 10.00" },
	{ "format: locale-style tag", &desk, L(2026, 11, 24, 10, 0), "fi_FI.UTF-8",
	  "tiistaina 24. marraskuuta 2026 klo 10.00" },

	/* Single-digit day and hour. */
	{ "format: en, monday 1 march", &desk, L(2027, 3, 1, 9, 5), "en",
	  "Monday, 1 March 2027 at 09:05" },
	{ "format: sl, monday 1 march", &desk, L(2027, 3, 1, 9, 5), "sl",
	  "ponedeljek, 1. marca 2027 ob 9.05" },
	{ "format: fi, monday 1 march", &desk, L(2027, 3, 1, 9, 5), "fi",
	  "maanantaina 1. maaliskuuta 2027 klo 9.05" },
	{ "format: hu, monday 1 march", &desk, L(2027, 3, 1, 9, 5), "hu",
	  "2027. március 1., hétfő 9:05" },

	/* The other weekdays and some months with non-ASCII names. */
	{ "format: en, wednesday january", &desk, L(2026, 1, 7, 12, 0), "en",
	  "Wednesday, 7 January 2026 at 12:00" },
	{ "format: sl, wednesday january", &desk, L(2026, 1, 7, 12, 0), "sl",
	  "sreda, 7. januarja 2026 ob 12.00" },
	{ "format: fi, wednesday january", &desk, L(2026, 1, 7, 12, 0), "fi",
	  "keskiviikkona 7. tammikuuta 2026 klo 12.00" },
	{ "format: hu, wednesday january", &desk, L(2026, 1, 7, 12, 0), "hu",
	  "2026. január 7., szerda 12:00" },
	{ "format: en, thursday august", &desk, L(2026, 8, 13, 14, 30), "en",
	  "Thursday, 13 August 2026 at 14:30" },
	{ "format: sl, thursday august", &desk, L(2026, 8, 13, 14, 30), "sl",
	  "četrtek, 13. avgusta 2026 ob 14.30" },
	{ "format: fi, thursday august", &desk, L(2026, 8, 13, 14, 30), "fi",
	  "torstaina 13. elokuuta 2026 klo 14.30" },
	{ "format: hu, thursday august", &desk, L(2026, 8, 13, 14, 30), "hu",
	  "2026. augusztus 13., csütörtök 14:30" },
	{ "format: en, friday june", &desk, L(2026, 6, 19, 8, 0), "en",
	  "Friday, 19 June 2026 at 08:00" },
	{ "format: sl, friday june", &desk, L(2026, 6, 19, 8, 0), "sl",
	  "petek, 19. junija 2026 ob 8.00" },
	{ "format: fi, friday june", &desk, L(2026, 6, 19, 8, 0), "fi",
	  "perjantaina 19. kesäkuuta 2026 klo 8.00" },
	{ "format: hu, friday june", &desk, L(2026, 6, 19, 8, 0), "hu",
	  "2026. június 19., péntek 8:00" },
	{ "format: en, saturday october", &desk, L(2026, 10, 24, 13, 0), "en",
	  "Saturday, 24 October 2026 at 13:00" },
	{ "format: sl, saturday october", &desk, L(2026, 10, 24, 13, 0), "sl",
	  "sobota, 24. oktobra 2026 ob 13.00" },
	{ "format: fi, saturday october", &desk, L(2026, 10, 24, 13, 0), "fi",
	  "lauantaina 24. lokakuuta 2026 klo 13.00" },
	{ "format: hu, saturday october", &desk, L(2026, 10, 24, 13, 0), "hu",
	  "2026. október 24., szombat 13:00" },
	{ "format: en, sunday december", &desk, L(2026, 12, 27, 23, 59), "en",
	  "Sunday, 27 December 2026 at 23:59" },
	{ "format: sl, sunday december", &desk, L(2026, 12, 27, 23, 59), "sl",
	  "nedelja, 27. decembra 2026 ob 23.59" },
	{ "format: fi, sunday december", &desk, L(2026, 12, 27, 23, 59), "fi",
	  "sunnuntaina 27. joulukuuta 2026 klo 23.59" },
	{ "format: hu, sunday december", &desk, L(2026, 12, 27, 23, 59), "hu",
	  "2026. december 27., vasárnap 23:59" },

	/* The calendar's zone, with its DST, decides the local time. */
	{ "format: 01:00 UTC on spring-forward day is 03:00 CEST", &desk,
	  U(2026, 3, 29, 1, 0), "sl", "nedelja, 29. marca 2026 ob 3.00" },
	{ "format: 23:30 UTC on 12-31 is new year in ljubljana", &desk,
	  U(2026, 12, 31, 23, 30), "en", "Friday, 1 January 2027 at 00:30" },
	{ "format: new york local time", &new_york,
	  U(2026, 11, 24, 15, 0), "en", "Tuesday, 24 November 2026 at 10:00" },
};

static void
test_format(void **state)
{
	const struct format_case *c = *state;
	g_autoptr(DmHours) h = open_calendar(c->cal);
	g_autofree char *s = dm_hours_format(h, instant(c->cal, &c->when), c->lang);

	assert_string_equal(s, c->want);
}

/* ---- dm_hours_new errors ---------------------------------------------- */

struct error_case {
	const char *name;
	const char *zone;
	const char *weekly;
	const char *const *holidays;
	DmHoursError code;
	const char *want;
};

static const char *const bad_month[] = { "12-25", "2026-13-01", NULL };
static const char *const bad_feb[] = { "2026-02-29", NULL };
static const char *const bad_yearly[] = { "02-30", NULL };
static const char *const bad_shape[] = { "2026-1-5", NULL };
static const char *const bad_word[] = { "christmas", NULL };
static const char *const bad_empty[] = { "", NULL };

#define WEEK "mon-fri 09:00-20:00"
#define WANT_DAYS "(want mon, tue, wed, thu, fri, sat or sun)"
#define WANT_TIME "(want HH:MM from 00:00 to 24:00)"

static const struct error_case error_cases[] = {
	{ "error: unknown day", "Europe/Ljubljana", "mon-fry 09:00-20:00", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: 'mon-fry': unknown day 'fry' " WANT_DAYS },
	{ "error: unknown day in a list", "Europe/Ljubljana", "sat,sunday 09:00-13:00", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: 'sat,sunday': unknown day 'sunday' " WANT_DAYS },
	{ "error: range missing its end", "Europe/Ljubljana", "mon- 09:00-10:00", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: 'mon-': missing a day name" },
	{ "error: control character is not echoed", "Europe/Ljubljana", "mo\x01n 09:00-10:00", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: 'mo?n': unknown day 'mo?n' " WANT_DAYS },
	{ "error: hour 25", "Europe/Ljubljana", "mon 09:00-25:00", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: '09:00-25:00': bad time '25:00' " WANT_TIME },
	{ "error: minute 60", "Europe/Ljubljana", "mon 09:60-10:00", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: '09:60-10:00': bad time '09:60' " WANT_TIME },
	{ "error: 24:30", "Europe/Ljubljana", "mon 09:00-24:30", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: '09:00-24:30': bad time '24:30' " WANT_TIME },
	{ "error: time without minutes", "Europe/Ljubljana", "mon 9-17:00", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: '9-17:00': bad time '9' " WANT_TIME },
	{ "error: start at 24:00", "Europe/Ljubljana", "mon 24:00-24:00", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: '24:00-24:00': 24:00 can only end an interval" },
	{ "error: end before start", "Europe/Ljubljana", "mon 20:00-09:00", NULL,
	  DM_HOURS_ERROR_WEEKLY,
	  "opening hours: '20:00-09:00': ends before it starts (write a night as two "
	  "days, e.g. 'mon 22:00-24:00; tue 00:00-06:00')" },
	{ "error: empty interval", "Europe/Ljubljana", "mon 09:00-09:00", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: '09:00-09:00': ends when it starts" },
	{ "error: time without an end", "Europe/Ljubljana", "mon 09:00", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: '09:00': want an interval HH:MM-HH:MM" },
	{ "error: empty item in the interval list", "Europe/Ljubljana", "mon 09:00-10:00,,11:00-12:00",
	  NULL, DM_HOURS_ERROR_WEEKLY,
	  "opening hours: '09:00-10:00,,11:00-12:00': empty interval in the list" },
	{ "error: days without times", "Europe/Ljubljana", WEEK "; sat", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: 'sat': no times after the days" },
	{ "error: times without days", "Europe/Ljubljana", "09:00-17:00", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: '09:00-17:00': no days before the times" },
	{ "error: empty week", "Europe/Ljubljana", "", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: no open time in the week" },
	{ "error: week of empty groups", "Europe/Ljubljana", " ; ;", NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: no open time in the week" },
	{ "error: NULL week", "Europe/Ljubljana", NULL, NULL,
	  DM_HOURS_ERROR_WEEKLY, "opening hours: no open time in the week" },
	{ "error: unknown time zone", "Europe/Atlantis", WEEK, NULL,
	  DM_HOURS_ERROR_TIMEZONE,
	  "time zone: 'Europe/Atlantis': unknown time zone (want an IANA name such as "
	  "'Europe/Ljubljana')" },
	{ "error: empty time zone", "", WEEK, NULL,
	  DM_HOURS_ERROR_TIMEZONE,
	  "time zone: missing (want an IANA name such as 'Europe/Ljubljana')" },
	{ "error: NULL time zone", NULL, WEEK, NULL,
	  DM_HOURS_ERROR_TIMEZONE,
	  "time zone: missing (want an IANA name such as 'Europe/Ljubljana')" },
	{ "error: holiday month 13", "Europe/Ljubljana", WEEK, bad_month,
	  DM_HOURS_ERROR_HOLIDAY, "holidays: '2026-13-01': no such date" },
	{ "error: holiday 29 february in a common year", "Europe/Ljubljana", WEEK, bad_feb,
	  DM_HOURS_ERROR_HOLIDAY, "holidays: '2026-02-29': no such date" },
	{ "error: yearly holiday 30 february", "Europe/Ljubljana", WEEK, bad_yearly,
	  DM_HOURS_ERROR_HOLIDAY, "holidays: '02-30': no such date" },
	{ "error: holiday without leading zeros", "Europe/Ljubljana", WEEK, bad_shape,
	  DM_HOURS_ERROR_HOLIDAY,
	  "holidays: '2026-1-5': want YYYY-MM-DD for one day or MM-DD for every year" },
	{ "error: holiday as a word", "Europe/Ljubljana", WEEK, bad_word,
	  DM_HOURS_ERROR_HOLIDAY,
	  "holidays: 'christmas': want YYYY-MM-DD for one day or MM-DD for every year" },
	{ "error: empty holiday", "Europe/Ljubljana", WEEK, bad_empty,
	  DM_HOURS_ERROR_HOLIDAY,
	  "holidays: '': want YYYY-MM-DD for one day or MM-DD for every year" },
};

static void
test_error(void **state)
{
	const struct error_case *c = *state;
	GError *error = NULL;
	struct dm_hours *h = dm_hours_new(c->zone, c->weekly, c->holidays, &error);

	assert_null(h);
	assert_non_null(error);
	assert_true(g_error_matches(error, DM_HOURS_ERROR, (gint) c->code));
	assert_string_equal(error->message, c->want);
	g_error_free(error);
}

/* ---- Fixed tests ------------------------------------------------------ */

/* A long bad part is clipped, and the message stays one line. */
static void
test_error_clipped(void **state G_GNUC_UNUSED)
{
	g_autoptr(GString) weekly = g_string_new("mon-");
	GError *error = NULL;

	for (int i = 0; i < 200; i++)
		g_string_append_c(weekly, 'x');
	g_string_append(weekly, "\n 09:00-10:00");
	assert_null(dm_hours_new("Europe/Ljubljana", weekly->str, NULL, &error));
	assert_non_null(error);
	assert_null(strchr(error->message, '\n'));
	assert_true(strlen(error->message) < 200);
	assert_non_null(strstr(error->message, "xxx...'"));
	g_error_free(error);
}

static void
test_too_long(void **state G_GNUC_UNUSED)
{
	g_autoptr(GString) weekly = g_string_new(NULL);
	GError *error = NULL;

	while (weekly->len <= 4096)
		g_string_append(weekly, "mon 09:00-10:00; ");
	assert_null(dm_hours_new("Europe/Ljubljana", weekly->str, NULL, &error));
	assert_string_equal(error->message, "opening hours: longer than 4096 characters");
	g_error_free(error);
}

static void
test_timezone_name(void **state G_GNUC_UNUSED)
{
	g_autoptr(DmHours) h = open_calendar(&new_york);

	assert_string_equal(dm_hours_timezone(h), "America/New_York");
}

/* Every Monday from FIRST for WEEKS weeks, as "YYYY-MM-DD".  Caller frees
 * with g_strfreev. */
static char **
mondays(int y, int m, int d, int weeks)
{
	char **out = g_new0(char *, weeks + 1);
	GDate *date = g_date_new_dmy(d, m, y);

	assert_int_equal(g_date_get_weekday(date), G_DATE_MONDAY);
	for (int i = 0; i < weeks; i++) {
		out[i] = g_strdup_printf("%04d-%02d-%02d", g_date_get_year(date),
					 g_date_get_month(date), g_date_get_day(date));
		g_date_add_days(date, 7);
	}
	g_date_free(date);
	return out;
}

/* Open one hour on Mondays; holidays take away every Monday for two and a
 * half years, then for four.  The first is still found, the second is
 * beyond the three-year scan and gives FROM + HOURS * 3600. */
static void
test_scan_bound(void **state G_GNUC_UNUSED)
{
	static const struct calendar cal = { "Europe/Ljubljana", "mon 09:00-10:00", NULL };
	static const struct moment from_m = L(2026, 1, 1, 0, 0);
	static const struct moment found_m = L(2028, 7, 3, 10, 0);
	gint64 from = instant(&cal, &from_m);
	GError *error = NULL;

	/* 2026-01-05 + 130 weeks is 2028-07-03, the first free Monday. */
	g_auto(GStrv) some = mondays(2026, 1, 5, 130);
	g_autoptr(DmHours) h = dm_hours_new(cal.zone, cal.weekly, (const char *const *) some, &error);
	assert_non_null(h);
	assert_int_equal(dm_hours_add(h, from, 1), instant(&cal, &found_m));

	g_auto(GStrv) all = mondays(2026, 1, 5, 4 * 53);
	g_autoptr(DmHours) closed = dm_hours_new(cal.zone, cal.weekly, (const char *const *) all, &error);
	assert_non_null(closed);
	assert_int_equal(dm_hours_add(closed, from, 1), from + 3600);
	assert_int_equal(dm_hours_add(closed, from, 2.5), from + 9000);
	assert_int_equal(dm_hours_between(closed, from, from + 3 * 365 * 86400), 0);
}

/* Nonsense targets and instants neither crash nor overflow. */
static void
test_odd_targets(void **state G_GNUC_UNUSED)
{
	static const struct moment sunday_m = L(2026, 11, 22, 15, 0);
	static const struct moment monday_m = L(2026, 11, 23, 9, 0);
	g_autoptr(DmHours) h = open_calendar(&desk);
	gint64 sunday = instant(&desk, &sunday_m);
	gint64 monday = instant(&desk, &monday_m);

	/* Negative and NaN count as 0: the next opening. */
	assert_int_equal(dm_hours_add(h, sunday, -5), monday);
	assert_int_equal(dm_hours_add(h, sunday, NAN), monday);
	/* Far too much open time for three years: the plain sum, clamped. */
	assert_true(dm_hours_add(h, sunday, 1e300) > sunday);
	assert_true(dm_hours_add(h, sunday, INFINITY) > sunday);
	/* Instants beyond GDateTime's range. */
	assert_int_equal(dm_hours_add(h, G_MAXINT64, 1), G_MAXINT64);
	assert_int_equal(dm_hours_add(h, G_MININT64, 1), G_MININT64 + 3600);
	assert_int_equal(dm_hours_between(h, G_MAXINT64 - 10, G_MAXINT64), 0);
	/* A garbage end counts a century at most (about 5600 weeks of 59 h,
	 * less the holidays).  Its speed is a benchmark's business, not a
	 * test's. */
	gint64 century = dm_hours_between(h, sunday, G_MAXINT64);
	assert_true(century > (gint64) 5000 * 59 * 3600 && century < (gint64) 5300 * 59 * 3600);
	g_autofree char *s = dm_hours_format(h, G_MAXINT64, "en");
	assert_string_equal(s, "@9223372036854775807");
	/* Seconds are dropped, not rounded. */
	g_autofree char *t = dm_hours_format(h, monday + 59, "en");
	assert_string_equal(t, "Monday, 23 November 2026 at 09:00");
}

/* Over two months with the holidays, both DST changes of the Sunday
 * calendar, and a zone west of UTC: whatever instant a mail arrives, the
 * open time between it and its due time is exactly the target. */
static void
test_add_between_agree(void **state G_GNUC_UNUSED)
{
	static const struct calendar *const cals[] = { &desk, &sundays, &new_york, &night_gap };
	static const struct moment starts[] = {
		L(2026, 11, 15, 0, 0), L(2026, 3, 20, 0, 0), L(2026, 10, 18, 0, 0),
	};
	static const double targets[] = { 0.25, 1, 2, 7.5, 24, 40 };

	for (gsize c = 0; c < G_N_ELEMENTS(cals); c++) {
		g_autoptr(DmHours) h = open_calendar(cals[c]);
		for (gsize s = 0; s < G_N_ELEMENTS(starts); s++) {
			gint64 start = instant(cals[c], &starts[s]);
			/* Every 37 minutes for three weeks, an odd step so
			 * that starts fall on all parts of the day. */
			for (gint64 from = start; from < start + 21 * 86400; from += 37 * 60) {
				gint64 next = dm_hours_add(h, from, 0);
				assert_true(next >= from);
				assert_int_equal(dm_hours_between(h, from, next), 0);
				for (gsize t = 0; t < G_N_ELEMENTS(targets); t++) {
					gint64 due = dm_hours_add(h, from, targets[t]);
					assert_int_equal(dm_hours_between(h, from, due),
							 (gint64) (targets[t] * 3600));
				}
			}
		}
	}
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_error_clipped),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_timezone_name),
		cmocka_unit_test(test_scan_bound),
		cmocka_unit_test(test_odd_targets),
		cmocka_unit_test(test_add_between_agree),
	};
	g_autoptr(GArray) tests = dm_tests_new();

	DM_TESTS_ADD_ROWS(tests, add_cases, name, test_add);
	DM_TESTS_ADD_ROWS(tests, between_cases, name, test_between);
	DM_TESTS_ADD_ROWS(tests, format_cases, name, test_format);
	DM_TESTS_ADD_ROWS(tests, error_cases, name, test_error);
	g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));
	return dm_tests_run("hours", tests, NULL, NULL);
}
