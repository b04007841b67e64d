/* test-config.c - unit tests for the configuration file (src/config.h).
 *
 * Each test writes its file into a temporary directory made for the run
 * and removed after it, together with the reply-key secret every valid
 * file must name.  The tables drive most of it: files that load with the
 * defaults, values that must be taken as written, and broken files with
 * the exact one-line error each must give.  The tests after them cover
 * the secret file, the default path and the ticket tag. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "config.h"
#include "table-tests.h"

#define MIB ((gsize) 1024 * 1024)

#define SECRET "0123456789abcdef0123"

static char *tmp_dir;
static char *conf_path;   /* every test's file, in tmp_dir */
static char *secret_path; /* the secret it names, in tmp_dir */

/* Helpers. */

static void
write_file(const char *path, const char *text, int mode)
{
	GError *err = NULL;

	if (!g_file_set_contents(path, text, -1, &err))
		fail_msg("cannot write %s: %s", path, err->message);
	if (g_chmod(path, mode) != 0)
		fail_msg("cannot chmod %s: %s", path, g_strerror(errno));
}

/* Write TEXT as the file, exactly. */
static void
write_raw(const char *text)
{
	write_file(conf_path, text, 0600);
}

/* Write TEXT as the file, with the secret a file must name to load. */
static void
write_conf(const char *text)
{
	char *full = g_strdup_printf("%s\n[threading]\nsecret_file = %s\n", text, secret_path);

	write_raw(full);
	g_free(full);
}

/* Load TEXT as a configuration file; it must be accepted. */
static struct dm_config *
load_ok(const char *text)
{
	GError *err = NULL;
	struct dm_config *cfg;

	write_conf(text);
	cfg = dm_config_load(conf_path, &err);
	if (cfg == NULL)
		fail_msg("rejected: %s\n--- file:\n%s", err->message, text);
	assert_null(err);
	return cfg;
}

/* Load the file at PATH; it must be refused with one line starting with
 * "PATH: " and going on with WANT (whole) or WANT_PREFIX (a start). */
static void
assert_refused(const char *path, const char *want, const char *want_prefix)
{
	GError *err = NULL;
	struct dm_config *cfg = dm_config_load(path, &err);
	char *expect;

	if (cfg != NULL)
		fail_msg("%s was accepted", path);
	assert_non_null(err);
	assert_int_equal(err->domain, DM_CONFIG_ERROR);
	if (strchr(err->message, '\n') != NULL)
		fail_msg("error is more than one line: \"%s\"", err->message);
	if (want) {
		expect = g_strdup_printf("%s: %s", path, want);
		assert_string_equal(err->message, expect);
	} else {
		expect = g_strdup_printf("%s: %s", path, want_prefix);
		if (!g_str_has_prefix(err->message, expect))
			fail_msg("\"%s\" does not start with \"%s\"", err->message, expect);
		/* Something must follow the prefix: the reason. */
		assert_true(strlen(err->message) > strlen(expect));
	}
	g_free(expect);
	g_error_free(err);
}

static guint
strv_len(char **v)
{
	return v ? g_strv_length(v) : 0;
}

/* Files that set nothing but the secret, and so give every default. */

static const char *const minimal_files[] = {
	"",
	"# deskmail.conf\n\n# Nothing set.\n",
	"[desk]\n[database]\n[deliver]\n[log]\n",
};

