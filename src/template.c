/* template.c - the template language: the placeholders a template may
 * use, the parser of a template's text and the renderer.
 *
 * A template is parsed once, when its directory is loaded
 * (template-load.c), into a flat list of segments (text, value,
 * conditional start, conditional end), so that every mistake a person
 * can make in a template file is reported by `deskmail check-config` and
 * at load time, never half-way through answering a customer.  Rendering
 * then only walks the list. */
#include "dm-autoconf.h"

#include <string.h>

#include <glib.h>

#include "template.h"
#include "template-private.h"

G_DEFINE_QUARK(dm-template-error-quark, dm_template_error)

/* The placeholders a template may use: the one list of names, with the
 * sample value dm_templates_check() renders with.  The samples carry
 * Slovenian, Finnish and Hungarian letters and HTML specials, so a check
 * exercises what real values will. */
static const struct placeholder {
	const char *name;
	const char *sample;
} placeholders[] = {
	/* The ticket number alone. */
	{ "ticket_id", "4217" },
	/* The ticket tag that threads replies, as dm_config_format_tag makes it. */
	{ "tag", "[Support #4217]" },
	/* The customer's original subject, decoded; may be empty. */
	{ "subject", "Izposoja e-knjig – čšž, äö, őű <b>&" },
	/* The requester's display name; often empty. */
	{ "requester_name", "Anna Kővári-Šušteršič" },
	/* The title of the ticket's topic in the customer's language. */
	{ "topic_title", "Medknjižnična izposoja" },
	/* The queue (team) the ticket is in. */
	{ "queue", "Knjižnice – podpora" },
	/* The expected answer time, already formatted in the customer's language. */
	{ "due", "torek, 24. novembra 2026 ob 10.00" },
	/* The address replies should go to. */
	{ "reply_address", "support+4217@example.org" },
	/* The name the desk signs with. */
	{ "support_name", "Podpora uporabnikom – Käyttäjätuki – Ügyfélszolgálat" },
	/* For agents' mail (notifications, error replies): */
	/* The requester's address. */
	{ "requester", "ana.kovari@example.si" },
	/* The ticket's status, priority, language, team and topic names. */
	{ "status", "open" },
	{ "priority", "urgent" },
	{ "language", "sl" },
	{ "team", "first-line" },
	{ "topic", "login-password" },
	/* The customer's text (or the note's), as stored. */
	{ "message", "Dober dan,\nne morem se prijaviti v sistem.\n\nLep pozdrav,\nAna" },
	/* The "reply above this line" marker in the ticket's language and English. */
	{ "marker", "##- Odgovorite nad to črto / Reply above this line -##" },
	/* What was wrong with an agent's commands, one per line. */
	{ "errors", "#priority: 'very high' is not one of low, normal, high, urgent" },
	/* The agent's name (or address). */
	{ "agent_name", "Mojca Zupan" },
	/* The attachments' file names, comma-separated; may be empty. */
	{ "attachments", "racun.pdf, zaslon.png" },
	/* Why the mail was sent: "new ticket", "customer reply", "note". */
	{ "reason", "new ticket" },
};

/* dm_template's "used" mask has one bit per placeholder. */
G_STATIC_ASSERT(G_N_ELEMENTS(placeholders) <= 32);

#define REQUESTER_NAME "requester_name"

enum render_mode { RENDER_TEXT, RENDER_SUBJECT, RENDER_HTML };

static void
seg_clear(gpointer p)
{
	struct seg *s = p;
	g_free(s->text);
}

static int
placeholder_index(const char *name, gsize len)
{
	for (guint i = 0; i < G_N_ELEMENTS(placeholders); i++)
		if (strlen(placeholders[i].name) == len && memcmp(placeholders[i].name, name, len) == 0)
			return (int) i;
	return -1;
}

/* The inside of a {{...}} for an error message: templates are written by
 * people, but a runaway tag should not make a runaway log line. */
static char *
clip_tag(const char *inner, gsize len)
{
	const gsize max_chars = 40;
	g_autofree char *copy = g_strndup(inner, len);
	if ((gsize) g_utf8_strlen(copy, -1) <= max_chars)
		return g_strdup_printf("{{%s}}", copy);
	*g_utf8_offset_to_pointer(copy, max_chars) = '\0';
	return g_strdup_printf("{{%s...", copy);
}

