/* config.c - load and validate the configuration file.
 *
 * The keys are a table: one row per key with its type, bounds and default.
 * Loading walks the file against the table, so an unknown key or group is
 * caught (a typo must not silently leave a default in force), and every
 * error comes out as one line naming file, group, key and problem. */
#include "dm-autoconf.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"

G_DEFINE_QUARK(dm-config-error-quark, dm_config_error)

enum key_type {
	KEY_STRING, KEY_ADDRESS, KEY_INT, KEY_SIZE, KEY_LIST, KEY_CHOICE, KEY_TAG, KEY_BOOL,
	KEY_DURATION, KEY_ADDRESS_LIST, KEY_PROMISE
};

struct key_spec {
	const char *group;
	const char *key;
	enum key_type type;
	size_t offset;       /* into struct dm_config */
	const char *def;     /* default, as it would be written in the file */
	gint64 min, max;     /* for KEY_INT and KEY_SIZE */
	const char *choices; /* for KEY_CHOICE: "a|b|c" */
};

#define OFF(field) offsetof(struct dm_config, field)

static const struct key_spec keys[] = {
	{ "desk", "support_address", KEY_ADDRESS, OFF(support_address), "support@localhost", 0, 0, NULL },
	{ "desk", "support_name", KEY_STRING, OFF(support_name), "Support", 0, 0, NULL },
	{ "desk", "tag_format", KEY_TAG, OFF(tag_format), "[Support #{id}]", 0, 0, NULL },
	{ "desk", "hostname", KEY_STRING, OFF(hostname), "", 0, 0, NULL },
	{ "desk", "other_addresses", KEY_ADDRESS_LIST, OFF(own_addresses), "", 0, 0, NULL },
	{ "desk", "default_language", KEY_CHOICE, OFF(default_language), "en", 0, 0, "sl|fi|hu|en" },
	{ "desk", "languages", KEY_LIST, OFF(languages), "sl;fi;hu;en", 0, 0, NULL },
	{ "desk", "topics", KEY_STRING, OFF(topics_file), SYSCONFDIR "/deskmail/topics.conf", 0, 0, NULL },
	{ "desk", "starter_model", KEY_STRING, OFF(starter_model), DATADIR "/deskmail/starter", 0, 0, NULL },
	{ "database", "conninfo", KEY_STRING, OFF(conninfo), "dbname=deskmail", 0, 0, NULL },
	{ "database", "connect_timeout", KEY_INT, OFF(connect_timeout), "10", 1, 3600, NULL },
	{ "database", "statement_timeout", KEY_INT, OFF(statement_timeout), "30000", 0, 3600000, NULL },
	{ "database", "lock_timeout", KEY_INT, OFF(lock_timeout), "10000", 0, 3600000, NULL },
	{ "database", "prepared_statements", KEY_BOOL, OFF(prepared_statements), "true", 0, 0, NULL },
	{ "deliver", "max_message_size", KEY_SIZE, OFF(limits.max_message_bytes), "50M", 1024, G_GINT64_CONSTANT(1) << 30, NULL },
	{ "deliver", "max_parts", KEY_INT, OFF(limits.max_parts), "10000", 1, 1000000, NULL },
	{ "deliver", "max_depth", KEY_INT, OFF(limits.max_depth), "100", 1, 10000, NULL },
	{ "deliver", "max_header_size", KEY_SIZE, OFF(limits.max_header_bytes), "64K", 256, G_GINT64_CONSTANT(1) << 30, NULL },
	{ "deliver", "max_text_size", KEY_SIZE, OFF(limits.max_text_bytes), "1M", 1024, G_GINT64_CONSTANT(1) << 30, NULL },
	{ "deliver", "deadline", KEY_INT, OFF(deadline), "300", 1, 86400, NULL },
	{ "deliver", "charset_fallback", KEY_LIST, OFF(charset_fallback), "utf-8;windows-1250;iso-8859-2;windows-1252", 0, 0, NULL },
	{ "threading", "secret_file", KEY_STRING, OFF(secret_file), SYSCONFDIR "/deskmail/secret", 0, 0, NULL },
	{ "threading", "reply_separator", KEY_CHOICE, OFF(reply_separator), "+", 0, 0, "+|=|_" },
	{ "threading", "reopen_days", KEY_INT, OFF(reopen_days), "14", 0, 3650, NULL },
	{ "ack", "enabled", KEY_BOOL, OFF(ack_enabled), "true", 0, 0, NULL },
	{ "ack", "follow_ups", KEY_BOOL, OFF(ack_follow_ups), "false", 0, 0, NULL },
	{ "ack", "rate_limit", KEY_INT, OFF(ack_rate_limit), "5", 0, 100000, NULL },
	{ "ack", "rate_period", KEY_DURATION, OFF(ack_rate_period), "1h", 1, 366 * 86400, NULL },
	{ "ack", "templates", KEY_STRING, OFF(template_dir), DATADIR "/deskmail/templates", 0, 0, NULL },
	{ "hours", "timezone", KEY_STRING, OFF(timezone), "Europe/Ljubljana", 0, 0, NULL },
	{ "hours", "opening", KEY_STRING, OFF(opening_hours), "mon-fri 09:00-17:00", 0, 0, NULL },
	{ "hours", "holidays", KEY_LIST, OFF(holidays), "", 0, 0, NULL },
	{ "hours", "target", KEY_INT, OFF(target_hours), "24", 0, 10000, NULL },
	{ "hours", "answer_urgent", KEY_PROMISE, OFF(promise.by_priority[DM_PRIORITY_URGENT]), "4 opening hours", 0, 0, NULL },
	{ "hours", "answer_high", KEY_PROMISE, OFF(promise.by_priority[DM_PRIORITY_HIGH]), "8 opening hours", 0, 0, NULL },
	{ "hours", "answer_normal", KEY_PROMISE, OFF(promise.by_priority[DM_PRIORITY_NORMAL]), "24 hours", 0, 0, NULL },
	{ "hours", "answer_low", KEY_PROMISE, OFF(promise.by_priority[DM_PRIORITY_LOW]), "24 hours", 0, 0, NULL },
	{ "hours", "answer_outside", KEY_PROMISE, OFF(promise.outside), "next-working-day-end", 0, 0, NULL },
	{ "hours", "remind_before", KEY_DURATION, OFF(remind_before), "2h", 0, 366 * 86400, NULL },
	{ "outgoing", "sendmail", KEY_STRING, OFF(sendmail), "/usr/sbin/sendmail", 0, 0, NULL },
	{ "outgoing", "retry_delay", KEY_DURATION, OFF(retry_delay), "5m", 1, 86400, NULL },
	{ "outgoing", "max_attempts", KEY_INT, OFF(max_attempts), "12", 1, 1000, NULL },
	{ "agents", "default_team", KEY_STRING, OFF(default_team), "first-line", 0, 0, NULL },
	{ "agents", "trusted_authserv_id", KEY_STRING, OFF(trusted_authserv_id), "", 0, 0, NULL },
	{ "agents", "escalation_address", KEY_STRING, OFF(escalation_address), "", 0, 0, NULL },
	{ "log", "target", KEY_CHOICE, OFF(log_target), "stderr", 0, 0, "stderr|syslog" },
	{ "server", "listen", KEY_STRING, OFF(server.listen), "unix:" RUNSTATEDIR "/deskmail/lmtp", 0, 0, NULL },
	{ "server", "socket_mode", KEY_STRING, OFF(server.socket_mode), "0660", 0, 0, NULL },
	{ "server", "allowed_users", KEY_LIST, OFF(server.allowed_users), "", 0, 0, NULL },
	{ "server", "workers", KEY_INT, OFF(server.workers), "4", 1, 256, NULL },
	{ "server", "max_deliveries", KEY_INT, OFF(server.max_deliveries), "10000", 1, 100000000, NULL },
	{ "server", "max_rss", KEY_SIZE, OFF(server.max_rss), "256M", 16 * 1024 * 1024, G_GINT64_CONSTANT(1) << 40, NULL },
	{ "server", "idle_timeout", KEY_DURATION, OFF(server.idle_timeout), "5m", 1, 86400, NULL },
	{ "server", "max_recipients", KEY_INT, OFF(server.max_recipients), "100", 1, 100000, NULL },
	{ "server", "max_line", KEY_SIZE, OFF(server.max_line), "4K", 512, 1024 * 1024, NULL },
	{ "server", "grace", KEY_DURATION, OFF(server.grace), "30s", 1, 3600, NULL },
	{ "server", "senders", KEY_INT, OFF(server.senders), "2", 1, 16, NULL },
	{ "server", "tick_interval", KEY_DURATION, OFF(server.tick_interval), "1m", 1, 3600, NULL },
};

