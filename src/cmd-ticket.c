/* cmd-ticket.c - `deskmail ticket list|show|set` and `deskmail contact
 * show`: the desk from a shell.  Changes made here are events like an
 * agent's commands, with the actor "cli:USER". */
#include "dm-autoconf.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sysexits.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "message.h"
#include "store.h"

static const char SQL_LIST[] =
	"SELECT t.id, t.status, t.priority, coalesce(t.topic, ''), coalesce(tm.name, ''),"
	" coalesce(a.address, ''), coalesce(c.address, ''), to_char(t.created_at AT TIME ZONE $7, 'MM-DD HH24:MI'),"
	" t.subject "
	"FROM tickets t LEFT JOIN teams tm ON tm.id = t.team_id LEFT JOIN agents a ON a.id = t.assignee_id "
	"LEFT JOIN contacts c ON c.id = t.requester_id "
	"WHERE ($1::text IS NULL OR t.status = $1) AND ($2::text IS NULL OR t.topic = $2)"
	" AND ($3::text IS NULL OR tm.name = $3) AND ($4::text IS NULL OR a.address = $4)"
	" AND ($5::timestamptz IS NULL OR t.created_at >= $5) "
	"ORDER BY t.id DESC LIMIT $6";
static const char SQL_SHOW_TICKET[] =
	"SELECT t.id, t.subject, t.status, t.priority, coalesce(t.topic, '-'), coalesce(tm.name, '-'),"
	" coalesce(a.address, '-'), coalesce(c.address, '-'), coalesce(nullif(c.name, ''), '-'),"
	" coalesce(t.language, '-'), t.queue,"
	" to_char(t.created_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI'),"
	" coalesce(to_char(t.due_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI'), '-'),"
	" coalesce(to_char(t.first_response_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI'), '-'),"
	" coalesce(t.related_id::text || ' (' || t.relation || ')', '-') "
	"FROM tickets t LEFT JOIN teams tm ON tm.id = t.team_id LEFT JOIN agents a ON a.id = t.assignee_id "
	"LEFT JOIN contacts c ON c.id = t.requester_id WHERE t.id = $1";
/* Messages and events interleaved in time order. */
static const char SQL_SHOW_TIMELINE[] =
	"SELECT at, what, line1, body FROM ("
	" SELECT m.created_at AS at, m.id AS ord, 'message' AS what,"
	"  m.direction || ' ' || m.kind || ' from ' || m.from_addr ||"
	"  CASE WHEN cardinality(m.to_addrs) > 0 THEN ' to ' || array_to_string(m.to_addrs, ', ') ELSE '' END ||"
	"  ' [' || m.threaded_by || ']' AS line1,"
	"  m.body_text AS body FROM messages m WHERE m.ticket_id = $1"
	" UNION ALL"
	" SELECT e.created_at, e.id, 'event', e.kind || ' by ' || e.actor ||"
	"  CASE WHEN e.old_value IS NOT NULL OR e.new_value IS NOT NULL"
	"   THEN ': ' || coalesce(e.old_value, '-') || ' -> ' || coalesce(e.new_value, '-') ELSE '' END ||"
	"  CASE WHEN e.detail IS NOT NULL THEN ' (' || e.detail || ')' ELSE '' END, NULL"
	"  FROM events e WHERE e.ticket_id = $1"
	") x ORDER BY at, what DESC, ord";
static const char SQL_CONTACT[] =
	"SELECT c.address, coalesce(nullif(c.name, ''), '-'), coalesce(c.language, '-'),"
	" coalesce(to_char(c.failing_since, 'YYYY-MM-DD HH24:MI'), '-'), c.bounce_count,"
	" to_char(c.created_at, 'YYYY-MM-DD') FROM contacts c WHERE c.address = $1";