static void
test_defaults(void **state G_GNUC_UNUSED)
{
	for (gsize i = 0; i < G_N_ELEMENTS(minimal_files); i++) {
		struct dm_config *cfg = load_ok(minimal_files[i]);

		assert_string_equal(cfg->path, conf_path);
		assert_string_equal(cfg->support_address, "support@localhost");
		assert_string_equal(cfg->support_name, "Support");
		assert_string_equal(cfg->tag_format, "[Support #{id}]");
		/* The domain of the support address. */
		assert_string_equal(cfg->hostname, "localhost");
		assert_string_equal(cfg->conninfo, "dbname=deskmail");
		assert_int_equal(cfg->connect_timeout, 10);
		assert_int_equal(cfg->statement_timeout, 30000);
		assert_int_equal(cfg->lock_timeout, 10000);
		assert_int_equal(cfg->limits.max_message_bytes, 50 * MIB);
		assert_int_equal(cfg->limits.max_parts, 10000);
		assert_int_equal(cfg->limits.max_depth, 100);
		assert_int_equal(cfg->limits.max_header_bytes, 64 * 1024);
		assert_int_equal(cfg->limits.max_text_bytes, MIB);
		assert_int_equal(cfg->deadline, 300);
		assert_int_equal(strv_len(cfg->charset_fallback), 4);
		assert_string_equal(cfg->charset_fallback[0], "utf-8");
		assert_string_equal(cfg->charset_fallback[1], "windows-1250");
		assert_string_equal(cfg->charset_fallback[2], "iso-8859-2");
		assert_string_equal(cfg->charset_fallback[3], "windows-1252");
		assert_string_equal(cfg->log_target, "stderr");
		/* The desks' promise (src/promise.h). */
		struct dm_promise_policy def;
		dm_promise_policy_default(&def);
		for (int p = 0; p < DM_PRIORITY_COUNT; p++) {
			assert_int_equal(cfg->promise.by_priority[p].kind, def.by_priority[p].kind);
			assert_int_equal(cfg->promise.by_priority[p].seconds, def.by_priority[p].seconds);
		}
		assert_int_equal(cfg->promise.outside.kind, DM_PROMISE_DAY_END);
		assert_int_equal(def.by_priority[DM_PRIORITY_NORMAL].seconds, 24 * 3600);
		assert_int_equal(cfg->target_hours, 24);
		dm_config_free(cfg);
	}
}

/* The answer-by keys, and the lone legacy target that still sets every
 * priority's due time in opening hours. */
static void
test_promise_keys(void **state G_GNUC_UNUSED)
{
	struct dm_config *cfg = load_ok("[hours]\nanswer_urgent = 2 opening hours\nanswer_high = 1 day\n"
					"answer_normal = 30h\nanswer_low = next-working-day-end\n"
					"answer_outside = 36 hours\n");
	const struct dm_promise_rule *r = cfg->promise.by_priority;
	assert_int_equal(r[DM_PRIORITY_URGENT].kind, DM_PROMISE_OPENING);
	assert_int_equal(r[DM_PRIORITY_URGENT].seconds, 7200);
	assert_int_equal(r[DM_PRIORITY_HIGH].kind, DM_PROMISE_ELAPSED);
	assert_int_equal(r[DM_PRIORITY_HIGH].seconds, 86400);
	assert_int_equal(r[DM_PRIORITY_NORMAL].seconds, 30 * 3600);
	assert_int_equal(r[DM_PRIORITY_LOW].kind, DM_PROMISE_DAY_END);
	assert_int_equal(cfg->promise.outside.kind, DM_PROMISE_ELAPSED);
	assert_int_equal(cfg->promise.outside.seconds, 36 * 3600);
	dm_config_free(cfg);

	cfg = load_ok("[hours]\ntarget = 16\n");
	for (int p = 0; p < DM_PRIORITY_COUNT; p++) {
		assert_int_equal(cfg->promise.by_priority[p].kind, DM_PROMISE_OPENING);
		assert_int_equal(cfg->promise.by_priority[p].seconds, 16 * 3600);
	}
	dm_config_free(cfg);

	/* With any answer_* key, target is only the report's measure. */
	cfg = load_ok("[hours]\ntarget = 16\nanswer_urgent = 1 opening hour\n");
	assert_int_equal(cfg->target_hours, 16);
	assert_int_equal(cfg->promise.by_priority[DM_PRIORITY_URGENT].seconds, 3600);
	assert_int_equal(cfg->promise.by_priority[DM_PRIORITY_NORMAL].kind, DM_PROMISE_ELAPSED);
	assert_int_equal(cfg->promise.by_priority[DM_PRIORITY_NORMAL].seconds, 24 * 3600);
	dm_config_free(cfg);
}

