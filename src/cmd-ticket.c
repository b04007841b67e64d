/* cmd-ticket.c - `deskmail ticket list|show|set|raw|attachment` and
 * `deskmail contact show`: the desk from a shell.  Changes made here are events like an
 * agent's commands, with the actor "cli:USER". */
#include "dm-autoconf.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "message.h"
#include "store-admin.h"
#include "store.h"
#include "ticket-change.h"
#include "topics.h"

static int
terminal_width(void)
{
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	const char *cols = g_getenv("COLUMNS");
	return cols && atoi(cols) >= 40 ? atoi(cols) : 100;
}

/* S clipped to WIDTH characters (UTF-8 aware), padded.  Caller frees. */
static char *
column(const char *s, int width)
{
	glong n = g_utf8_strlen(s, -1);
	GString *out = g_string_new(NULL);
	if (n > width) {
		const char *end = g_utf8_offset_to_pointer(s, width > 1 ? width - 1 : 0);
		g_string_append_len(out, s, end - s);
		g_string_append(out, "…");
	} else {
		g_string_append(out, s);
		for (glong i = n; i < width; i++)
			g_string_append_c(out, ' ');
	}
	return g_string_free(out, FALSE);
}

static int
ticket_list(struct dm_cli *cli, int argc, char **argv)
{
	g_autofree char *status = NULL, *topic = NULL, *team = NULL, *assignee = NULL, *since = NULL,
		   *limit_arg = NULL;
	int limit = 50;
	GOptionEntry entries[] = {
		{ "status", 's', 0, G_OPTION_ARG_STRING, &status, "Only this status", "STATUS" },
		{ "topic", 0, 0, G_OPTION_ARG_STRING, &topic, "Only this topic", "TOPIC" },
		{ "team", 0, 0, G_OPTION_ARG_STRING, &team, "Only this team", "TEAM" },
		{ "assignee", 'a', 0, G_OPTION_ARG_STRING, &assignee, "Only this agent's", "ADDRESS" },
		{ "since", 0, 0, G_OPTION_ARG_STRING, &since, "Created on or after (YYYY-MM-DD)", "DATE" },
		{ "limit", 'n', 0, G_OPTION_ARG_STRING, &limit_arg, "At most N tickets (50)", "N" },
		G_OPTION_ENTRY_NULL
	};
	gboolean help;
	if (!dm_cli_parse("list [--status S] [--topic T] [--team T] [--assignee A] [--since DATE] [--limit N]",
			  "The newest tickets first, in columns that fit the terminal.", entries, &argc, &argv,
			  &help))
		return help ? EX_OK : EX_USAGE;
	/* Every value is checked here, so that a wrong one is a usage error
	 * with its option named, not a database error or an empty list. */
	const char *what = "ticket list";
	if (argc > 1) {
		fprintf(stderr, "deskmail: %s: unexpected argument '%s'\n", what, argv[1]);
		return EX_USAGE;
	}
	if ((status && !dm_cli_check_status(what, "--status", status)) ||
	    (assignee && !dm_cli_check_address(what, "--assignee", assignee)) ||
	    (since && !dm_cli_check_date(what, "--since", since)) ||
	    (limit_arg && !dm_cli_check_count(what, "--limit", limit_arg, &limit)))
		return EX_USAGE;
	g_autofree char *who = assignee ? dm_address_normalise(assignee) : NULL;
	struct dm_ticket_filter filter = { status, topic, team, who, since, limit };
	g_autoptr(GPtrArray) rows = NULL;
	int rc = dm_cli_setup(cli);
	if (rc != EX_OK)
		return rc;
	enum dm_status st = dm_store_ticket_list(cli->db, &filter, cli->cfg->timezone, &rows);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: ticket list: %s\n", dm_db_error(cli->db));
		return dm_cli_exit_code(st);
	}
	/* Fixed columns, the subject takes the rest of the line. */
	int width = terminal_width();
	int subject_w = MAX(10, width - (6 + 1 + 8 + 1 + 6 + 1 + 18 + 1 + 10 + 1 + 20 + 1 + 11 + 1));
	g_autofree char *hs = column("SUBJECT", subject_w);
	g_strchomp(hs);
	printf("%-6s %-8s %-6s %-18s %-10s %-20s %-11s %s\n", "ID", "STATUS", "PRIO", "TOPIC", "TEAM",
	       "REQUESTER", "CREATED", hs);
	for (guint r = 0; r < rows->len; r++) {
		const struct dm_ticket_row *t = rows->pdata[r];
		g_autofree char *tp = column(t->topic, 18);
		g_autofree char *tm = column(t->team, 10);
		g_autofree char *rq = column(t->requester, 20);
		g_autofree char *sj = column(t->subject, subject_w);
		g_strchomp(sj);
		printf("%-6s %-8s %-6s %s %s %s %-11s %s\n", t->id, t->status, t->priority, tp, tm, rq,
		       t->created, sj);
	}
	return EX_OK;
}

