/* hours.c - the desk's business-hours calendar.
 *
 * Answers "when will the customer hear back?" and "how many business
 * seconds did that take?" from a weekly timetable, a holiday list and an
 * IANA time zone.  The timetable is in local wall-clock time, but open time
 * is counted in real elapsed seconds, so that the hour lost or gained at a
 * DST change counts as it really passed.  Every conversion goes through the
 * calendar's own GTimeZone: a mail filter runs with whatever TZ and locale
 * the MTA gives it, so neither is ever consulted. */
#include "dm-autoconf.h"

#include <string.h>

#include "hours.h"

#define DAY_SECS 86400
#define DAY_MINUTES 1440

/* The calendar comes from a configuration file; bound it so that a bad one
 * cannot make every delivery slow. */
#define MAX_WEEKLY_LEN 4096
#define MAX_HOLIDAYS 4096

/* How far dm_hours_add() looks for open time before it gives up. */
#define SCAN_DAYS (3 * 366)

/* dm_hours_between() counts at most this span; no response time is a
 * century long, and a garbage TO must not cost seconds of scanning. */
#define MAX_SPAN (G_GINT64_CONSTANT(36525) * DAY_SECS)

/* A target larger than this (about 1100 years) cannot be met within the
 * scan anyway; clamping it keeps the fallback sum from overflowing. */
#define MAX_HOURS 1e7

/* GDate's Julian day number of 1970-01-01 (0001-01-01 is day 1). */
#define EPOCH_JULIAN 719163

/* GDateTime covers 0001-01-01 to 9999-12-31 UTC; two days of margin keep
 * local dates, in any offset, inside that range too. */
#define MIN_INSTANT (G_GINT64_CONSTANT(-62135596800) + 2 * DAY_SECS)
#define MAX_INSTANT (G_GINT64_CONSTANT(253402300799) - 2 * DAY_SECS)

/* Holidays are kept as year * 10000 + month * 100 + day, with year 0 for
 * a date that recurs every year. */
#define HOLIDAY_KEY(y, m, d) ((y) * 10000 + (m) * 100 + (d))

/* One opening interval, in minutes after local midnight; END may be 1440. */
struct span {
	int start;
	int end;
};

struct dm_hours {
	char *tz_name;
	GTimeZone *tz;
	GArray *week[7];       /* of struct span, sorted and merged; 0 = Monday */
	GHashTable *holidays;  /* set of GINT_TO_POINTER(HOLIDAY_KEY) */
};

static const char *const day_names[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun"
};

G_DEFINE_QUARK(dm-hours-error-quark, dm_hours_error)

/* ---- Parsing ---------------------------------------------------------- */

/* A copy of user text fit for a one-line message: valid UTF-8, no control
 * characters (they would break the line), at most 40 characters.  Caller
 * frees with g_free. */
static char *
clip(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text, -1);
	for (char *p = valid; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = '?';
	if (g_utf8_strlen(valid, -1) <= 40)
		return g_steal_pointer(&valid);
	g_autofree char *head = g_utf8_substring(valid, 0, 40);
	return g_strconcat(head, "...", NULL);
}

/* Set ERROR to "WHAT: 'PART': PROBLEM" with PART clipped. */
static void
set_error(GError **error, DmHoursError code, const char *what,
	  const char *part, const char *problem)
{
	g_autofree char *quoted = clip(part);
	g_set_error(error, DM_HOURS_ERROR, code, "%s: '%s': %s", what, quoted, problem);
}

/* A copy of S without ASCII white space, so that "mon - fri" and
 * "09:00 - 12:00, 13:00-16:00" read like their compact forms.  Caller
 * frees with g_free. */
static char *
squeeze(const char *s)
{
	char *out = g_malloc(strlen(s) + 1);
	char *w = out;
	for (; *s; s++)
		if (!g_ascii_isspace(*s))
			*w++ = *s;
	*w = '\0';
	return out;
}

/* 0 for "mon" up to 6 for "sun", in any case; -1 if NAME is none of them. */
static int
day_index(const char *name)
{
	for (int i = 0; i < 7; i++)
		if (g_ascii_strcasecmp(name, day_names[i]) == 0)
			return i;
	return -1;
}