static const char SQL_CONTACT_TICKETS[] =
	"SELECT t.id, CASE WHEN t.requester_id = c.id THEN 'requester' ELSE 'cc' END, t.status,"
	" to_char(t.created_at, 'YYYY-MM-DD'), t.subject "
	"FROM contacts c JOIN tickets t ON t.requester_id = c.id"
	" OR EXISTS (SELECT 1 FROM participants p WHERE p.ticket_id = t.id AND p.contact_id = c.id) "
	"WHERE c.address = $1 ORDER BY t.id DESC LIMIT 50";

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
ticket_list(struct dm_db *db, const struct dm_config *cfg, int argc, char **argv)
{
	g_autofree char *status = NULL, *topic = NULL, *team = NULL, *assignee = NULL, *since = NULL;
	gint limit = 50;
	GOptionEntry entries[] = {
		{ "status", 's', 0, G_OPTION_ARG_STRING, &status, "Only this status", "STATUS" },
		{ "topic", 0, 0, G_OPTION_ARG_STRING, &topic, "Only this topic", "TOPIC" },
		{ "team", 0, 0, G_OPTION_ARG_STRING, &team, "Only this team", "TEAM" },
		{ "assignee", 'a', 0, G_OPTION_ARG_STRING, &assignee, "Only this agent's", "ADDRESS" },
		{ "since", 0, 0, G_OPTION_ARG_STRING, &since, "Created on or after (YYYY-MM-DD)", "DATE" },
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "At most N tickets (50)", "N" },
		G_OPTION_ENTRY_NULL
	};
	gboolean help;
	if (!dm_cli_parse("list [--status S] [--topic T] [--team T] [--assignee A] [--since DATE]",
			  "The newest tickets first, in columns that fit the terminal.", entries, &argc, &argv,
			  &help))
		return help ? EX_OK : EX_USAGE;
	g_autofree char *lim = g_strdup_printf("%d", limit > 0 ? limit : 50);
	g_autofree char *who = assignee ? dm_address_normalise(assignee) : NULL;
	const char *p[] = { status, topic, team, who, since, lim, cfg->timezone };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_LIST, 7, p, &res);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: ticket list: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	/* Fixed columns, the subject takes the rest of the line. */
	int width = terminal_width();
	int subject_w = MAX(10, width - (6 + 1 + 8 + 1 + 6 + 1 + 18 + 1 + 10 + 1 + 20 + 1 + 11 + 1));
	g_autofree char *hs = column("SUBJECT", subject_w);
	g_strchomp(hs);
	printf("%-6s %-8s %-6s %-18s %-10s %-20s %-11s %s\n", "ID", "STATUS", "PRIO", "TOPIC", "TEAM",
	       "REQUESTER", "CREATED", hs);
	for (int r = 0; r < PQntuples(res); r++) {
		g_autofree char *tp = column(PQgetvalue(res, r, 3), 18);
		g_autofree char *tm = column(PQgetvalue(res, r, 4), 10);
		g_autofree char *rq = column(PQgetvalue(res, r, 6), 20);
		g_autofree char *sj = column(PQgetvalue(res, r, 8), subject_w);
		g_strchomp(sj);
		printf("%-6s %-8s %-6s %s %s %s %-11s %s\n", PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
		       PQgetvalue(res, r, 2), tp, tm, rq, PQgetvalue(res, r, 7), sj);
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

static int
ticket_show(struct dm_db *db, const struct dm_config *cfg, const char *arg)
{
	gint64 id;
	if (!parse_id(arg, &id)) {
		fprintf(stderr, "deskmail: '%s' is not a ticket number\n", arg);
		return EX_USAGE;
	}
	const char *p[] = { arg, cfg->timezone };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_SHOW_TICKET, 2, p, &res);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: ticket show: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	if (PQntuples(res) == 0) {
		fprintf(stderr, "deskmail: no ticket %s\n", arg);
		return EX_NOINPUT;
	}
	g_autofree char *tag = dm_config_format_tag(cfg, id);
	printf("%s %s\n", tag, PQgetvalue(res, 0, 1));
	printf("  status %s, priority %s, topic %s, team %s, assignee %s\n", PQgetvalue(res, 0, 2),
	       PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5), PQgetvalue(res, 0, 6));
	printf("  requester %s (%s), language %s, queue %s\n", PQgetvalue(res, 0, 7), PQgetvalue(res, 0, 8),
	       PQgetvalue(res, 0, 9), PQgetvalue(res, 0, 10));
	printf("  created %s, due %s, first response %s, related %s (%s)\n", PQgetvalue(res, 0, 11),
	       PQgetvalue(res, 0, 12), PQgetvalue(res, 0, 13), PQgetvalue(res, 0, 14), cfg->timezone);
	g_autoptr(PGresult) tl = NULL;
	const char *q[] = { arg };
	if ((st = dm_db_query(db, SQL_SHOW_TIMELINE, 1, q, &tl)) != DM_OK) {
		fprintf(stderr, "deskmail: ticket show: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	for (int r = 0; r < PQntuples(tl); r++) {
		g_autofree char *at = g_strndup(PQgetvalue(tl, r, 0), 16);
		gboolean message = strcmp(PQgetvalue(tl, r, 1), "message") == 0;
		printf("\n%s %s %s\n", at, message ? "==" : "--", PQgetvalue(tl, r, 2));
		if (message) {
			g_auto(GStrv) lines = g_strsplit(PQgetvalue(tl, r, 3), "\n", 200);
			for (char **l = lines; *l; l++)
				printf("   %s\n", *l);
		}
	}
	return EX_OK;
}