static gboolean
parse_id(const char *s, gint64 *id)
{
	char *end = NULL;
	*id = g_ascii_strtoll(s, &end, 10);
	return end && *end == '\0' && *id > 0;
}

static void
print_timeline(GPtrArray *timeline)
{
	for (guint r = 0; r < timeline->len; r++) {
		const struct dm_timeline_entry *e = timeline->pdata[r];
		g_autofree char *at = g_strndup(e->at, 16);
		printf("\n%s %s %s\n", at, e->message ? "==" : "--", e->line);
		if (e->message) {
			g_auto(GStrv) lines = g_strsplit(e->body ? e->body : "", "\n", 200);
			for (char **l = lines; *l; l++)
				printf("   %s\n", *l);
		}
	}
}

static int
ticket_show(struct dm_cli *cli, const char *arg)
{
	gint64 id;
	if (!parse_id(arg, &id)) {
		fprintf(stderr, "deskmail: '%s' is not a ticket number\n", arg);
		return EX_USAGE;
	}
	int rc = dm_cli_setup(cli);
	if (rc != EX_OK)
		return rc;
	const struct dm_config *cfg = cli->cfg;
	g_autoptr(DmTicketSummary) t = NULL;
	g_autoptr(GPtrArray) timeline = NULL;
	enum dm_status st = dm_store_ticket_summary(cli->db, id, cfg->timezone, &t);
	if (st == DM_NOTFOUND) {
		fprintf(stderr, "deskmail: no ticket %s\n", arg);
		return EX_NOINPUT;
	}
	g_autoptr(GPtrArray) attachments = NULL;
	if (st != DM_OK || (st = dm_store_ticket_timeline(cli->db, id, &timeline)) != DM_OK ||
	    (st = dm_store_ticket_attachments(cli->db, id, NULL, &attachments)) != DM_OK) {
		fprintf(stderr, "deskmail: ticket show: %s\n", dm_db_error(cli->db));
		return dm_cli_exit_code(st);
	}
	g_autofree char *tag = dm_config_format_tag(cfg, id);
	printf("%s %s\n", tag, t->subject);
	printf("  status %s, priority %s, topic %s, team %s, assignee %s\n", t->status, t->priority, t->topic,
	       t->team, t->assignee);
	printf("  requester %s (%s), language %s, queue %s\n", t->requester, t->requester_name, t->language,
	       t->queue);
	printf("  created %s, due %s, first response %s, related %s (%s)\n", t->created, t->due,
	       t->first_response, t->related, cfg->timezone);
	printf("  cc %s\n", t->cc);
	if (attachments->len)
		printf("  attachments:\n");
	for (guint r = 0; r < attachments->len; r++) {
		const struct dm_attachment_row *a = attachments->pdata[r];
		printf("    %s  %s  %s bytes\n", *a->name ? a->name : "(no name)", a->type, a->size);
	}
	print_timeline(timeline);
	return EX_OK;
}

