/* report.h - the desk's periodic evaluation: volumes, peaks, mix,
 * response times in business hours, reopen rate, suppressed
 * acknowledgements and bounces. */
#ifndef DM_REPORT_H
#define DM_REPORT_H

#include <stdio.h>

#include <glib.h>

#include "config.h"
#include "db.h"
#include "hours.h"

struct dm_report;

/* Gather the figures for tickets created from SINCE to UNTIL (dates
 * YYYY-MM-DD, both days included, in the desk's time zone).  Caller frees
 * with dm_report_free. */
enum dm_status dm_report_build(struct dm_db *db, const struct dm_config *cfg, const struct dm_hours *hours,
			       const char *since, const char *until, struct dm_report **out);
void dm_report_free(struct dm_report *r);
typedef struct dm_report DmReport;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmReport, dm_report_free)

void dm_report_write_text(const struct dm_report *r, FILE *out);
/* JSON for scripts (see deskmail(1) for the keys).  Caller frees. */
char *dm_report_to_json(const struct dm_report *r);
/* One self-contained HTML page with inline SVG charts.  Caller frees. */
char *dm_report_to_html(const struct dm_report *r);

#endif