/* Every key set: every value is taken as written. */
static void
test_all_keys_set(void **state G_GNUC_UNUSED)
{
	struct dm_config *cfg = load_ok(
		"# A full file.\n"
		"[desk]\n"
		"support_address = help@desk.example.org\n"
		"support_name = Example Help Desk\n"
		"tag_format = {id}/HD\n"
		"hostname = mx.example.org\n"
		"\n"
		"[database]\n"
		"conninfo = host=db.example.org dbname=desk user=deskmail\n"
		"connect_timeout = 5\n"
		"statement_timeout = 0\n"
		"lock_timeout = 2500\n"
		"\n"
		"[deliver]\n"
		"max_message_size = 2K\n"
		"max_parts = 50\n"
		"max_depth = 7\n"
		"max_header_size = 1MiB\n"
		"max_text_size = 3MB\n"
		"deadline = 60\n"
		"charset_fallback = utf-8, iso-8859-1 ;windows-1252\n"
		"\n"
		"[log]\n"
		"target = syslog\n");

	assert_string_equal(cfg->support_address, "help@desk.example.org");
	assert_string_equal(cfg->support_name, "Example Help Desk");
	assert_string_equal(cfg->tag_format, "{id}/HD");
	assert_string_equal(cfg->hostname, "mx.example.org");
	assert_string_equal(cfg->conninfo, "host=db.example.org dbname=desk user=deskmail");
	assert_int_equal(cfg->connect_timeout, 5);
	assert_int_equal(cfg->statement_timeout, 0);
	assert_int_equal(cfg->lock_timeout, 2500);
	assert_int_equal(cfg->limits.max_message_bytes, 2048);
	assert_int_equal(cfg->limits.max_parts, 50);
	assert_int_equal(cfg->limits.max_depth, 7);
	assert_int_equal(cfg->limits.max_header_bytes, MIB);
	assert_int_equal(cfg->limits.max_text_bytes, 3 * MIB);
	assert_int_equal(cfg->deadline, 60);
	/* Either separator; blanks around the names are dropped. */
	assert_int_equal(strv_len(cfg->charset_fallback), 3);
	assert_string_equal(cfg->charset_fallback[0], "utf-8");
	assert_string_equal(cfg->charset_fallback[1], "iso-8859-1");
	assert_string_equal(cfg->charset_fallback[2], "windows-1252");
	assert_string_equal(cfg->log_target, "syslog");
	dm_config_free(cfg);
}

/* The support address is normalised, and the host name for Message-IDs
 * comes from its domain unless it is set. */
static void
test_support_address(void **state G_GNUC_UNUSED)
{
	struct dm_config *cfg = load_ok("[desk]\nsupport_address =   Help@Desk.Example.ORG  \n");

	assert_string_equal(cfg->support_address, "help@desk.example.org");
	assert_string_equal(cfg->hostname, "desk.example.org");
	dm_config_free(cfg);

	cfg = load_ok("[desk]\nsupport_address = help@example.org\nhostname =\n");
	assert_string_equal(cfg->hostname, "example.org");
	dm_config_free(cfg);

	cfg = load_ok("[desk]\nhostname = mx.example.net\nsupport_address = help@example.org\n");
	assert_string_equal(cfg->hostname, "mx.example.net");
	dm_config_free(cfg);
}

/* Sizes: plain bytes, or K, M, G (either case) with an optional "B" or
 * "iB", all powers of 1024. */

struct size_case {
	const char *value;
	gsize want;
};

static const struct size_case size_cases[] = {
	{ "1024", 1024 },
	{ "2K", 2048 },
	{ "2k", 2048 },
	{ "2KB", 2048 },
	{ "2KiB", 2048 },
	{ "1M", MIB },
	{ "1m", MIB },
	{ "1MB", MIB },
	{ "1MiB", MIB },
	{ "50M", 50 * MIB },
	{ "1G", 1024 * MIB },
	{ "  3K  ", 3072 },
};

