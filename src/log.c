/* log.c - diagnostics to stderr or syslog.
 *
 * Everything deskmail prints about its work goes through here, so that a
 * delivery never writes stray text into what the MTA captures and every
 * untrusted value is clipped and cleaned first. */
#include "dm-autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "status.h"

static enum dm_log_target log_target = DM_LOG_STDERR;
static const char *log_ident = "deskmail";
static GString *held; /* lines waiting for dm_log_flush, or NULL */

void
dm_log_hold(void)
{
	if (held == NULL)
		held = g_string_new(NULL);
}

void
dm_log_flush(void)
{
	if (held == NULL)
		return;
	fputs(held->str, stderr);
	fflush(stderr);
	g_string_free(held, TRUE);
	held = NULL;
}

void
dm_log_open(enum dm_log_target target, const char *ident)
{
	log_target = target;
	log_ident = ident ? ident : "deskmail";
	if (target == DM_LOG_SYSLOG)
		openlog(log_ident, LOG_PID, LOG_MAIL);
}

static void log_v(int priority, const char *fmt, va_list ap) G_GNUC_PRINTF(2, 0);

static void
log_v(int priority, const char *fmt, va_list ap)
{
	if (log_target == DM_LOG_SYSLOG) {
		vsyslog(priority, fmt, ap);
		return;
	}
	if (held) {
		/* Bounded: a runaway loop must not eat the memory. */
		if (held->len < 64 * 1024) {
			g_string_append_printf(held, "%s: ", log_ident);
			g_string_append_vprintf(held, fmt, ap);
			g_string_append_c(held, '\n');
		}
		return;
	}
	fprintf(stderr, "%s: ", log_ident);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
dm_log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
dm_log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
dm_log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(LOG_ERR, fmt, ap);
	va_end(ap);
}

char *
dm_log_sanitize(const char *s, gsize max)
{
	if (s == NULL)
		return g_strdup("");
	g_autofree char *valid = g_utf8_make_valid(s, -1);
	GString *out = g_string_sized_new(MIN(strlen(valid), max) + 4);
	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		const char *next = g_utf8_next_char(p);
		if (out->len + (gsize) (next - p) > max) {
			g_string_append(out, "...");
			break;
		}
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029)
			g_string_append_c(out, '?');
		else
			g_string_append_len(out, p, next - p);
	}
	return g_string_free(out, FALSE);
}

const char *
dm_status_name(enum dm_status st)
{
	switch (st) {
	case DM_OK: return "ok";
	case DM_DUPLICATE: return "duplicate";
	case DM_TEMPFAIL: return "tempfail";
	case DM_REJECT: return "reject";
	case DM_CONFIG: return "config";
	case DM_USAGE: return "usage";
	case DM_NOTFOUND: return "notfound";
	case DM_INTERNAL: return "internal";
	}
	return "unknown";
}
