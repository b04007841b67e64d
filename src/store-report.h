/* store-report.h - the counts behind `deskmail report`, gathered by
 * PostgreSQL in the desk's time zone.  report.c turns them into the
 * figures (business-hour response times, shares, quantiles). */
#ifndef DM_STORE_REPORT_H
#define DM_STORE_REPORT_H

#include <glib.h>

#include "db.h"

struct dm_report_day {
	char *date; /* YYYY-MM-DD */
	gint64 opened, resolved;
};

/* Tickets created in one local hour of one day of the month. */
struct dm_report_arrivals {
	int isodow; /* 1 = Monday */
	int hour, month_day;
	gint64 n;
};

enum dm_report_mix_kind { DM_MIX_TOPIC, DM_MIX_TEAM, DM_MIX_LANGUAGE, DM_MIX_SUPPRESSED };

/* How many tickets (or suppressed acknowledgements) had KEY. */
struct dm_report_mix {
	enum dm_report_mix_kind kind;
	char *key;
	gint64 n;
};

/* One ticket's times, Unix seconds; 0 when it never happened. */
struct dm_report_times {
	gint64 created, first_response, resolved;
};

struct dm_report_facts {
	GPtrArray *days;     /* struct dm_report_day*, every day of the period */
	GArray *arrivals;    /* struct dm_report_arrivals */
	GPtrArray *mix;      /* struct dm_report_mix*, by kind, most first */
	GArray *times;       /* struct dm_report_times, tickets created in the period */
	gint64 tickets, acks_sent, bounces, reopened, resolved_total;
};
void dm_report_facts_free(struct dm_report_facts *f);
typedef struct dm_report_facts DmReportFacts;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmReportFacts, dm_report_facts_free)

/* The facts of the days SINCE..UNTIL (YYYY-MM-DD, both included) in
 * TIMEZONE (all borrowed).  Caller frees *OUT with dm_report_facts_free. */
enum dm_status dm_store_report_facts(struct dm_db *db, const char *since, const char *until,
				     const char *timezone, struct dm_report_facts **out);

#endif