static void
test_sizes(void **state G_GNUC_UNUSED)
{
	for (gsize i = 0; i < G_N_ELEMENTS(size_cases); i++) {
		char *text = g_strdup_printf("[deliver]\nmax_message_size = %s\n", size_cases[i].value);
		struct dm_config *cfg = load_ok(text);

		if (cfg->limits.max_message_bytes != size_cases[i].want)
			fail_msg("'%s' gave %" G_GSIZE_FORMAT ", not %" G_GSIZE_FORMAT,
				 size_cases[i].value, cfg->limits.max_message_bytes,
				 size_cases[i].want);
		dm_config_free(cfg);
		g_free(text);
	}
}

/* The ends of every range are themselves allowed. */

struct bound_case {
	const char *text;
	size_t offset; /* of an int in struct dm_config */
	int want;
};

#define AT(field) offsetof(struct dm_config, field)

static const struct bound_case bound_cases[] = {
	{ "[database]\nconnect_timeout = 1\n", AT(connect_timeout), 1 },
	{ "[database]\nconnect_timeout = 3600\n", AT(connect_timeout), 3600 },
	{ "[database]\nstatement_timeout = 3600000\n", AT(statement_timeout), 3600000 },
	{ "[database]\nlock_timeout = 0\n", AT(lock_timeout), 0 },
	{ "[deliver]\ndeadline = 1\n", AT(deadline), 1 },
	{ "[deliver]\ndeadline = 86400\n", AT(deadline), 86400 },
	{ "[deliver]\ndeadline = +42\n", AT(deadline), 42 },
};

static void
test_bounds(void **state G_GNUC_UNUSED)
{
	for (gsize i = 0; i < G_N_ELEMENTS(bound_cases); i++) {
		struct dm_config *cfg = load_ok(bound_cases[i].text);
		int got = *(int *) ((char *) cfg + bound_cases[i].offset);

		if (got != bound_cases[i].want)
			fail_msg("%s gave %d", bound_cases[i].text, got);
		dm_config_free(cfg);
	}

	struct dm_config *cfg = load_ok("[deliver]\nmax_parts = 1000000\nmax_depth = 1\n"
					"max_header_size = 256\nmax_text_size = 1G\n");
	assert_int_equal(cfg->limits.max_parts, 1000000);
	assert_int_equal(cfg->limits.max_depth, 1);
	assert_int_equal(cfg->limits.max_header_bytes, 256);
	assert_int_equal(cfg->limits.max_text_bytes, 1024 * MIB);
	dm_config_free(cfg);
}

/* Broken files: each row is a test, with the error after "PATH: ". */

struct error_case {
	const char *name;
	const char *text;
	const char *want;
};

