/* config.h - the deskmail configuration file (GKeyFile format).
 *
 * Every key is declared once in config.c with its type, bounds and default;
 * a key the table does not know, a value of the wrong form or an unreadable
 * file is an error that names the file, the key and the problem. */
#ifndef DM_CONFIG_H
#define DM_CONFIG_H

#include <glib.h>

#include "message.h"

struct dm_config {
	char *path; /* the file it was read from */

	/* [desk] */
	char *support_address; /* normalised */
	char *support_name;
	char *tag_format;      /* contains "{id}" */
	char *hostname;        /* right-hand side of Message-IDs we make */

	/* [database] */
	char *conninfo;
	int connect_timeout;   /* seconds */
	int statement_timeout; /* milliseconds, 0 = none */
	int lock_timeout;      /* milliseconds, 0 = none */

	/* [deliver] */
	struct dm_limits limits;
	int deadline;          /* seconds, below the MTA's command time limit */
	char **charset_fallback; /* NULL-terminated */

	/* [log] */
	char *log_target;      /* "stderr" or "syslog" */
};

/* The file to read: CLI_PATH if given, else $DESKMAIL_CONFIG, else
 * $(sysconfdir)/deskmail/deskmail.conf.  Borrowed/static string. */
const char *dm_config_default_path(const char *cli_path);

/* Read and check PATH.  On failure returns NULL and sets ERROR to one line
 * "PATH: [group] key: problem".  Caller frees with dm_config_free(). */
struct dm_config *dm_config_load(const char *path, GError **error);

void dm_config_free(struct dm_config *cfg);
typedef struct dm_config DmConfig;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmConfig, dm_config_free)

/* The ticket tag for ticket ID, e.g. "[Support #17]".  Caller frees. */
char *dm_config_format_tag(const struct dm_config *cfg, gint64 id);

#define DM_CONFIG_ERROR (dm_config_error_quark())
GQuark dm_config_error_quark(void);

#endif