/* Write B to standard output whole; EX_OK or EX_IOERR after one line. */
static int
write_bytes(const char *what, GBytes *b)
{
	gsize n = 0;
	const void *data = g_bytes_get_data(b, &n);
	if ((n && fwrite(data, 1, n, stdout) != n) || fflush(stdout) != 0) {
		fprintf(stderr, "deskmail: %s: cannot write to standard output\n", what);
		return EX_IOERR;
	}
	return EX_OK;
}

/* `ticket raw N [MESSAGE]`: the stored mail as it arrived. */
static int
ticket_raw(struct dm_cli *cli, int argc, char **argv)
{
	gint64 id;
	if (argc < 3 || argc > 4 || !parse_id(argv[2], &id)) {
		fprintf(stderr, "deskmail: usage: ticket raw N [MESSAGE]\n");
		return EX_USAGE;
	}
	const char *message = argc == 4 ? argv[3] : NULL;
	int rc = dm_cli_setup(cli);
	if (rc != EX_OK)
		return rc;
	g_autoptr(GBytes) raw = NULL;
	enum dm_status st = dm_store_ticket_raw(cli->db, id, message, &raw);
	if (st == DM_NOTFOUND) {
		if (message)
			fprintf(stderr, "deskmail: ticket raw: no stored mail %s on ticket %s\n", message, argv[2]);
		else
			fprintf(stderr, "deskmail: ticket raw: no stored incoming mail on ticket %s\n", argv[2]);
		return EX_NOINPUT;
	}
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: ticket raw: %s\n", dm_db_error(cli->db));
		return dm_cli_exit_code(st);
	}
	return write_bytes("ticket raw", raw);
}

/* The attachment NAME of ticket ID as a row id; NULL after a line (and
 * *RC set) when there is none or several.  Several with one name are
 * refused with their list rather than one picked: the operator names one
 * as id:ID instead.  Caller frees. */
static char *
find_attachment(struct dm_cli *cli, gint64 id, const char *arg, const char *name, int *rc)
{
	g_autoptr(GPtrArray) found = NULL;
	enum dm_status st = dm_store_ticket_attachments(cli->db, id, name, &found);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: ticket attachment: %s\n", dm_db_error(cli->db));
		*rc = dm_cli_exit_code(st);
		return NULL;
	}
	if (found->len == 1)
		return g_strdup(((struct dm_attachment_row *) found->pdata[0])->id);
	if (found->len == 0) {
		const char *num = g_str_has_prefix(name, "id:") ? name + 3 : NULL;
		if (num && *num && strspn(num, "0123456789") == strlen(num) && strlen(num) <= 18)
			return g_strdup(num);
		fprintf(stderr, "deskmail: ticket attachment: no attachment '%s' on ticket %s\n", name, arg);
		*rc = EX_NOINPUT;
		return NULL;
	}
	fprintf(stderr, "deskmail: ticket attachment: %u attachments named '%s' on ticket %s; name one as id:ID\n",
		found->len, name, arg);
	for (guint r = 0; r < found->len; r++) {
		const struct dm_attachment_row *a = found->pdata[r];
		fprintf(stderr, "  id:%s  message %s  %s  %s bytes  sha256 %s\n", a->id, a->message, a->type,
			a->size, a->sha256);
	}
	*rc = EX_USAGE;
	return NULL;
}