static const struct error_case error_cases[] = {
	{ "unknown group", "[desk]\nsupport_name = Help\n[mail]\nfrom = x\n",
	  "[mail]: unknown group" },
	{ "unknown key", "[desk]\ncolour = red\n",
	  "[desk] colour: unknown key" },
	{ "key in the wrong group", "[deliver]\nsupport_address = help@example.org\n",
	  "[deliver] support_address: unknown key" },
	{ "key name in capitals", "[log]\nTarget = syslog\n",
	  "[log] Target: unknown key" },
	/* The unknown group is reported before a bad value in a known one. */
	{ "unknown group after a bad value", "[deliver]\ndeadline = soon\n[Desk]\n",
	  "[Desk]: unknown group" },

	{ "answer-by rule without a unit", "[hours]\nanswer_high = 8\n",
	  "[hours] answer_high: '8': want e.g. '24 hours', '8 opening hours' or 'next-working-day-end'" },
	{ "answer-by rule in opening days", "[hours]\nanswer_low = 2 opening days\n",
	  "[hours] answer_low: '2 opening days': opening time is counted in hours or minutes "
	  "(or use 'next-working-day-end')" },
	{ "unknown answer-by key", "[hours]\nanswer_critical = 1h\n",
	  "[hours] answer_critical: unknown key" },

	{ "not a whole number", "[deliver]\ndeadline = soon\n",
	  "[deliver] deadline: not a whole number: 'soon'" },
	{ "number with a unit", "[deliver]\ndeadline = 5m\n",
	  "[deliver] deadline: not a whole number: '5m'" },
	{ "fraction", "[database]\nconnect_timeout = 1.5\n",
	  "[database] connect_timeout: not a whole number: '1.5'" },
	{ "empty number", "[deliver]\nmax_parts =\n",
	  "[deliver] max_parts: not a whole number: ''" },
	{ "number too big for 64 bits", "[deliver]\nmax_parts = 99999999999999999999\n",
	  "[deliver] max_parts: not a whole number: '99999999999999999999'" },

	{ "below the range", "[deliver]\ndeadline = 0\n",
	  "[deliver] deadline: 0 is out of range 1..86400" },
	{ "above the range", "[deliver]\ndeadline = 86401\n",
	  "[deliver] deadline: 86401 is out of range 1..86400" },
	{ "negative", "[database]\nstatement_timeout = -1\n",
	  "[database] statement_timeout: -1 is out of range 0..3600000" },
	{ "connect timeout above", "[database]\nconnect_timeout = 3601\n",
	  "[database] connect_timeout: 3601 is out of range 1..3600" },

	{ "not a size", "[deliver]\nmax_message_size = lots\n",
	  "[deliver] max_message_size: not a size (bytes, or with K, M, G): 'lots'" },
	{ "size with an unknown unit", "[deliver]\nmax_message_size = 10X\n",
	  "[deliver] max_message_size: not a size (bytes, or with K, M, G): '10X'" },
	{ "size with a blank before the unit", "[deliver]\nmax_text_size = 10 M\n",
	  "[deliver] max_text_size: not a size (bytes, or with K, M, G): '10 M'" },
	{ "negative size", "[deliver]\nmax_message_size = -5K\n",
	  "[deliver] max_message_size: not a size (bytes, or with K, M, G): '-5K'" },
	{ "size with trailing junk", "[deliver]\nmax_header_size = 64KiBs\n",
	  "[deliver] max_header_size: not a size (bytes, or with K, M, G): '64KiBs'" },
	{ "size above the range", "[deliver]\nmax_message_size = 2G\n",
	  "[deliver] max_message_size: 2G is out of range 1024..1073741824 bytes" },
	{ "size below the range", "[deliver]\nmax_message_size = 512\n",
	  "[deliver] max_message_size: 512 is out of range 1024..1073741824 bytes" },
	{ "header size below the range", "[deliver]\nmax_header_size = 255\n",
	  "[deliver] max_header_size: 255 is out of range 256..1073741824 bytes" },
	{ "size overflowing", "[deliver]\nmax_message_size = 9999999999999999G\n",
	  "[deliver] max_message_size: not a size (bytes, or with K, M, G): '9999999999999999G'" },

	{ "bad log target", "[log]\ntarget = file\n",
	  "[log] target: 'file' is not one of stderr|syslog" },
	{ "empty log target", "[log]\ntarget =\n",
	  "[log] target: '' is not one of stderr|syslog" },

	{ "tag without {id}", "[desk]\ntag_format = [Support]\n",
	  "[desk] tag_format: must contain {id}: '[Support]'" },
	{ "tag with {ID}", "[desk]\ntag_format = [Support #{ID}]\n",
	  "[desk] tag_format: must contain {id}: '[Support #{ID}]'" },

	{ "address without @", "[desk]\nsupport_address = support\n",
	  "[desk] support_address: not a mail address: 'support'" },
	{ "address with a name", "[desk]\nsupport_address = Support <support@example.org>\n",
	  "[desk] support_address: not a mail address: 'Support <support@example.org>'" },
	{ "two addresses", "[desk]\nsupport_address = a@example.org,b@example.org\n",
	  "[desk] support_address: not a mail address: 'a@example.org,b@example.org'" },
	{ "empty address", "[desk]\nsupport_address =\n",
	  "[desk] support_address: not a mail address: ''" },

	{ "unknown charset", "[deliver]\ncharset_fallback = utf-8;x-no-such-charset\n",
	  "[deliver] charset_fallback: unknown charset 'x-no-such-charset'" },
	{ "empty charset list", "[deliver]\ncharset_fallback = ; ,\n",
	  "[deliver] charset_fallback: the list is empty" },
};