const char *
dm_config_default_path(const char *cli_path)
{
	if (cli_path && *cli_path)
		return cli_path;
	const char *env = g_getenv("DESKMAIL_CONFIG");
	if (env && *env)
		return env;
	return SYSCONFDIR "/deskmail/deskmail.conf";
}

static gboolean
parse_size(const char *s, gint64 *out)
{
	char *end = NULL;
	errno = 0;
	gint64 v = g_ascii_strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return FALSE;
	gint64 mult = 1;
	switch (g_ascii_toupper(*end)) {
	case '\0': break;
	case 'K': mult = 1024; end++; break;
	case 'M': mult = 1024 * 1024; end++; break;
	case 'G': mult = 1024 * 1024 * 1024; end++; break;
	default: return FALSE;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end != '\0' || v > G_MAXINT64 / mult)
		return FALSE;
	*out = v * mult;
	return TRUE;
}

static gboolean
fail(GError **error, const char *path, const struct key_spec *k, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static gboolean
fail(GError **error, const char *path, const struct key_spec *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [%s] %s: %s", path, k->group, k->key, what);
	return FALSE;
}

static gboolean
set_address(char **out, const struct key_spec *k, char *v, const char *path, GError **error)
{
	if (*v == '\0' || strchr(v, '@') == NULL || v[0] == '@' || strrchr(v, '@')[1] == '\0' ||
	    strpbrk(v, " \t<>,;\"") != NULL)
		return fail(error, path, k, "not a mail address: '%s'", v);
	*out = dm_address_normalise(v);
	return TRUE;
}

static gboolean
set_choice(char **out, const struct key_spec *k, char *v, const char *path, GError **error)
{
	g_auto(GStrv) choices = g_strsplit(k->choices, "|", -1);
	if (!g_strv_contains((const char *const *) choices, v))
		return fail(error, path, k, "'%s' is not one of %s", v, k->choices);
	*out = g_strdup(v);
	return TRUE;
}

/* A list separated by ';' or ',', empty items dropped; with ADDRESSES
 * every item must be a mail address and is normalised. */
static gboolean
set_list(char ***out, const struct key_spec *k, const char *v, gboolean addresses, const char *path,
	 GError **error)
{
	g_auto(GStrv) parts = g_strsplit_set(v, ";,", -1);
	GPtrArray *list = g_ptr_array_new();
	for (char **p = parts; *p; p++) {
		g_strstrip(*p);
		if (**p == '\0')
			continue;
		if (addresses && (strchr(*p, '@') == NULL || strpbrk(*p, " \t<>\"") != NULL)) {
			g_ptr_array_free(list, TRUE);
			return fail(error, path, k, "not a mail address: '%s'", *p);
		}
		g_ptr_array_add(list, addresses ? dm_address_normalise(*p) : g_strdup(*p));
	}
	g_ptr_array_add(list, NULL);
	*out = (char **) g_ptr_array_free(list, FALSE);
	return TRUE;
}

static gboolean
set_bool(gboolean *out, const struct key_spec *k, const char *v, const char *path, GError **error)
{
	if (g_ascii_strcasecmp(v, "true") == 0 || g_ascii_strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0)
		*out = TRUE;
	else if (g_ascii_strcasecmp(v, "false") == 0 || g_ascii_strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0)
		*out = FALSE;
	else
		return fail(error, path, k, "not true or false: '%s'", v);
	return TRUE;
}

/* Seconds, or a number with s, m, h or d. */
static gboolean
set_duration(int *out, const struct key_spec *k, const char *v, const char *path, GError **error)
{
	char *end = NULL;
	errno = 0;
	gint64 n = g_ascii_strtoll(v, &end, 10);
	gint64 mult = 1;
	if (!errno && end != v) {
		switch (*end) {
		case '\0': case 's': break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: mult = 0; break;
		}
		if (*end && end[1] != '\0')
			mult = 0;
	}
	if (errno || end == v || mult == 0 || n < 0)
		return fail(error, path, k, "not a duration (seconds, or with s, m, h, d): '%s'", v);
	n *= mult;
	if (n < k->min || n > k->max)
		return fail(error, path, k, "%s is out of range %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " seconds",
			    v, k->min, k->max);
	*out = (int) n;
	return TRUE;
}

static gboolean
set_int(int *out, const struct key_spec *k, const char *v, const char *path, GError **error)
{
	char *end = NULL;
	errno = 0;
	gint64 n = g_ascii_strtoll(v, &end, 10);
	if (errno || end == v || *end != '\0')
		return fail(error, path, k, "not a whole number: '%s'", v);
	if (n < k->min || n > k->max)
		return fail(error, path, k, "%s is out of range %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT,
			    v, k->min, k->max);
	/* The limits struct mixes guint and int fields; both are 4 bytes. */
	*out = (int) n;
	return TRUE;
}

static gboolean
set_size(gsize *out, const struct key_spec *k, const char *v, const char *path, GError **error)
{
	gint64 n;
	if (!parse_size(v, &n))
		return fail(error, path, k, "not a size (bytes, or with K, M, G): '%s'", v);
	if (n < k->min || n > k->max)
		return fail(error, path, k, "%s is out of range %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " bytes",
			    v, k->min, k->max);
	*out = (gsize) n;
	return TRUE;
}

/* Store VALUE (the text of the key, or its default) into CFG. */
static gboolean
set_key(struct dm_config *cfg, const struct key_spec *k, const char *value, const char *path,
	GError **error)
{
	char *base = (char *) cfg + k->offset;
	g_autofree char *v = g_strstrip(g_strdup(value));

	switch (k->type) {
	case KEY_STRING:
		*(char **) base = g_steal_pointer(&v);
		return TRUE;
	case KEY_ADDRESS:
		return set_address((char **) base, k, v, path, error);
	case KEY_TAG:
		if (strstr(v, "{id}") == NULL)
			return fail(error, path, k, "must contain {id}: '%s'", v);
		*(char **) base = g_steal_pointer(&v);
		return TRUE;
	case KEY_CHOICE:
		return set_choice((char **) base, k, v, path, error);
	case KEY_LIST:
		return set_list((char ***) base, k, v, FALSE, path, error);
	case KEY_ADDRESS_LIST:
		return set_list((char ***) base, k, v, TRUE, path, error);
	case KEY_BOOL:
		return set_bool((gboolean *) base, k, v, path, error);
	case KEY_DURATION:
		return set_duration((int *) base, k, v, path, error);
	case KEY_INT:
		return set_int((int *) base, k, v, path, error);
	case KEY_SIZE:
		return set_size((gsize *) base, k, v, path, error);
	case KEY_PROMISE: {
		g_autoptr(GError) local = NULL;
		if (!dm_promise_rule_parse(v, (struct dm_promise_rule *) base, &local))
			return fail(error, path, k, "%s", local->message);
		return TRUE;
	}
	}
	return FALSE;
}

static const struct key_spec *
find_key(const char *group, const char *key)
{
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
		if (strcmp(keys[i].group, group) == 0 && strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

static gboolean
group_known(const char *group)
{
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
		if (strcmp(keys[i].group, group) == 0)
			return TRUE;
	return FALSE;
}

/* The reply-key secret: at least 16 bytes, and not readable by every
 * user on the machine (anyone holding it can forge reply keys). */
static gboolean
load_secret(struct dm_config *cfg, const char *path, GError **error)
{
	g_autoptr(GError) local = NULL;
	char *data = NULL;
	gsize len = 0;
	struct stat st;
	if (stat(cfg->secret_file, &st) == 0 && (st.st_mode & S_IROTH)) {
		g_set_error(error, DM_CONFIG_ERROR, 0,
			    "%s: [threading] secret_file: %s is readable by others (chmod o-r)", path,
			    cfg->secret_file);
		return FALSE;
	}
	if (!g_file_get_contents(cfg->secret_file, &data, &len, &local)) {
		g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [threading] secret_file: %s", path, local->message);
		return FALSE;
	}
	/* Trailing white space from an editor is not part of the secret. */
	while (len > 0 && g_ascii_isspace(data[len - 1]))
		len--;
	if (len < 16) {
		g_free(data);
		g_set_error(error, DM_CONFIG_ERROR, 0,
			    "%s: [threading] secret_file: %s holds fewer than 16 bytes", path, cfg->secret_file);
		return FALSE;
	}
	cfg->secret = g_bytes_new_take(data, len);
	return TRUE;
}

/* Unknown groups and keys first: they are the commonest mistake. */
static gboolean
check_names(GKeyFile *kf, const char *path, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	for (char **g = groups; *g; g++) {
		if (strcmp(*g, "queues") == 0)
			continue; /* its keys are addresses: read by read_queues */
		if (!group_known(*g)) {
			g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [%s]: unknown group", path, *g);
			return FALSE;
		}
		g_auto(GStrv) names = g_key_file_get_keys(kf, *g, NULL, NULL);
		for (char **k = names; names && *k; k++) {
			if (find_key(*g, *k) == NULL) {
				g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [%s] %s: unknown key", path, *g, *k);
				return FALSE;
			}
		}
	}
	return TRUE;
}

/* Before the answer_* keys, [hours] target alone set the due time of
 * every ticket in opening hours.  A file that still sets target and none
 * of answer_* keeps exactly that promise, so that an upgrade does not
 * change what the desk tells its customers behind the operator's back. */
static void
legacy_target(struct dm_config *cfg, GKeyFile *kf)
{
	static const char *const answer_keys[] = { "answer_urgent", "answer_high", "answer_normal", "answer_low",
						   "answer_outside" };
	if (!g_key_file_has_key(kf, "hours", "target", NULL))
		return;
	for (gsize i = 0; i < G_N_ELEMENTS(answer_keys); i++)
		if (g_key_file_has_key(kf, "hours", answer_keys[i], NULL))
			return;
	for (int p = 0; p < DM_PRIORITY_COUNT; p++)
		cfg->promise.by_priority[p] =
			(struct dm_promise_rule) { DM_PROMISE_OPENING, (gint64) cfg->target_hours * 3600 };
}

/* Every key of the table, from the file or its default. */
static gboolean
read_keys(struct dm_config *cfg, GKeyFile *kf, const char *path, GError **error)
{
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
		const struct key_spec *k = &keys[i];
		g_autofree char *value = NULL;
		if (g_key_file_has_key(kf, k->group, k->key, NULL)) {
			g_autoptr(GError) local = NULL;
			value = g_key_file_get_string(kf, k->group, k->key, &local);
			if (value == NULL)
				return fail(error, path, k, "%s", local->message);
		} else {
			value = g_strdup(k->def);
		}
		if (!set_key(cfg, k, value, path, error))
			return FALSE;
	}
	legacy_target(cfg, kf);
	if (cfg->hostname[0] == '\0') {
		g_free(cfg->hostname);
		const char *at = strchr(cfg->support_address, '@');
		cfg->hostname = g_strdup(at ? at + 1 : "localhost");
	}
	return TRUE;
}

/* [queues]: ADDRESS = TEAM.  Each address is one of ours. */
static gboolean
read_queues(struct dm_config *cfg, GKeyFile *kf, const char *path, GError **error)
{
	GPtrArray *pairs = g_ptr_array_new();
	g_auto(GStrv) qkeys = g_key_file_get_keys(kf, "queues", NULL, NULL);
	for (char **k = qkeys; qkeys && *k; k++) {
		g_autofree char *team = g_key_file_get_string(kf, "queues", *k, NULL);
		if (strchr(*k, '@') == NULL || team == NULL || *g_strstrip(team) == '\0') {
			g_ptr_array_free(pairs, TRUE);
			g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [queues] %s: want ADDRESS = TEAM", path, *k);
			return FALSE;
		}
		g_ptr_array_add(pairs, dm_address_normalise(*k));
		g_ptr_array_add(pairs, g_steal_pointer(&team));
	}
	g_ptr_array_add(pairs, NULL);
	cfg->queue_teams = (char **) g_ptr_array_free(pairs, FALSE);
	return TRUE;
}

/* support_address first, then the other addresses and the queues', each
 * once. */
static void
collect_own_addresses(struct dm_config *cfg)
{
	GPtrArray *own = g_ptr_array_new();
	g_ptr_array_add(own, g_strdup(cfg->support_address));
	for (char **a = cfg->own_addresses; a && *a; a++)
		if (strcmp(*a, cfg->support_address) != 0)
			g_ptr_array_add(own, g_strdup(*a));
	for (char **q = cfg->queue_teams; *q; q += 2) {
		gboolean dup = FALSE;
		for (guint i = 0; i < own->len; i++)
			dup |= strcmp(own->pdata[i], *q) == 0;
		if (!dup)
			g_ptr_array_add(own, g_strdup(*q));
	}
	g_ptr_array_add(own, NULL);
	g_strfreev(cfg->own_addresses);
	cfg->own_addresses = (char **) g_ptr_array_free(own, FALSE);
}

static gboolean
check_languages(const struct dm_config *cfg, const char *path, GError **error)
{
	for (char **l = cfg->languages; *l; l++) {
		if (strcmp(*l, "sl") && strcmp(*l, "fi") && strcmp(*l, "hu") && strcmp(*l, "en")) {
			g_set_error(error, DM_CONFIG_ERROR, 0,
				    "%s: [desk] languages: unsupported language '%s' (sl, fi, hu, en)", path, *l);
			return FALSE;
		}
	}
	return TRUE;
}

/* A password in the file: the file must not be readable by others. */
static gboolean
check_password_mode(const struct dm_config *cfg, const char *path, GError **error)
{
	struct stat st;
	g_autofree char *lower = g_ascii_strdown(cfg->conninfo, -1);
	if (strstr(lower, "password") && stat(path, &st) == 0 && (st.st_mode & S_IROTH)) {
		g_set_error(error, DM_CONFIG_ERROR, 0,
			    "%s: [database] conninfo: holds a password but the file is readable by others "
			    "(chmod o-r, or use ~/.pgpass)", path);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_charsets(const struct dm_config *cfg, const char *path, GError **error)
{
	if (cfg->charset_fallback[0] == NULL) {
		g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [deliver] charset_fallback: the list is empty",
			    path);
		return FALSE;
	}
	for (char **cs = cfg->charset_fallback; *cs; cs++) {
		GIConv cd = g_iconv_open("UTF-8", *cs);
		if (cd == (GIConv) -1) {
			g_set_error(error, DM_CONFIG_ERROR, 0,
				    "%s: [deliver] charset_fallback: unknown charset '%s'", path, *cs);
			return FALSE;
		}
		g_iconv_close(cd);
	}
	return TRUE;
}

static struct dm_config *
load(const char *path, gboolean with_secret, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) local = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &local)) {
		g_set_error(error, DM_CONFIG_ERROR, 0, "%s: cannot read configuration: %s", path,
			    local->message);
		return NULL;
	}
	if (!check_names(kf, path, error))
		return NULL;
	g_autoptr(DmConfig) cfg = g_new0(struct dm_config, 1);
	cfg->path = g_strdup(path);
	dm_limits_init_defaults(&cfg->limits);
	if (!read_keys(cfg, kf, path, error) || !read_queues(cfg, kf, path, error))
		return NULL;
	collect_own_addresses(cfg);
	if (!check_languages(cfg, path, error))
		return NULL;
	if (with_secret && !load_secret(cfg, path, error))
		return NULL;
	if (!check_password_mode(cfg, path, error) || !check_charsets(cfg, path, error))
		return NULL;
	return g_steal_pointer(&cfg);
}

