/* ticket-change.c - validate and apply changes of a ticket's fields, for
 * the agents' #commands and `deskmail ticket set` alike.
 *
 * Both front ends used to carry their own copy, and `ticket set` checked
 * less (any topic was stored); one module keeps the rules and the events
 * the same whoever makes the change. */
#include "dm-autoconf.h"

#include <string.h>

#include "classify.h"
#include "message.h"
#include "model.h"
#include "store-agent.h"
#include "store.h"
#include "ticket-change.h"

static const char *const status_values[] = { "new", "open", "pending", "resolved", "closed", NULL };
static const char *const priority_values[] = { "low", "normal", "high", "urgent", NULL };

/* Per kind: the key of `ticket set`, the #command, and the field that
 * dm_store_set_field changes. */
static const struct {
	enum dm_change_kind kind;
	const char *key;
	enum dm_command_kind command;
	const char *field;
} kinds[] = {
	{ DM_CHANGE_STATUS, "status", DM_CMD_STATUS, "status" },
	{ DM_CHANGE_PRIORITY, "priority", DM_CMD_PRIORITY, "priority" },
	{ DM_CHANGE_TOPIC, "topic", DM_CMD_TOPIC, "topic" },
	{ DM_CHANGE_TEAM, "team", DM_CMD_ESCALATE, "team" },
	{ DM_CHANGE_ASSIGN, "assign", DM_CMD_ASSIGN, "assign" },
};

struct dm_change *
dm_change_new(enum dm_change_kind kind, const char *value)
{
	struct dm_change *c = g_new0(struct dm_change, 1);
	c->kind = kind;
	c->value = g_strdup(value);
	return c;
}

void
dm_change_free(struct dm_change *c)
{
	if (c == NULL)
		return;
	g_free(c->value);
	g_free(c);
}

GPtrArray *
dm_ticket_changes_from_commands(const struct dm_commands *commands)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) dm_change_free);
	for (guint i = 0; i < commands->list->len; i++) {
		const struct dm_command *c = commands->list->pdata[i];
		for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++)
			if (kinds[k].command == c->kind)
				g_ptr_array_add(out, dm_change_new(kinds[k].kind, c->arg));
	}
	return out;
}

struct dm_change *
dm_ticket_change_parse(const char *assignment, char **error)
{
	const char *eq = strchr(assignment, '=');
	g_autofree char *key = eq ? g_strndup(assignment, eq - assignment) : g_strdup(assignment);
	g_autofree char *value = g_strstrip(g_strdup(eq ? eq + 1 : ""));
	for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
		if (strcmp(key, kinds[k].key) != 0)
			continue;
		if (*value == '\0') {
			*error = g_strdup_printf("%s: no value given", assignment);
			return NULL;
		}
		if (kinds[k].kind == DM_CHANGE_ASSIGN) {
			g_autofree char *addr = dm_address_normalise(value);
			return dm_change_new(kinds[k].kind, addr);
		}
		return dm_change_new(kinds[k].kind, value);
	}
	*error = g_strdup_printf("%s: unknown key '%s' (status, priority, topic, team, assign)", assignment,
				 key);
	return NULL;
}

/* Append the line for change C, which fails because of PROBLEM. */
static void
add_error(GString *errors, const struct dm_change_ctx *ctx, const struct dm_change *c,
	  const char *problem)
{
	for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
		if (kinds[k].kind != c->kind)
			continue;
		if (ctx->origin == DM_CHANGE_BY_COMMAND)
			g_string_append_printf(errors, "#%s: %s\n", dm_command_name(kinds[k].command), problem);
		else
			g_string_append_printf(errors, "%s=%s: %s\n", kinds[k].key, c->value, problem);
	}
}

/* A team exists in the database or is named in the configuration (it is
 * then created by the first change that needs it). */
static enum dm_status
team_known(struct dm_db *db, const struct dm_config *cfg, const char *team, gboolean *known)
{
	gboolean exists = FALSE;
	enum dm_status st = dm_team_exists(db, team, &exists);
	if (st != DM_OK)
		return st;
	gboolean configured = g_ascii_strcasecmp(team, cfg->default_team) == 0;
	for (char **q = cfg->queue_teams; !configured && *q; q += 2)
		configured = g_ascii_strcasecmp(q[1], team) == 0;
	*known = exists || configured;
	return DM_OK;
}

/* *PROBLEM: what is wrong with change C, or NULL when it is valid
 * (caller frees).  Returns a database failure only. */