/* `ticket attachment N NAME`: one attachment's decoded content. */
static int
ticket_attachment(struct dm_cli *cli, int argc, char **argv)
{
	gint64 id;
	if (argc != 4 || !parse_id(argv[2], &id) || *argv[3] == '\0') {
		fprintf(stderr, "deskmail: usage: ticket attachment N NAME\n");
		return EX_USAGE;
	}
	int rc = dm_cli_setup(cli);
	if (rc != EX_OK)
		return rc;
	g_autofree char *att = find_attachment(cli, id, argv[2], argv[3], &rc);
	if (att == NULL)
		return rc;
	g_autoptr(GBytes) content = NULL;
	enum dm_status st = dm_store_attachment_content(cli->db, id, att, &content);
	if (st == DM_NOTFOUND) {
		fprintf(stderr, "deskmail: ticket attachment: no attachment '%s' on ticket %s\n", argv[3], argv[2]);
		return EX_NOINPUT;
	}
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: ticket attachment: %s\n", dm_db_error(cli->db));
		return dm_cli_exit_code(st);
	}
	return write_bytes("ticket attachment", content);
}

/* The KEY=VALUE arguments of `ticket set` as changes; on a malformed one
 * prints its line and returns NULL. */
static GPtrArray *
parse_changes(int argc, char **argv)
{
	g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func((GDestroyNotify) dm_change_free);
	for (int i = 3; i < argc; i++) {
		g_autofree char *error = NULL;
		struct dm_change *c = dm_ticket_change_parse(argv[i], &error);
		if (c == NULL) {
			fprintf(stderr, "deskmail: ticket set: %s\n", error);
			return NULL;
		}
		g_ptr_array_add(changes, c);
	}
	return g_steal_pointer(&changes);
}

static struct dm_topics *
load_topics(const struct dm_config *cfg)
{
	g_autoptr(GError) error = NULL;
	struct dm_topics *t = dm_topics_load(cfg->topics_file, &error);
	if (t == NULL)
		fprintf(stderr, "deskmail: %s: [desk] topics: %s\n", cfg->path, error->message);
	return t;
}

/* Print each line of ERRORS as a refusal. */
static void
print_refusals(const char *errors)
{
	g_auto(GStrv) lines = g_strsplit(errors, "\n", -1);
	for (char **l = lines; *l; l++)
		if (**l)
			fprintf(stderr, "deskmail: ticket set: %s\n", *l);
}

/* Check and apply CHANGES to ticket ID in one transaction: all or nothing,
 * with the same rules and events as an agent's #commands. */
static int
ticket_set_apply(struct dm_cli *cli, const struct dm_change_ctx *ctx, gint64 id, const char *arg,
		 GPtrArray *changes)
{
	struct dm_db *db = cli->db;
	g_autoptr(GString) errors = g_string_new(NULL);
	struct dm_ticket_facts f;
	enum dm_status st;
	if ((st = dm_db_begin(db)) != DM_OK)
		goto fail;
	if ((st = dm_store_ticket_facts(db, id, &f)) != DM_OK) {
		dm_db_rollback(db);
		if (st == DM_NOTFOUND) {
			fprintf(stderr, "deskmail: no ticket %s\n", arg);
			return EX_NOINPUT;
		}
		goto fail;
	}
	dm_ticket_facts_clear(&f);
	if ((st = dm_ticket_change_check(db, ctx, changes, errors)) != DM_OK)
		goto fail;
	if (errors->len) {
		dm_db_rollback(db);
		print_refusals(errors->str);
		return EX_USAGE;
	}
	if ((st = dm_ticket_change_apply(db, ctx, id, changes)) != DM_OK ||
	    (st = dm_db_commit(db)) != DM_OK)
		goto fail;
	printf("ticket %s updated\n", arg);
	return EX_OK;
fail:
	dm_db_rollback(db);
	fprintf(stderr, "deskmail: ticket set: %s\n", dm_db_error(db));
	return dm_cli_exit_code(st);
}