struct dm_config *
dm_config_load(const char *path, GError **error)
{
	return load(path, TRUE, error);
}

struct dm_config *
dm_config_load_without_secret(const char *path, GError **error)
{
	return load(path, FALSE, error);
}

void
dm_config_free(struct dm_config *cfg)
{
	if (cfg == NULL)
		return;
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
		char *base = (char *) cfg + keys[i].offset;
		switch (keys[i].type) {
		case KEY_STRING: case KEY_ADDRESS: case KEY_TAG: case KEY_CHOICE:
			g_free(*(char **) base);
			break;
		case KEY_LIST: case KEY_ADDRESS_LIST:
			g_strfreev(*(char ***) base);
			break;
		default:
			break;
		}
	}
	g_strfreev(cfg->queue_teams);
	g_free(cfg->path);
	if (cfg->secret)
		g_bytes_unref(cfg->secret);
	g_free(cfg);
}

const char *
dm_config_queue_team(const struct dm_config *cfg, const char *queue)
{
	for (char **q = cfg->queue_teams; q && *q; q += 2)
		if (queue && g_ascii_strcasecmp(*q, queue) == 0)
			return q[1];
	return cfg->default_team;
}

char
dm_config_separator(const struct dm_config *cfg)
{
	return cfg->reply_separator ? cfg->reply_separator[0] : '+';
}

char *
dm_config_format_tag(const struct dm_config *cfg, gint64 id)
{
	g_autofree char *num = g_strdup_printf("%" G_GINT64_FORMAT, id);
	g_auto(GStrv) parts = g_strsplit(cfg->tag_format, "{id}", -1);
	return g_strjoinv(num, parts);
}