static void
test_error_case(void **state)
{
	const struct error_case *c = *state;

	write_conf(c->text);
	assert_refused(conf_path, c->want, NULL);
}

/* Files that cannot be read at all. */
static void
test_unreadable(void **state G_GNUC_UNUSED)
{
	char *missing = g_build_filename(tmp_dir, "missing.conf", NULL);
	char *want = g_strdup_printf("cannot read configuration: %s", g_strerror(ENOENT));

	assert_refused(missing, want, NULL);
	g_free(want);
	g_free(missing);

	/* A directory opens but is not a file. */
	assert_refused(tmp_dir, NULL, "cannot read configuration: ");

	/* Not in key file syntax. */
	write_raw("support_address = help@example.org\n");
	assert_refused(conf_path, NULL, "cannot read configuration: ");
	write_raw("[desk\n");
	assert_refused(conf_path, NULL, "cannot read configuration: ");
}

/* The reply-key secret: at least 16 bytes once trailing blanks are cut,
 * and not readable by others. */
static void
test_secret(void **state G_GNUC_UNUSED)
{
	char *other = g_build_filename(tmp_dir, "other-secret", NULL);
	char *text = g_strdup_printf("[threading]\nsecret_file = %s\n", other);
	char *want;
	struct dm_config *cfg;

	cfg = load_ok("");
	assert_string_equal(cfg->secret_file, secret_path);
	assert_non_null(cfg->secret);
	assert_int_equal(g_bytes_get_size(cfg->secret), strlen(SECRET));
	assert_memory_equal(g_bytes_get_data(cfg->secret, NULL), SECRET, strlen(SECRET));
	dm_config_free(cfg);

	/* Exactly 16 bytes, and the line break an editor adds. */
	write_file(other, "0123456789abcdef \n\n", 0600);
	write_raw(text);
	cfg = dm_config_load(conf_path, NULL);
	assert_non_null(cfg);
	assert_int_equal(g_bytes_get_size(cfg->secret), 16);
	dm_config_free(cfg);

	write_file(other, "0123456789abcde\n", 0600);
	want = g_strdup_printf("[threading] secret_file: %s holds fewer than 16 bytes", other);
	assert_refused(conf_path, want, NULL);
	g_free(want);

	write_file(other, SECRET "\n", 0644);
	want = g_strdup_printf("[threading] secret_file: %s is readable by others (chmod o-r)", other);
	assert_refused(conf_path, want, NULL);
	g_free(want);

	g_remove(other);
	assert_refused(conf_path, NULL, "[threading] secret_file: ");

	g_free(text);
	g_free(other);
}

/* ERROR may be NULL. */
static void
test_error_may_be_null(void **state G_GNUC_UNUSED)
{
	write_conf("[desk]\ncolour = red\n");
	assert_null(dm_config_load(conf_path, NULL));
	write_conf("[deliver]\ndeadline = 0\n");
	assert_null(dm_config_load(conf_path, NULL));
	/* And freeing nothing is allowed. */
	dm_config_free(NULL);
}

/* The default path: the command line, then $DESKMAIL_CONFIG, then the
 * file under sysconfdir. */

static char *saved_env;

static int
env_setup(void **state G_GNUC_UNUSED)
{
	saved_env = g_strdup(g_getenv("DESKMAIL_CONFIG"));
	return 0;
}

static int
env_teardown(void **state G_GNUC_UNUSED)
{
	if (saved_env)
		g_setenv("DESKMAIL_CONFIG", saved_env, TRUE);
	else
		g_unsetenv("DESKMAIL_CONFIG");
	g_free(saved_env);
	saved_env = NULL;
	return 0;
}

