/* command.c - parse "#status resolved", "#assign me" and friends.
 *
 * Only the top of a mail counts: a '#' further down is prose (or a quoted
 * earlier command) and must never act.  Any error makes the whole mail
 * change nothing, so a typo cannot half-apply a set of commands. */
#include "dm-autoconf.h"

#include <string.h>

#include "command.h"
#include "message.h"

static const struct {
	const char *name;
	enum dm_command_kind kind;
	const char *choices; /* "a|b|c", or NULL for free text / none */
	gboolean needs_arg;
} specs[] = {
	{ "status", DM_CMD_STATUS, "open|pending|resolved|closed", TRUE },
	{ "assign", DM_CMD_ASSIGN, NULL, TRUE },
	{ "priority", DM_CMD_PRIORITY, "low|normal|high|urgent", TRUE },
	{ "topic", DM_CMD_TOPIC, NULL, TRUE },
	{ "escalate", DM_CMD_ESCALATE, NULL, TRUE },
	{ "note", DM_CMD_NOTE, NULL, FALSE },
	{ "requester", DM_CMD_REQUESTER, NULL, TRUE },
};

const char *
dm_command_name(enum dm_command_kind kind)
{
	for (gsize i = 0; i < G_N_ELEMENTS(specs); i++)
		if (specs[i].kind == kind)
			return specs[i].name;
	return "?";
}

static void
command_free(gpointer p)
{
	struct dm_command *c = p;
	g_free(c->arg);
	g_free(c);
}

static gboolean
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return FALSE;
	for (const char *p = s; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return FALSE;
	return TRUE;
}

static gboolean
valid_address(const char *s)
{
	const char *at = strchr(s, '@');
	return at && at != s && at[1] && !strchr(at + 1, '@') && s[0] != '-' && !strpbrk(s, " \t<>,;\"");
}

/* Check one command line; append to ERRORS when wrong. */
static void
parse_line(struct dm_commands *out, const char *line, GString *errors)
{
	g_autofree char *copy = g_strstrip(g_strdup(line + 1));
	char *sp = copy + strcspn(copy, " \t");
	char *arg = sp;
	if (*sp) {
		*sp = '\0';
		arg = g_strstrip(sp + 1);
	}
	g_autofree char *word = g_ascii_strdown(copy, -1);
	for (gsize i = 0; i < G_N_ELEMENTS(specs); i++) {
		if (strcmp(word, specs[i].name) != 0)
			continue;
		for (guint j = 0; j < out->list->len; j++)
			if (((struct dm_command *) out->list->pdata[j])->kind == specs[i].kind) {
				g_string_append_printf(errors, "#%s: given twice\n", word);
				return;
			}
		if (specs[i].needs_arg && *arg == '\0') {
			g_string_append_printf(errors, "#%s: needs %s\n", word,
					       specs[i].choices ? specs[i].choices : "an argument");
			return;
		}
		if (!specs[i].needs_arg && *arg != '\0') {
			g_string_append_printf(errors, "#%s: takes no argument\n", word);
			return;
		}
		g_autofree char *value = NULL;
		switch (specs[i].kind) {
		case DM_CMD_ASSIGN:
			value = g_ascii_strcasecmp(arg, "me") == 0 ? g_strdup("me") : dm_address_normalise(arg);
			if (strcmp(value, "me") != 0 && !valid_address(value)) {
				g_string_append_printf(errors, "#assign: '%s' is not an address or \"me\"\n", arg);
				return;
			}
			break;
		case DM_CMD_REQUESTER:
			value = dm_address_normalise(arg);
			if (!valid_address(value)) {
				g_string_append_printf(errors, "#requester: '%s' is not a mail address\n", arg);
				return;
			}
			break;
		case DM_CMD_TOPIC:
		case DM_CMD_ESCALATE:
			value = g_ascii_strdown(arg, -1);
			if (!valid_name(value)) {
				g_string_append_printf(errors, "#%s: '%s' is not a name\n", word, arg);
				return;
			}
			break;
		default:
			value = g_ascii_strdown(arg, -1);
			if (specs[i].choices) {
				g_auto(GStrv) choices = g_strsplit(specs[i].choices, "|", -1);
				if (!g_strv_contains((const char *const *) choices, value)) {
					g_autofree char *list = g_strjoinv(", ", choices);
					g_string_append_printf(errors, "#%s: '%s' is not one of %s\n", word, arg, list);
					return;
				}
			}
			break;
		}
		struct dm_command *c = g_new0(struct dm_command, 1);
		c->kind = specs[i].kind;
		c->arg = g_steal_pointer(&value);
		if (c->kind == DM_CMD_NOTE)
			out->note = TRUE;
		g_ptr_array_add(out->list, c);
		return;
	}
	g_autofree char *shown = g_utf8_make_valid(copy, MIN(strlen(copy), 40));
	g_string_append_printf(errors, "#%s: unknown command (known: #status, #assign, #priority, #topic, "
				       "#escalate, #note, #requester)\n", shown);
}

struct dm_commands *
dm_commands_parse(const char *text)
{
	struct dm_commands *out = g_new0(struct dm_commands, 1);
	out->list = g_ptr_array_new_with_free_func(command_free);
	GString *errors = g_string_new(NULL);
	GString *rest = g_string_new(NULL);
	gboolean top = TRUE;
	const char *p = text ? text : "";

	while (*p) {
		const char *nl = strchr(p, '\n');
		gsize len = nl ? (gsize) (nl - p) : strlen(p);
		g_autofree char *line = g_strndup(p, len);
		const char *t = line;
		while (*t == ' ' || *t == '\t')
			t++;
		if (top && t[0] == '#' && g_ascii_isalpha(t[1]) && out->list->len + 1 < 100) {
			parse_line(out, t, errors);
		} else {
			if (top && *t != '\0')
				top = FALSE;
			if (!top)
				g_string_append_len(rest, p, nl ? len + 1 : len);
		}
		p = nl ? nl + 1 : p + len;
	}
	out->rest = g_string_free(rest, FALSE);
	out->errors = errors->len ? g_string_free(errors, FALSE) : (g_string_free(errors, TRUE), NULL);
	if (out->errors)
		g_strchomp(out->errors);
	return out;
}

void
dm_commands_free(struct dm_commands *c)
{
	if (c == NULL)
		return;
	g_ptr_array_unref(c->list);
	g_free(c->rest);
	g_free(c->errors);
	g_free(c);
}
