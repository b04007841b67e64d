/* config.h - the deskmail configuration file (GKeyFile format).
 *
 * Every key is declared once in config.c with its type, bounds and default;
 * a key the table does not know, a value of the wrong form or an unreadable
 * file is an error that names the file, the key and the problem. */
#ifndef DM_CONFIG_H
#define DM_CONFIG_H

#include <glib.h>

#include "message.h"
#include "promise.h"

struct dm_config {
	char *path; /* the file it was read from */

	/* [desk] */
	char *support_address; /* normalised */
	char *support_name;
	char *tag_format;      /* contains "{id}" */
	char *hostname;        /* right-hand side of Message-IDs we make */
	char **own_addresses;  /* every address of ours: support_address first */
	char *default_language;
	char **languages;      /* the languages customers write in */
	char *topics_file;     /* topics, rules and urgency phrases */
	char *starter_model;   /* labelled mail db init trains an empty model from; "" for none */

	/* [database] */
	char *conninfo;
	int connect_timeout;   /* seconds */
	int statement_timeout; /* milliseconds, 0 = none */
	int lock_timeout;      /* milliseconds, 0 = none */
	gboolean prepared_statements; /* the service's connections: named prepared statements */

	/* [deliver] */
	struct dm_limits limits;
	int deadline;          /* seconds, below the MTA's command time limit */
	char **charset_fallback; /* NULL-terminated */

	/* [threading] */
	char *secret_file;
	GBytes *secret;        /* its content, for reply keys; NULL when loaded without */
	char *reply_separator; /* one character */
	int reopen_days;       /* replies reopen a closed ticket within this */

	/* [ack] */
	gboolean ack_enabled;
	gboolean ack_follow_ups; /* acknowledge later mail on an open ticket too */
	int ack_rate_limit;      /* acknowledgements per sender per period */
	int ack_rate_period;     /* seconds */
	char *template_dir;

	/* [hours] */
	char *timezone;
	char *opening_hours;
	char **holidays;
	int target_hours;      /* the report's measure; the due time is PROMISE */
	struct dm_promise_policy promise; /* answer_* (or a lone legacy target) */
	int remind_before;     /* seconds before the due time of the reminder; 0 = none */

	/* [outgoing] */
	char *sendmail;
	int retry_delay;         /* seconds before the first retry; doubles */
	int max_attempts;

	/* [agents] */
	char *default_team;
	char *trusted_authserv_id; /* "" = agents are recognised by reply keys only */
	char *escalation_address;  /* who hears of overdue tickets; "" = the team */

	/* [queues]: support address -> team, NULL-terminated pairs */
	char **queue_teams;

	/* [log] */
	char *log_target;      /* "stderr" or "syslog" */

	/* [server]: `deskmail serve` */
	struct {
		char *listen;          /* unix:PATH or HOST:PORT (loopback) */
		char *socket_mode;     /* octal mode of a socket file it creates */
		char **allowed_users;  /* peers (SO_PEERCRED) allowed; empty: any */
		int workers;           /* delivery processes = concurrent sessions */
		int max_deliveries;    /* a worker is replaced after this many */
		gsize max_rss;         /* ... or when its resident size passes this */
		int idle_timeout;      /* seconds a session may wait for the client */
		int max_recipients;    /* per transaction */
		gsize max_line;        /* bytes of one command line */
		int grace;             /* seconds to finish sessions on SIGTERM */
		int tick_interval;     /* seconds between runs of the desk's clock */
		int senders;           /* processes handing the outbox to the MTA */
	} server;
};

/* The file to read: CLI_PATH if given, else $DESKMAIL_CONFIG, else
 * $(sysconfdir)/deskmail/deskmail.conf.  Borrowed/static string. */
const char *dm_config_default_path(const char *cli_path);

/* Read and check PATH.  On failure returns NULL and sets ERROR to one line
 * "PATH: [group] key: problem".  Caller frees with dm_config_free(). */
struct dm_config *dm_config_load(const char *path, GError **error);

/* Like dm_config_load, but the secret file is not read (->secret stays
 * NULL): for the commands that make and check no reply keys, so that a
 * user who may not read the secret can still run them. */
struct dm_config *dm_config_load_without_secret(const char *path, GError **error);

void dm_config_free(struct dm_config *cfg);
typedef struct dm_config DmConfig;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmConfig, dm_config_free)

/* The team a queue (support address) maps to: [queues], else
 * [agents] default_team.  Borrowed. */
const char *dm_config_queue_team(const struct dm_config *cfg, const char *queue);

/* The separator of plus-addressed reply keys ('+'). */
char dm_config_separator(const struct dm_config *cfg);

/* The ticket tag for ticket ID, e.g. "[Support #17]".  Caller frees. */
char *dm_config_format_tag(const struct dm_config *cfg, gint64 id);

#define DM_CONFIG_ERROR (dm_config_error_quark())
GQuark dm_config_error_quark(void);

#endif
