/* hours.h - the desk's business-hours calendar: when an answer is due. */
#ifndef DM_HOURS_H
#define DM_HOURS_H

#include <glib.h>

/* Opening hours, holidays and the time zone they are written in. */
struct dm_hours;

#define DM_HOURS_ERROR (dm_hours_error_quark())
GQuark dm_hours_error_quark(void);

typedef enum {
	DM_HOURS_ERROR_TIMEZONE, /* unknown or missing time zone */
	DM_HOURS_ERROR_WEEKLY,   /* bad opening hours, or none at all */
	DM_HOURS_ERROR_HOLIDAY,  /* bad holiday date */
} DmHoursError;

/* Build a calendar.  TZ_NAME (borrowed) is an IANA name such as
 * "Europe/Ljubljana".  WEEKLY (borrowed) is the opening hours in local
 * wall-clock time, e.g. "mon-fri 09:00-20:00; sat 09:00-13:00": groups
 * separated by ';', each a day list (mon..sun, ranges such as "mon-fri" or
 * "fri-mon", comma lists such as "mon,wed") followed by a comma list of
 * intervals HH:MM-HH:MM; "24:00" is allowed as an end, a day may be named
 * in several groups, and overlapping intervals are merged.  HOLIDAYS
 * (borrowed, may be NULL) is a NULL-terminated list of "YYYY-MM-DD" (one
 * day) or "MM-DD" (that day every year); a holiday is closed all day.
 * On failure returns NULL and sets ERROR (domain DM_HOURS_ERROR) to one
 * line naming the bad part, e.g.
 * "opening hours: 'mon-fry': unknown day 'fry' (want mon, tue, ...)".
 * A week with no open time is an error.  Caller frees with
 * dm_hours_free(). */
struct dm_hours *dm_hours_new(const char *tz_name, const char *weekly,
			      const char *const *holidays, GError **error);

/* Free H; NULL is allowed. */
void dm_hours_free(struct dm_hours *h);
typedef struct dm_hours DmHours;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmHours, dm_hours_free)

/* The instant (Unix seconds) when HOURS of open time have passed after
 * FROM.  Open time is counted in real elapsed seconds, so a DST change
 * inside opening hours gains or loses an hour of wall-clock time.  Time
 * outside opening hours does not count: mail that arrives on Friday
 * evening starts counting at the next working day's opening.  HOURS = 0
 * gives the next open instant at or after FROM; negative or NaN HOURS
 * count as 0, more than 10 million as 10 million, and HOURS is rounded to
 * whole seconds.  Bounded: when three years of calendar hold too little
 * open time (or FROM lies outside the years 1 to 9999), returns
 * FROM + HOURS * 3600, saturated at G_MAXINT64.  H is borrowed. */
gint64 dm_hours_add(const struct dm_hours *h, gint64 from, double hours);

/* Whether the desk is open at instant T: T lies inside an opening
 * interval (its start counts, its end does not) on a day that is not a
 * holiday.  H is borrowed. */
gboolean dm_hours_is_open(const struct dm_hours *h, gint64 t);

/* The closing time of the next full working day after FROM: the first
 * local day whose first opening is at or after FROM, and the end of that
 * day's last opening interval.  Mail on Monday 22:13 or Tuesday 07:00
 * gets Tuesday's closing time; mail on Tuesday 10:00 (open) gets
 * Wednesday's.  Holidays are closed days.  Bounded like dm_hours_add():
 * when three years hold no such day (or FROM lies outside the years 1 to
 * 9999), returns FROM + 24 h.  H is borrowed. */
gint64 dm_hours_next_day_close(const struct dm_hours *h, gint64 from);

/* Open (business) seconds between FROM and TO; 0 if TO <= FROM.  Bounded:
 * instants outside the years 1 to 9999 are clamped to that range, and
 * only the first 100 years (36525 days) after FROM are counted.  H is
 * borrowed. */
gint64 dm_hours_between(const struct dm_hours *h, gint64 from, gint64 to);

/* WHEN as local date and time in the calendar's time zone, in language
 * LANG (borrowed, may be NULL): "sl", "fi", "hu" or "en", matched without
 * case and ignoring a region such as "sl-SI" or "sl_SI.UTF-8"; anything
 * else gives "en".  The names come from this module, not from system
 * locales.  Examples for the same instant:
 *   en "Tuesday, 24 November 2026 at 10:00"
 *   sl "torek, 24. novembra 2026 ob 10.00"
 *   fi "tiistaina 24. marraskuuta 2026 klo 10.00"
 *   hu "2026. november 24., kedd 10:00"
 * Seconds are dropped, not rounded.  An instant outside the years 1 to 9999
 * gives "@" and the Unix seconds.  Caller frees with g_free(). */
char *dm_hours_format(const struct dm_hours *h, gint64 when, const char *lang);

/* The time zone name given to dm_hours_new().  Borrowed from H. */
const char *dm_hours_timezone(const struct dm_hours *h);

#endif