static int
ticket_set(struct dm_db *db, const struct dm_config *cfg, int argc, char **argv)
{
	static const char *const status_values[] = { "new", "open", "pending", "resolved", "closed", NULL };
	static const char *const priority_values[] = { "low", "normal", "high", "urgent", NULL };
	gint64 id;
	if (argc < 4 || !parse_id(argv[2], &id)) {
		fprintf(stderr, "deskmail: usage: ticket set N status=S priority=P topic=T team=T assign=ADDRESS\n");
		return EX_USAGE;
	}
	g_autofree char *actor = g_strdup_printf("cli:%s", g_get_user_name());
	enum dm_status st;
	/* Check every assignment first: all or nothing, as for agents. */
	for (int i = 3; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		g_autofree char *key = eq ? g_strndup(argv[i], eq - argv[i]) : g_strdup(argv[i]);
		const char *value = eq ? eq + 1 : "";
		gboolean ok = eq && *value;
		if (ok && strcmp(key, "status") == 0)
			ok = g_strv_contains(status_values, value);
		else if (ok && strcmp(key, "priority") == 0)
			ok = g_strv_contains(priority_values, value);
		else if (ok && strcmp(key, "assign") != 0 && strcmp(key, "topic") != 0 && strcmp(key, "team") != 0)
			ok = FALSE;
		if (!ok) {
			fprintf(stderr, "deskmail: ticket set: bad assignment '%s' (status=%s, priority=%s, topic=NAME, "
					"team=NAME, assign=ADDRESS)\n", argv[i], "new|open|pending|resolved|closed",
				"low|normal|high|urgent");
			return EX_USAGE;
		}
	}
	if ((st = dm_db_begin(db)) != DM_OK)
		goto fail;
	struct dm_ticket_facts f;
	if ((st = dm_store_ticket_facts(db, id, &f)) != DM_OK) {
		dm_db_rollback(db);
		if (st == DM_NOTFOUND) {
			fprintf(stderr, "deskmail: no ticket %s\n", argv[2]);
			return EX_NOINPUT;
		}
		goto fail;
	}
	dm_ticket_facts_clear(&f);
	for (int i = 3; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		g_autofree char *key = g_strndup(argv[i], eq - argv[i]);
		const char *value = eq + 1;
		if (strcmp(key, "assign") == 0) {
			g_autofree char *addr = dm_address_normalise(value);
			g_autoptr(DmAgent) a = NULL;
			if ((st = dm_agent_find(db, addr, 0, &a)) != DM_OK)
				goto fail;
			if (a == NULL || !a->active) {
				dm_db_rollback(db);
				fprintf(stderr, "deskmail: ticket set: %s is not an active agent\n", addr);
				return EX_USAGE;
			}
			char aid[24];
			g_snprintf(aid, sizeof aid, "%" G_GINT64_FORMAT, a->id);
			st = dm_store_set_field(db, id, 0, actor, "assign", aid, a->address);
		} else if (strcmp(key, "team") == 0) {
			gint64 team;
			if ((st = dm_team_ensure(db, value, &team)) == DM_OK)
				st = dm_store_set_field(db, id, 0, actor, "team", value, NULL);
		} else {
			st = dm_store_set_field(db, id, 0, actor, key, value, NULL);
		}
		if (st != DM_OK)
			goto fail;
	}
	if ((st = dm_db_commit(db)) != DM_OK)
		goto fail;
	printf("ticket %s updated\n", argv[2]);
	(void) cfg;
	return EX_OK;
fail:
	dm_db_rollback(db);
	fprintf(stderr, "deskmail: ticket set: %s\n", dm_db_error(db));
	return dm_cli_exit_code(st);
}