/* Look up one day name of the list DAYS for the error message. */
static gboolean
parse_day(const char *days, const char *name, int *out, GError **error)
{
	if (*name == '\0') {
		set_error(error, DM_HOURS_ERROR_WEEKLY, "opening hours", days,
			  "missing a day name");
		return FALSE;
	}
	*out = day_index(name);
	if (*out < 0) {
		g_autofree char *bad = clip(name);
		g_autofree char *problem = g_strdup_printf(
			"unknown day '%s' (want mon, tue, wed, thu, fri, sat or sun)", bad);
		set_error(error, DM_HOURS_ERROR_WEEKLY, "opening hours", days, problem);
		return FALSE;
	}
	return TRUE;
}

/* Mark in ON the days of DAYS, e.g. "mon-fri", "mon,wed", "fri-mon".  A
 * range may wrap over Sunday, as a weekend shift "fri-mon" does. */
static gboolean
parse_days(const char *days, gboolean on[7], GError **error)
{
	g_autofree char *compact = squeeze(days);
	g_auto(GStrv) items = g_strsplit(compact, ",", -1);

	for (char **item = items; *item; item++) {
		char *dash = strchr(*item, '-');
		int first, last;

		if (dash != NULL)
			*dash = '\0';
		if (!parse_day(days, *item, &first, error))
			return FALSE;
		last = first;
		if (dash != NULL && !parse_day(days, dash + 1, &last, error))
			return FALSE;
		for (int i = first;; i = (i + 1) % 7) {
			on[i] = TRUE;
			if (i == last)
				break;
		}
	}
	return TRUE;
}

/* Minutes after midnight for "H:MM" or "HH:MM", 00:00 to 24:00; -1 if S is
 * not such a time. */
static int
parse_time(const char *s)
{
	int hours = 0, digits = 0;

	for (; g_ascii_isdigit(*s) && digits < 2; s++, digits++)
		hours = hours * 10 + (*s - '0');
	if (digits == 0 || s[0] != ':' || !g_ascii_isdigit(s[1]) ||
	    !g_ascii_isdigit(s[2]) || s[3] != '\0')
		return -1;
	int minutes = (s[1] - '0') * 10 + (s[2] - '0');
	if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0))
		return -1;
	return hours * 60 + minutes;
}

/* Parse the interval list TIMES, e.g. "08:00-12:00,13:00-16:00", and add
 * each interval to every day set in ON. */
static gboolean
parse_times(struct dm_hours *h, const char *times, const gboolean on[7],
	    GError **error)
{
	g_autofree char *compact = squeeze(times);
	g_auto(GStrv) items = g_strsplit(compact, ",", -1);

	for (char **item = items; *item; item++) {
		g_autofree char *interval = g_strdup(*item);
		char *dash = strchr(*item, '-');
		struct span span;

		if (**item == '\0') {
			set_error(error, DM_HOURS_ERROR_WEEKLY, "opening hours", times,
				  "empty interval in the list");
			return FALSE;
		}
		if (dash == NULL) {
			set_error(error, DM_HOURS_ERROR_WEEKLY, "opening hours", interval,
				  "want an interval HH:MM-HH:MM");
			return FALSE;
		}
		*dash = '\0';
		const char *ends[2] = { *item, dash + 1 };
		int *mins[2] = { &span.start, &span.end };
		for (int i = 0; i < 2; i++) {
			*mins[i] = parse_time(ends[i]);
			if (*mins[i] < 0) {
				g_autofree char *bad = clip(ends[i]);
				g_autofree char *problem = g_strdup_printf(
					"bad time '%s' (want HH:MM from 00:00 to 24:00)", bad);
				set_error(error, DM_HOURS_ERROR_WEEKLY, "opening hours",
					  interval, problem);
				return FALSE;
			}
		}
		if (span.start == DAY_MINUTES) {
			set_error(error, DM_HOURS_ERROR_WEEKLY, "opening hours", interval,
				  "24:00 can only end an interval");
			return FALSE;
		}
		if (span.end < span.start) {
			set_error(error, DM_HOURS_ERROR_WEEKLY, "opening hours", interval,
				  "ends before it starts (write a night as two days, "
				  "e.g. 'mon 22:00-24:00; tue 00:00-06:00')");
			return FALSE;
		}
		if (span.end == span.start) {
			set_error(error, DM_HOURS_ERROR_WEEKLY, "opening hours", interval,
				  "ends when it starts");
			return FALSE;
		}
		for (int d = 0; d < 7; d++)
			if (on[d])
				g_array_append_val(h->week[d], span);
	}
	return TRUE;
}

