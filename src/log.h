/* log.h - one place that writes diagnostics: stderr or syslog(LOG_MAIL). */
#ifndef DM_LOG_H
#define DM_LOG_H

#include <glib.h>

enum dm_log_target { DM_LOG_STDERR, DM_LOG_SYSLOG };

/* Select where messages go.  IDENT is borrowed and must outlive logging. */
void dm_log_open(enum dm_log_target target, const char *ident);

/* Hold stderr lines back until dm_log_flush(): deliver prints its one
 * status line for the MTA first ("4.3.0 ..."), because Postfix reads a
 * status code only at the start of the command's output. */
void dm_log_hold(void);
void dm_log_flush(void);

void dm_log_info(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void dm_log_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void dm_log_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* A copy of the untrusted string S fit for one log line: control
 * characters replaced by '?', invalid UTF-8 repaired, clipped to MAX bytes
 * with "..." appended when clipped.  NULL gives "".  Caller frees with
 * g_free. */
char *dm_log_sanitize(const char *s, gsize max);

#endif