static void
test_default_path(void **state G_GNUC_UNUSED)
{
	const char *sys = SYSCONFDIR "/deskmail/deskmail.conf";

	g_unsetenv("DESKMAIL_CONFIG");
	assert_string_equal(dm_config_default_path(NULL), sys);
	assert_true(g_str_has_suffix(dm_config_default_path(NULL), "/deskmail/deskmail.conf"));
	assert_string_equal(dm_config_default_path(""), sys);
	assert_string_equal(dm_config_default_path("/srv/cli.conf"), "/srv/cli.conf");

	g_setenv("DESKMAIL_CONFIG", "/srv/env.conf", TRUE);
	assert_string_equal(dm_config_default_path(NULL), "/srv/env.conf");
	assert_string_equal(dm_config_default_path(""), "/srv/env.conf");
	assert_string_equal(dm_config_default_path("/srv/cli.conf"), "/srv/cli.conf");

	/* An empty variable counts as unset. */
	g_setenv("DESKMAIL_CONFIG", "", TRUE);
	assert_string_equal(dm_config_default_path(NULL), sys);
	assert_string_equal(dm_config_default_path("/srv/cli.conf"), "/srv/cli.conf");
}

/* The ticket tag. */

struct tag_case {
	const char *format;
	gint64 id;
	const char *want;
};

static const struct tag_case tag_cases[] = {
	{ "[Support #{id}]", 17, "[Support #17]" },
	{ "[Support #{id}]", 0, "[Support #0]" },
	{ "[Support #{id}]", G_MAXINT64, "[Support #9223372036854775807]" },
	{ "{id}/HD", 17, "17/HD" },
	{ "{id}", 123456789, "123456789" },
	{ "{id}-{id}", 5, "5-5" },
	{ "[{ID} {id}]", 8, "[{ID} 8]" },
};

static void
test_format_tag(void **state G_GNUC_UNUSED)
{
	for (gsize i = 0; i < G_N_ELEMENTS(tag_cases); i++) {
		/* Only tag_format is read. */
		struct dm_config cfg = { .tag_format = (char *) tag_cases[i].format };
		char *tag = dm_config_format_tag(&cfg, tag_cases[i].id);

		assert_string_equal(tag, tag_cases[i].want);
		g_free(tag);
	}
}

/* The same through a loaded file, default and custom. */
static void
test_format_tag_loaded(void **state G_GNUC_UNUSED)
{
	struct dm_config *cfg = load_ok("");
	char *tag = dm_config_format_tag(cfg, 17);

	assert_string_equal(tag, "[Support #17]");
	g_free(tag);
	dm_config_free(cfg);

	cfg = load_ok("[desk]\ntag_format = {id}/HD\n");
	tag = dm_config_format_tag(cfg, 17);
	assert_string_equal(tag, "17/HD");
	g_free(tag);
	dm_config_free(cfg);
}

static int
group_setup(void **state G_GNUC_UNUSED)
{
	GError *err = NULL;

	tmp_dir = g_dir_make_tmp("deskmail-test-config-XXXXXX", &err);
	if (tmp_dir == NULL) {
		g_printerr("cannot make a temporary directory: %s\n", err->message);
		g_error_free(err);
		return -1;
	}
	conf_path = g_build_filename(tmp_dir, "deskmail.conf", NULL);
	secret_path = g_build_filename(tmp_dir, "secret", NULL);
	if (!g_file_set_contents(secret_path, SECRET "\n", -1, &err) || g_chmod(secret_path, 0600) != 0) {
		g_printerr("cannot write %s\n", secret_path);
		g_clear_error(&err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state G_GNUC_UNUSED)
{
	g_remove(conf_path);
	g_remove(secret_path);
	g_rmdir(tmp_dir);
	g_free(conf_path);
	g_free(secret_path);
	g_free(tmp_dir);
	return 0;
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_promise_keys),
		cmocka_unit_test(test_all_keys_set),
		cmocka_unit_test(test_support_address),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_error_may_be_null),
		cmocka_unit_test_setup_teardown(test_default_path, env_setup, env_teardown),
		cmocka_unit_test(test_format_tag),
		cmocka_unit_test(test_format_tag_loaded),
	};
	g_autoptr(GArray) tests = dm_tests_new();

	g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));
	/* One test per broken file, named after it. */
	DM_TESTS_ADD_ROWS(tests, error_cases, name, test_error_case);
	return dm_tests_run("config", tests, group_setup, group_teardown);
}