static gint
span_cmp(gconstpointer a, gconstpointer b)
{
	const struct span *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

/* Sort the intervals of DAY and merge those that overlap or touch, so that
 * the counting loops never count a minute twice. */
static void
merge_day(GArray *day)
{
	guint w = 0;

	g_array_sort(day, span_cmp);
	for (guint r = 0; r < day->len; r++) {
		struct span cur = g_array_index(day, struct span, r);
		struct span *last = w > 0 ? &g_array_index(day, struct span, w - 1) : NULL;
		if (last != NULL && cur.start <= last->end)
			last->end = MAX(last->end, cur.end);
		else
			g_array_index(day, struct span, w++) = cur;
	}
	g_array_set_size(day, w);
}

static gboolean
parse_weekly(struct dm_hours *h, const char *weekly, GError **error)
{
	if (weekly == NULL)
		weekly = "";
	if (strlen(weekly) > MAX_WEEKLY_LEN) {
		g_set_error(error, DM_HOURS_ERROR, DM_HOURS_ERROR_WEEKLY,
			    "opening hours: longer than %d characters", MAX_WEEKLY_LEN);
		return FALSE;
	}

	g_auto(GStrv) groups = g_strsplit(weekly, ";", -1);
	for (char **group = groups; *group; group++) {
		char *text = g_strstrip(*group);
		const char *p = text;
		gboolean on[7] = { FALSE };

		/* A trailing ';' leaves an empty group; that is harmless. */
		if (*text == '\0')
			continue;
		/* The day list runs up to the first digit, where the times
		 * begin; day names hold no digits. */
		while (*p != '\0' && !g_ascii_isdigit(*p))
			p++;
		g_autofree char *days = g_strstrip(g_strndup(text, p - text));
		if (*days == '\0') {
			set_error(error, DM_HOURS_ERROR_WEEKLY, "opening hours", text,
				  "no days before the times");
			return FALSE;
		}
		if (*p == '\0') {
			set_error(error, DM_HOURS_ERROR_WEEKLY, "opening hours", text,
				  "no times after the days");
			return FALSE;
		}
		if (!parse_days(days, on, error) || !parse_times(h, p, on, error))
			return FALSE;
	}

	gboolean any = FALSE;
	for (int d = 0; d < 7; d++) {
		merge_day(h->week[d]);
		any = any || h->week[d]->len > 0;
	}
	if (!any) {
		g_set_error_literal(error, DM_HOURS_ERROR, DM_HOURS_ERROR_WEEKLY,
				    "opening hours: no open time in the week");
		return FALSE;
	}
	return TRUE;
}

/* Read N digits of S into *OUT; FALSE unless all are digits. */
static gboolean
read_digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (!g_ascii_isdigit(s[i]))
			return FALSE;
		*out = *out * 10 + (s[i] - '0');
	}
	return TRUE;
}

static gboolean
parse_holiday(struct dm_hours *h, const char *text, GError **error)
{
	g_autofree char *s = g_strstrip(g_strdup(text));
	size_t len = strlen(s);
	int y = 0, m = 0, d = 0;
	gboolean shape;

	if (len == 10)
		shape = read_digits(s, 4, &y) && s[4] == '-' && read_digits(s + 5, 2, &m) &&
			s[7] == '-' && read_digits(s + 8, 2, &d);
	else if (len == 5)
		shape = read_digits(s, 2, &m) && s[2] == '-' && read_digits(s + 3, 2, &d);
	else
		shape = FALSE;
	if (!shape) {
		set_error(error, DM_HOURS_ERROR_HOLIDAY, "holidays", text,
			  "want YYYY-MM-DD for one day or MM-DD for every year");
		return FALSE;
	}
	/* A yearly date is checked against a leap year, so that "02-29" is
	 * allowed; it then simply falls on leap years only. */
	if (m < 1 || m > 12 || d < 1 || (len == 10 && y < 1) ||
	    !g_date_valid_dmy(d, m, len == 10 ? y : 2000)) {
		set_error(error, DM_HOURS_ERROR_HOLIDAY, "holidays", text, "no such date");
		return FALSE;
	}
	g_hash_table_add(h->holidays, GINT_TO_POINTER(HOLIDAY_KEY(y, m, d)));
	return TRUE;
}