int
dm_cmd_ticket(struct dm_cli *cli, int argc, char **argv)
{
	const char *what = argc >= 2 ? argv[1] : "";
	if (strcmp(what, "--help") == 0 || strcmp(what, "-h") == 0 || argc < 2) {
		printf("Usage: deskmail ticket list [--status S] [--topic T] [--team T] [--assignee A] [--since DATE] [--limit N]\n"
		       "       deskmail ticket show N\n"
		       "       deskmail ticket set N status=S priority=P topic=T team=T assign=ADDRESS ...\n");
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	if (strcmp(what, "list") != 0 && strcmp(what, "show") != 0 && strcmp(what, "set") != 0) {
		fprintf(stderr, "deskmail: unknown ticket command '%s' (list, show, set)\n", what);
		return EX_USAGE;
	}
	if (strcmp(what, "show") == 0 && argc != 3) {
		fprintf(stderr, "deskmail: usage: ticket show N\n");
		return EX_USAGE;
	}
	g_autoptr(DmConfig) cfg = dm_cli_load_config(cli);
	if (cfg == NULL)
		return EX_CONFIG;
	g_autoptr(DmDb) db = NULL;
	enum dm_status st = dm_cli_connect(cfg, &db);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: cannot connect to the database\n");
		return dm_cli_exit_code(st);
	}
	if (strcmp(what, "list") == 0)
		return ticket_list(db, cfg, argc - 1, argv + 1);
	if (strcmp(what, "show") == 0)
		return ticket_show(db, cfg, argv[2]);
	return ticket_set(db, cfg, argc, argv);
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
	g_autoptr(DmConfig) cfg = dm_cli_load_config(cli);
	if (cfg == NULL)
		return EX_CONFIG;
	g_autoptr(DmDb) db = NULL;
	enum dm_status st = dm_cli_connect(cfg, &db);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: cannot connect to the database\n");
		return dm_cli_exit_code(st);
	}
	g_autofree char *addr = dm_address_normalise(argv[2]);
	const char *p[] = { addr };
	g_autoptr(PGresult) res = NULL, tickets = NULL;
	if ((st = dm_db_query(db, SQL_CONTACT, 1, p, &res)) != DM_OK ||
	    (st = dm_db_query(db, SQL_CONTACT_TICKETS, 1, p, &tickets)) != DM_OK) {
		fprintf(stderr, "deskmail: contact show: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	if (PQntuples(res) == 0) {
		fprintf(stderr, "deskmail: no contact %s\n", addr);
		return EX_NOINPUT;
	}
	printf("%s (%s)\n  language %s, known since %s, failing since %s, bounces %s\n", PQgetvalue(res, 0, 0),
	       PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 5), PQgetvalue(res, 0, 3),
	       PQgetvalue(res, 0, 4));
	printf("  tickets:\n");
	for (int r = 0; r < PQntuples(tickets); r++)
		printf("  %-6s %-9s %-8s %s  %s\n", PQgetvalue(tickets, r, 0), PQgetvalue(tickets, r, 1),
		       PQgetvalue(tickets, r, 2), PQgetvalue(tickets, r, 3), PQgetvalue(tickets, r, 4));
	return EX_OK;
}