static void
add_text(GArray *segs, const char *s, gsize len, guint line)
{
	if (len == 0)
		return;
	struct seg seg = { .kind = SEG_TEXT, .line = line, .text = g_strndup(s, len) };
	g_array_append_val(segs, seg);
}

/* The placeholder between the "{{" before INNER and the "}}" at CLOSE,
 * on line LINE of PATH, into *SEG (its kind, variable and line).  Sets
 * its bit in *USED.  FALSE and ERROR when the name is not one of
 * placeholders[]. */
static gboolean
read_tag(const char *inner, const char *close, const char *path, guint line, struct seg *seg,
	 guint32 *used, GError **error)
{
	const char *name = inner;
	*seg = (struct seg) { .kind = SEG_VALUE, .line = line };
	if (*name == '#')
		seg->kind = SEG_IF;
	else if (*name == '^')
		seg->kind = SEG_UNLESS;
	else if (*name == '/')
		seg->kind = SEG_END;
	if (seg->kind != SEG_VALUE)
		name++;
	int idx = placeholder_index(name, close - name);
	if (idx < 0) {
		g_autofree char *shown = clip_tag(inner, close - inner);
		gboolean word = close > name;
		for (const char *c = name; c < close; c++)
			if (!g_ascii_isalnum(*c) && *c != '_')
				word = FALSE;
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_SYNTAX,
			    "%s:%u: %s placeholder %s", path, line, word ? "unknown" : "malformed",
			    shown);
		return FALSE;
	}
	seg->var = (guint) idx;
	*used |= 1u << idx;
	return TRUE;
}

/* Keep the conditionals of SEGS balanced as SEG is about to be appended:
 * a start goes onto OPEN (the indexes of the unclosed starts), an end
 * must close the innermost start of the same name and records its index
 * there.  FALSE and ERROR on an end that closes nothing or the wrong
 * name. */
static gboolean
nest(GArray *segs, GArray *open, const struct seg *seg, const char *path, GError **error)
{
	if (seg->kind == SEG_IF || seg->kind == SEG_UNLESS) {
		guint at = segs->len;
		g_array_append_val(open, at);
		return TRUE;
	}
	if (seg->kind != SEG_END)
		return TRUE;

	const char *want = placeholders[seg->var].name;
	if (open->len == 0) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_SYNTAX,
			    "%s:%u: {{/%s}} without {{#%s}} or {{^%s}} before it", path, seg->line,
			    want, want, want);
		return FALSE;
	}
	guint at = g_array_index(open, guint, open->len - 1);
	struct seg *start = &g_array_index(segs, struct seg, at);
	if (start->var != seg->var) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_SYNTAX,
			    "%s:%u: {{/%s}} closes {{%c%s}} of line %u", path, seg->line, want,
			    start->kind == SEG_IF ? '#' : '^', placeholders[start->var].name,
			    start->line);
		return FALSE;
	}
	start->end = segs->len;
	g_array_set_size(open, open->len - 1);
	return TRUE;
}

GArray *
dm_template_parse_part(const char *s, gsize len, const char *path, guint first_line,
		       guint32 *used, GError **error)
{
	g_autoptr(GArray) segs = g_array_new(FALSE, FALSE, sizeof(struct seg));
	g_autoptr(GArray) open = g_array_new(FALSE, FALSE, sizeof(guint));
	const char *p = s;
	const char *end = s + len;
	guint line = first_line;

	g_array_set_clear_func(segs, seg_clear);
	while (p < end) {
		const char *tag = g_strstr_len(p, end - p, "{{");
		if (tag == NULL) {
			add_text(segs, p, end - p, line);
			break;
		}
		add_text(segs, p, tag - p, line);
		line += count_lines(p, tag);

		/* A placeholder never spans lines, so a forgotten "}}" is
		 * reported where it happened, not at some later "}}". */
		const char *inner = tag + 2;
		const char *eol = memchr(inner, '\n', end - inner);
		const char *close = g_strstr_len(inner, (eol ? eol : end) - inner, "}}");
		if (close == NULL) {
			g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_SYNTAX,
				    "%s:%u: \"{{\" without \"}}\" on the same line", path, line);
			return NULL;
		}
		struct seg seg;
		if (!read_tag(inner, close, path, line, &seg, used, error) ||
		    !nest(segs, open, &seg, path, error))
			return NULL;
		g_array_append_val(segs, seg);
		p = close + 2;
	}

	if (open->len > 0) {
		const struct seg *start = &g_array_index(segs, struct seg,
							 g_array_index(open, guint, open->len - 1));
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_SYNTAX,
			    "%s:%u: {{%c%s}} without {{/%s}} after it", path, start->line,
			    start->kind == SEG_IF ? '#' : '^', placeholders[start->var].name,
			    placeholders[start->var].name);
		return NULL;
	}
	return g_steal_pointer(&segs);
}