struct dm_hours *
dm_hours_new(const char *tz_name, const char *weekly, const char *const *holidays,
	     GError **error)
{
	g_autoptr(DmHours) h = g_new0(struct dm_hours, 1);

	h->holidays = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (int d = 0; d < 7; d++)
		h->week[d] = g_array_new(FALSE, FALSE, sizeof(struct span));

	/* An empty or NULL name would make GLib fall back to the process's
	 * own zone, which is exactly what the calendar must not depend on. */
	if (tz_name == NULL || *tz_name == '\0') {
		g_set_error_literal(error, DM_HOURS_ERROR, DM_HOURS_ERROR_TIMEZONE,
				    "time zone: missing (want an IANA name such as "
				    "'Europe/Ljubljana')");
		return NULL;
	}
	h->tz = g_time_zone_new_identifier(tz_name);
	if (h->tz == NULL) {
		set_error(error, DM_HOURS_ERROR_TIMEZONE, "time zone", tz_name,
			  "unknown time zone (want an IANA name such as 'Europe/Ljubljana')");
		return NULL;
	}
	h->tz_name = g_strdup(tz_name);

	if (!parse_weekly(h, weekly, error))
		return NULL;

	for (gsize i = 0; holidays != NULL && holidays[i] != NULL; i++) {
		if (i == MAX_HOLIDAYS) {
			g_set_error(error, DM_HOURS_ERROR, DM_HOURS_ERROR_HOLIDAY,
				    "holidays: more than %d dates", MAX_HOLIDAYS);
			return NULL;
		}
		if (!parse_holiday(h, holidays[i], error))
			return NULL;
	}
	return g_steal_pointer(&h);
}

void
dm_hours_free(struct dm_hours *h)
{
	if (h == NULL)
		return;
	for (int d = 0; d < 7; d++)
		if (h->week[d] != NULL)
			g_array_unref(h->week[d]);
	if (h->holidays != NULL)
		g_hash_table_unref(h->holidays);
	if (h->tz != NULL)
		g_time_zone_unref(h->tz);
	g_free(h->tz_name);
	g_free(h);
}

const char *
dm_hours_timezone(const struct dm_hours *h)
{
	return h->tz_name;
}

/* ---- Time arithmetic -------------------------------------------------- */

/* Below, "local seconds" are seconds since 1970-01-01 00:00 on the
 * calendar's wall clock, and a "day" is a local date counted in days since
 * 1970-01-01.  Only GTimeZone decides how they map to real instants. */

/* The zone's UTC offset in force at instant UTC. */
static gint32
offset_at(GTimeZone *tz, gint64 utc)
{
	/* With G_TIME_TYPE_UNIVERSAL every instant has an interval. */
	return g_time_zone_get_offset(tz, g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, utc));
}

/* The first instant at which the wall clock shows LOCAL or later.
 *
 * g_date_time_new() resolves the two problem cases its own way (it prefers
 * standard time for a repeated hour), which is not what opening hours
 * mean: a desk that opens at 02:30 on the night the clocks go back opens
 * the first time the clock shows 02:30, and one that opens at 02:30 on the
 * night the clocks skip from 02:00 to 03:00 opens at the jump.  "First
 * instant showing LOCAL or later" says both, and it never runs backwards,
 * so intervals built from it never overlap. */