static enum dm_status
check_one(struct dm_db *db, const struct dm_change_ctx *ctx, const struct dm_change *c, char **problem)
{
	enum dm_status st = DM_OK;
	*problem = NULL;
	switch (c->kind) {
	case DM_CHANGE_STATUS:
		if (!g_strv_contains(status_values, c->value))
			*problem = g_strdup_printf("'%s' is not a status (%s)", c->value,
						   "new, open, pending, resolved, closed");
		break;
	case DM_CHANGE_PRIORITY:
		if (!g_strv_contains(priority_values, c->value))
			*problem = g_strdup_printf("'%s' is not a priority (%s)", c->value,
						   "low, normal, high, urgent");
		break;
	case DM_CHANGE_TOPIC:
		if (dm_topics_index(ctx->topics, c->value) < 0 && strcmp(c->value, "triage") != 0)
			*problem = g_strdup_printf("there is no topic '%s'", c->value);
		break;
	case DM_CHANGE_TEAM: {
		gboolean known = FALSE;
		if ((st = team_known(db, ctx->cfg, c->value, &known)) == DM_OK && !known)
			*problem = g_strdup_printf("there is no team '%s'", c->value);
		break;
	}
	case DM_CHANGE_ASSIGN: {
		if (ctx->self && strcmp(c->value, "me") == 0)
			break;
		g_autoptr(DmAgent) a = NULL;
		if ((st = dm_agent_find(db, c->value, 0, &a)) == DM_OK && (a == NULL || !a->active))
			*problem = g_strdup_printf("%s is not an active agent", c->value);
		break;
	}
	}
	return st;
}

enum dm_status
dm_ticket_change_check(struct dm_db *db, const struct dm_change_ctx *ctx, GPtrArray *changes,
		       GString *errors)
{
	for (guint i = 0; i < changes->len; i++) {
		const struct dm_change *c = changes->pdata[i];
		g_autofree char *problem = NULL;
		enum dm_status st = check_one(db, ctx, c, &problem);
		if (st != DM_OK)
			return st;
		if (problem)
			add_error(errors, ctx, c, problem);
	}
	return DM_OK;
}

/* A topic set by a person is a correction the model learns from: the
 * ticket's first message becomes a training document of that topic. */
static enum dm_status
learn_topic(struct dm_db *db, const struct dm_topics *topics, gint64 ticket, const char *topic)
{
	if (dm_topics_index(topics, topic) < 0)
		return DM_OK; /* "triage" is not a class */
	g_autofree char *subject = NULL, *text = NULL, *lang = NULL;
	enum dm_status st = dm_store_first_text(db, ticket, &subject, &text, &lang);
	if (st == DM_NOTFOUND)
		return DM_OK;
	if (st != DM_OK)
		return st;
	g_autoptr(DmFeatures) f = dm_features_extract(subject, text, *lang ? lang : NULL,
						      dm_topics_subject_weight(topics));
	return dm_model_add_document(db, "topic", topic, f);
}

static enum dm_status
apply_assign(struct dm_db *db, const struct dm_change_ctx *ctx, gint64 ticket, const char *value)
{
	g_autoptr(DmAgent) a = NULL;
	const char *who = ctx->self && strcmp(value, "me") == 0 ? ctx->self : value;
	enum dm_status st = dm_agent_find(db, who, 0, &a);
	if (st != DM_OK || a == NULL)
		return st;
	char id[24];
	g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, a->id);
	return dm_store_set_field(db, ticket, ctx->message_row, ctx->actor, "assign", id, a->address);
}

static enum dm_status
apply_one(struct dm_db *db, const struct dm_change_ctx *ctx, gint64 ticket, const struct dm_change *c)
{
	enum dm_status st;
	switch (c->kind) {
	case DM_CHANGE_STATUS:
		return dm_store_set_field(db, ticket, ctx->message_row, ctx->actor, "status", c->value, NULL);
	case DM_CHANGE_PRIORITY:
		return dm_store_set_field(db, ticket, ctx->message_row, ctx->actor, "priority", c->value, NULL);
	case DM_CHANGE_TOPIC:
		st = dm_store_set_field(db, ticket, ctx->message_row, ctx->actor, "topic", c->value, NULL);
		if (st == DM_OK && ctx->learn_topic)
			st = learn_topic(db, ctx->topics, ticket, c->value);
		return st;
	case DM_CHANGE_TEAM: {
		gint64 team;
		st = dm_team_ensure(db, c->value, &team);
		if (st == DM_OK)
			st = dm_store_set_field(db, ticket, ctx->message_row, ctx->actor, "team", c->value, NULL);
		return st;
	}
	case DM_CHANGE_ASSIGN:
		return apply_assign(db, ctx, ticket, c->value);
	}
	return DM_INTERNAL;
}

enum dm_status
dm_ticket_change_apply(struct dm_db *db, const struct dm_change_ctx *ctx, gint64 ticket,
		       GPtrArray *changes)
{
	enum dm_status st = DM_OK;
	for (guint i = 0; i < changes->len && st == DM_OK; i++)
		st = apply_one(db, ctx, ticket, changes->pdata[i]);
	return st;
}