static int
ticket_set(struct dm_cli *cli, int argc, char **argv)
{
	gint64 id;
	if (argc < 4 || !parse_id(argv[2], &id)) {
		fprintf(stderr, "deskmail: usage: ticket set N status=S priority=P topic=T team=T assign=ADDRESS\n");
		return EX_USAGE;
	}
	g_autoptr(GPtrArray) changes = parse_changes(argc, argv);
	if (changes == NULL)
		return EX_USAGE;
	int rc = dm_cli_setup(cli);
	if (rc != EX_OK)
		return rc;
	g_autoptr(DmTopics) topics = load_topics(cli->cfg);
	if (topics == NULL)
		return EX_CONFIG;
	g_autofree char *actor = g_strdup_printf("cli:%s", g_get_user_name());
	/* Nobody is "me" from a shell, and a topic set here does not train
	 * the model (only an agent's #topic correction does). */
	struct dm_change_ctx ctx = { .cfg = cli->cfg, .topics = topics, .origin = DM_CHANGE_BY_CLI,
				     .actor = actor, .self = NULL, .message_row = 0, .learn_topic = FALSE };
	return ticket_set_apply(cli, &ctx, id, argv[2], changes);
}

int
dm_cmd_ticket(struct dm_cli *cli, int argc, char **argv)
{
	const char *what = argc >= 2 ? argv[1] : "";
	if (strcmp(what, "--help") == 0 || strcmp(what, "-h") == 0 || argc < 2) {
		printf("Usage: deskmail ticket list [--status S] [--topic T] [--team T] [--assignee A] [--since DATE] [--limit N]\n"
		       "       deskmail ticket show N\n"
		       "       deskmail ticket set N status=S priority=P topic=T team=T assign=ADDRESS ...\n"
		       "       deskmail ticket raw N [MESSAGE]\n"
		       "       deskmail ticket attachment N NAME\n");
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	if (strcmp(what, "raw") == 0)
		return ticket_raw(cli, argc, argv);
	if (strcmp(what, "attachment") == 0)
		return ticket_attachment(cli, argc, argv);
	if (strcmp(what, "list") != 0 && strcmp(what, "show") != 0 && strcmp(what, "set") != 0) {
		fprintf(stderr, "deskmail: unknown ticket command '%s' (list, show, set, raw, attachment)\n", what);
		return EX_USAGE;
	}
	if (strcmp(what, "show") == 0 && argc != 3) {
		fprintf(stderr, "deskmail: usage: ticket show N\n");
		return EX_USAGE;
	}
	if (strcmp(what, "list") == 0)
		return ticket_list(cli, argc - 1, argv + 1);
	if (strcmp(what, "show") == 0)
		return ticket_show(cli, argv[2]);
	return ticket_set(cli, argc, argv);
}

int
dm_cmd_contact(struct dm_cli *cli, int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "show") != 0) {
		if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			printf("Usage: deskmail contact show ADDRESS\n");
			return EX_OK;
		}
		fprintf(stderr, "deskmail: usage: contact show ADDRESS\n");
		return EX_USAGE;
	}
	if (!dm_cli_check_address("contact show", "ADDRESS", argv[2]))
		return EX_USAGE;
	int rc = dm_cli_setup(cli);
	if (rc != EX_OK)
		return rc;
	g_autofree char *addr = dm_address_normalise(argv[2]);
	g_autoptr(DmContactSummary) c = NULL;
	g_autoptr(GPtrArray) tickets = NULL;
	enum dm_status st = dm_store_contact_show(cli->db, addr, &c, &tickets);
	if (st == DM_NOTFOUND) {
		fprintf(stderr, "deskmail: no contact %s\n", addr);
		return EX_NOINPUT;
	}
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: contact show: %s\n", dm_db_error(cli->db));
		return dm_cli_exit_code(st);
	}
	printf("%s (%s)\n  language %s, known since %s, failing since %s, bounces %s\n", c->address, c->name,
	       c->language, c->created, c->failing_since, c->bounces);
	printf("  tickets:\n");
	for (guint r = 0; r < tickets->len; r++) {
		const struct dm_contact_ticket *t = tickets->pdata[r];
		printf("  %-6s %-9s %-8s %s  %s\n", t->id, t->role, t->status, t->created, t->subject);
	}
	return EX_OK;
}