static gint64
wall_to_unix(GTimeZone *tz, gint64 local)
{
	/* The offsets a day either side cover any real zone's transition. */
	gint32 early = offset_at(tz, local - DAY_SECS);
	gint32 late = offset_at(tz, local + DAY_SECS);
	gint64 u_early = local - early;
	gint64 u_late = local - late;
	gboolean ok_early = offset_at(tz, u_early) == early;
	gboolean ok_late = offset_at(tz, u_late) == late;

	if (ok_early && ok_late)
		return MIN(u_early, u_late);
	if (ok_early)
		return u_early;
	if (ok_late)
		return u_late;

	/* LOCAL is skipped: find the transition, the first instant after
	 * the earlier candidate whose offset differs from it. */
	gint64 lo = MIN(u_early, u_late), hi = MAX(u_early, u_late);
	gint32 before = offset_at(tz, lo);
	while (hi - lo > 1) {
		gint64 mid = lo + (hi - lo) / 2;
		if (offset_at(tz, mid) == before)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* The local date (days since 1970-01-01) at instant T. */
static gint64
local_day(GTimeZone *tz, gint64 t)
{
	gint64 local = t + offset_at(tz, t);
	return local >= 0 ? local / DAY_SECS : -((-local + DAY_SECS - 1) / DAY_SECS);
}

/* The opening intervals of local date DAY, or NULL on a holiday. */
static const GArray *
day_spans(const struct dm_hours *h, gint64 day)
{
	GDate date;

	g_date_clear(&date, 1);
	g_date_set_julian(&date, (guint32) (day + EPOCH_JULIAN));
	int y = g_date_get_year(&date), m = g_date_get_month(&date), d = g_date_get_day(&date);
	if (g_hash_table_contains(h->holidays, GINT_TO_POINTER(HOLIDAY_KEY(y, m, d))) ||
	    g_hash_table_contains(h->holidays, GINT_TO_POINTER(HOLIDAY_KEY(0, m, d))))
		return NULL;
	return h->week[g_date_get_weekday(&date) - G_DATE_MONDAY];
}

/* The real instants [*START, *END) of interval SPAN on local date DAY. */
static void
span_instants(const struct dm_hours *h, gint64 day, const struct span *span,
	      gint64 *start, gint64 *end)
{
	*start = wall_to_unix(h->tz, day * DAY_SECS + span->start * 60);
	*end = wall_to_unix(h->tz, day * DAY_SECS + span->end * 60);
}

static gint64
hours_to_secs(double hours)
{
	/* "!(hours > 0)" also catches NaN. */
	if (!(hours > 0))
		return 0;
	if (hours > MAX_HOURS)
		hours = MAX_HOURS;
	return (gint64) (hours * 3600.0 + 0.5);
}

gint64
dm_hours_add(const struct dm_hours *h, gint64 from, double hours)
{
	gint64 left = hours_to_secs(hours);
	gint64 fallback = from > G_MAXINT64 - left ? G_MAXINT64 : from + left;

	if (from < MIN_INSTANT || from > MAX_INSTANT)
		return fallback;

	/* No earlier day can still be open at FROM: its intervals end by the
	 * first instant the clock shows FROM's date, which is not after FROM. */
	gint64 day = local_day(h->tz, from);
	for (int n = 0; n <= SCAN_DAYS; n++, day++) {
		const GArray *spans = day_spans(h, day);
		for (guint i = 0; spans != NULL && i < spans->len; i++) {
			gint64 start, end;
			span_instants(h, day, &g_array_index(spans, struct span, i), &start, &end);
			if (start < from)
				start = from;
			if (end <= start)
				continue;
			if (left <= end - start)
				return start + left;
			left -= end - start;
		}
	}
	return fallback;
}

gint64
dm_hours_between(const struct dm_hours *h, gint64 from, gint64 to)
{
	gint64 total = 0;

	from = CLAMP(from, MIN_INSTANT, MAX_INSTANT);
	to = CLAMP(to, MIN_INSTANT, MAX_INSTANT);
	if (to <= from)
		return 0;
	if (to - from > MAX_SPAN)
		to = from + MAX_SPAN;

	/* One day past TO's date, in case the clock went back over midnight
	 * and showed the next date once before TO; clipping makes it harmless. */
	gint64 last = local_day(h->tz, to) + 1;
	for (gint64 day = local_day(h->tz, from); day <= last; day++) {
		const GArray *spans = day_spans(h, day);
		for (guint i = 0; spans != NULL && i < spans->len; i++) {
			gint64 start, end;
			span_instants(h, day, &g_array_index(spans, struct span, i), &start, &end);
			start = MAX(start, from);
			end = MIN(end, to);
			if (end > start)
				total += end - start;
		}
	}
	return total;
}

gboolean
dm_hours_is_open(const struct dm_hours *h, gint64 t)
{
	return t > MIN_INSTANT && t < MAX_INSTANT && dm_hours_between(h, t, t + 1) == 1;
}

gint64
dm_hours_next_day_close(const struct dm_hours *h, gint64 from)
{
	if (from < MIN_INSTANT || from > MAX_INSTANT)
		return from + DAY_SECS;

	/* A day counts only when it opens at or after FROM, so that the
	 * customer is promised a whole working day, never the rest of one. */
	gint64 day = local_day(h->tz, from);
	for (int n = 0; n <= SCAN_DAYS; n++, day++) {
		const GArray *spans = day_spans(h, day);
		if (spans == NULL || spans->len == 0)
			continue;
		gint64 first_start, first_end, last_start, last_end;
		span_instants(h, day, &g_array_index(spans, struct span, 0), &first_start, &first_end);
		span_instants(h, day, &g_array_index(spans, struct span, spans->len - 1), &last_start,
			      &last_end);
		/* An interval the clocks skipped entirely has no open time. */
		if (first_start < from || last_end <= first_start)
			continue;
		return last_end;
	}
	return from + DAY_SECS;
}

/* ---- Formatting ------------------------------------------------------- */

enum lang { LANG_EN, LANG_SL, LANG_FI, LANG_HU };

/* Names in the grammatical form each language's date needs: Slovenian
 * months in the genitive ("24. novembra"), Finnish weekdays in the essive
 * ("tiistaina", "on Tuesday") and months in the partitive ("marraskuuta"),
 * Hungarian in lower case as Hungarian writes them. */
static const char *const weekdays[4][7] = {
	[LANG_EN] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
		      "Saturday", "Sunday" },
	[LANG_SL] = { "ponedeljek", "torek", "sreda", "četrtek", "petek",
		      "sobota", "nedelja" },
	[LANG_FI] = { "maanantaina", "tiistaina", "keskiviikkona", "torstaina",
		      "perjantaina", "lauantaina", "sunnuntaina" },
	[LANG_HU] = { "hétfő", "kedd", "szerda", "csütörtök", "péntek",
		      "szombat", "vasárnap" },
};

static const char *const months[4][12] = {
	[LANG_EN] = { "January", "February", "March", "April", "May", "June", "July",
		      "August", "September", "October", "November", "December" },
	[LANG_SL] = { "januarja", "februarja", "marca", "aprila", "maja", "junija",
		      "julija", "avgusta", "septembra", "oktobra", "novembra",
		      "decembra" },
	[LANG_FI] = { "tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta",
		      "toukokuuta", "kesäkuuta", "heinäkuuta", "elokuuta",
		      "syyskuuta", "lokakuuta", "marraskuuta", "joulukuuta" },
	[LANG_HU] = { "január", "február", "március", "április", "május", "június",
		      "július", "augusztus", "szeptember", "október", "november",
		      "december" },
};

/* The language of a tag such as "sl", "SL", "sl-SI" or "sl_SI.UTF-8". */
static enum lang
pick_lang(const char *tag)
{
	static const struct {
		const char *code;
		enum lang lang;
	} known[] = { { "sl", LANG_SL }, { "fi", LANG_FI }, { "hu", LANG_HU } };

	if (tag == NULL)
		return LANG_EN;
	size_t len = strcspn(tag, "-_.@");
	for (gsize i = 0; i < G_N_ELEMENTS(known); i++)
		if (len == 2 && g_ascii_strncasecmp(tag, known[i].code, 2) == 0)
			return known[i].lang;
	return LANG_EN;
}

char *
dm_hours_format(const struct dm_hours *h, gint64 when, const char *lang)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(when);
	g_autoptr(GDateTime) t = utc != NULL ? g_date_time_to_timezone(utc, h->tz) : NULL;

	if (t == NULL)
		return g_strdup_printf("@%" G_GINT64_FORMAT, when);

	enum lang l = pick_lang(lang);
	int y, m, d;
	g_date_time_get_ymd(t, &y, &m, &d);
	const char *wday = weekdays[l][g_date_time_get_day_of_week(t) - 1];
	const char *month = months[l][m - 1];
	int hour = g_date_time_get_hour(t), minute = g_date_time_get_minute(t);

	/* Each language's usual order and clock: the British "09:00", and
	 * no leading zero on the hour in Slovenian, Finnish and Hungarian. */
	switch (l) {
	case LANG_SL:
		return g_strdup_printf("%s, %d. %s %d ob %d.%02d", wday, d, month, y, hour, minute);
	case LANG_FI:
		return g_strdup_printf("%s %d. %s %d klo %d.%02d", wday, d, month, y, hour, minute);
	case LANG_HU:
		return g_strdup_printf("%d. %s %d., %s %d:%02d", y, month, d, wday, hour, minute);
	case LANG_EN:
	default:
		return g_strdup_printf("%s, %d %s %d at %02d:%02d", wday, d, month, y, hour, minute);
	}
}