static void
append_value(GString *out, const char *value, enum render_mode mode)
{
	switch (mode) {
	case RENDER_TEXT:
		g_string_append(out, value);
		break;
	case RENDER_HTML: {
		g_autofree char *escaped = g_markup_escape_text(value, -1);
		g_string_append(out, escaped);
		break;
	}
	case RENDER_SUBJECT:
		/* The subject becomes a header: a line break in a value (a
		 * customer's subject, a name) must not start a new header. */
		for (const char *c = value; *c; c = g_utf8_next_char(c)) {
			gunichar u = g_utf8_get_char(c);
			if (is_line_break_or_control(u))
				g_string_append_c(out, ' ');
			else
				g_string_append_len(out, c, g_utf8_next_char(c) - c);
		}
		break;
	}
}

static char *
render_part(const GArray *segs, const char *const *values, enum render_mode mode)
{
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < segs->len; i++) {
		const struct seg *seg = &g_array_index(segs, struct seg, i);
		switch (seg->kind) {
		case SEG_TEXT:
			g_string_append(out, seg->text);
			break;
		case SEG_VALUE:
			append_value(out, values[seg->var], mode);
			break;
		case SEG_IF:
			if (*values[seg->var] == '\0')
				i = seg->end;
			break;
		case SEG_UNLESS:
			if (*values[seg->var] != '\0')
				i = seg->end;
			break;
		case SEG_END:
			break;
		}
	}
	return g_string_free(out, FALSE);
}

gboolean
dm_template_render(const struct dm_template *tpl, GHashTable *vars, char **subject, char **text,
		   char **html, GError **error)
{
	const char *values[G_N_ELEMENTS(placeholders)] = { NULL };

	g_return_val_if_fail(tpl != NULL && vars != NULL, FALSE);
	g_return_val_if_fail(subject != NULL && text != NULL, FALSE);
	*subject = NULL;
	*text = NULL;
	if (html)
		*html = NULL;

	/* Every value is checked before anything is rendered, including those
	 * of conditionals that will not show: whether a template renders must
	 * not depend on which values happen to be empty today. */
	for (guint i = 0; i < G_N_ELEMENTS(placeholders); i++) {
		if (!(tpl->used & (1u << i)))
			continue;
		values[i] = g_hash_table_lookup(vars, placeholders[i].name);
		if (values[i] == NULL) {
			g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_VALUE,
				    "%s: no value for {{%s}}", tpl->path, placeholders[i].name);
			return FALSE;
		}
		if (!g_utf8_validate(values[i], -1, NULL)) {
			g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_VALUE,
				    "%s: the value for {{%s}} is not valid UTF-8", tpl->path,
				    placeholders[i].name);
			return FALSE;
		}
	}

	*subject = render_part(tpl->subject, values, RENDER_SUBJECT);
	*text = render_part(tpl->text, values, RENDER_TEXT);
	if (html && tpl->html)
		*html = render_part(tpl->html, values, RENDER_HTML);
	return TRUE;
}

gboolean
dm_templates_check(const struct dm_templates *t, GError **error)
{
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash, g_str_equal);

	g_return_val_if_fail(t != NULL, FALSE);
	for (guint i = 0; i < G_N_ELEMENTS(placeholders); i++)
		g_hash_table_insert(vars, (gpointer) placeholders[i].name,
				    (gpointer) placeholders[i].sample);

	/* Twice: a greeting must work for a requester with a name and for
	 * one without, the case templates most easily get wrong. */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			g_hash_table_insert(vars, (gpointer) REQUESTER_NAME, (gpointer) "");
		for (guint i = 0; i < t->all->len; i++) {
			const struct dm_template *tpl = t->all->pdata[i];
			g_autofree char *subject = NULL;
			g_autofree char *text = NULL;
			g_autofree char *html = NULL;
			if (!dm_template_render(tpl, vars, &subject, &text, &html, error))
				return FALSE;
		}
	}
	return TRUE;
}
