/* topics.c - the desk's topics file: parsing and checking it, and the
 * accessors of what it holds.
 *
 * The topics file (etc/topics.conf) is a GKeyFile: one "[topic NAME]"
 * group per topic with its titles, team, answer and rules, "[urgency]"
 * with the phrases that make a mail urgent, and "[classifier]" with the
 * numbers of the statistics.  Every key is checked here, so that a typo
 * is an error at load time rather than a rule that silently never
 * matches.  Rule phrases are folded and split into words exactly as a
 * mail's text is (dm_text_normalise()), so "medknjižnična izposoja" also
 * matches "MEDKNJIZNICNA IZPOSOJA"; a word ending in '*' matches any word
 * it begins, which is how one phrase covers the many endings of a
 * Finnish, Hungarian or Slovenian noun ("kaukolain*" for kaukolaina,
 * kaukolainan, kaukolainaa...).  Each phrase is indexed by its first word
 * for the matcher in topics-match.c. */
#include "dm-autoconf.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "topics.h"
#include "topics-private.h"

G_DEFINE_QUARK(dm-topics-error-quark, dm_topics_error)

/* ---- Freeing. */

static void
phrase_free(gpointer p)
{
	struct phrase *ph = p;
	g_free(ph->text);
	g_strfreev(ph->words);
	g_free(ph->prefix);
	g_free(ph->len);
	g_free(ph);
}

static void
phrase_set_init(struct phrase_set *s)
{
	s->all = g_ptr_array_new_with_free_func(phrase_free);
	s->by_first = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify) g_ptr_array_unref);
	s->by_prefix = g_ptr_array_new();
}

static void
phrase_set_clear(struct phrase_set *s)
{
	if (s->by_prefix)
		g_ptr_array_free(s->by_prefix, TRUE);
	if (s->by_first)
		g_hash_table_destroy(s->by_first);
	if (s->all)
		g_ptr_array_free(s->all, TRUE);
}

static void
header_rule_free(gpointer p)
{
	struct header_rule *h = p;
	g_free(h->name);
	g_free(h->value);
	g_free(h->text);
	g_free(h);
}

static void
topic_free(gpointer p)
{
	struct topic *t = p;
	g_free(t->name);
	g_hash_table_destroy(t->titles);
	g_free(t->team);
	g_free(t->template);
	g_strfreev(t->domains);
	g_ptr_array_free(t->headers, TRUE);
	g_free(t);
}

void
dm_topics_free(struct dm_topics *t)
{
	if (t == NULL)
		return;
	phrase_set_clear(&t->rules);
	phrase_set_clear(&t->urgency);
	g_free(t->names);
	g_ptr_array_free(t->topics, TRUE);
	g_free(t);
}

/* ---- Loading. */

struct loader {
	const char *name; /* the file, for errors */
	GKeyFile *kf;
	struct dm_topics *t;
	GError **error;
};

static gboolean
fail(struct loader *l, DmTopicsError code, const char *group, const char *key, const char *fmt, ...)
	G_GNUC_PRINTF(5, 6);

static gboolean
fail(struct loader *l, DmTopicsError code, const char *group, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (key != NULL)
		g_set_error(l->error, DM_TOPICS_ERROR, code, "%s: [%s] %s: %s", l->name, group, key,
			    what);
	else
		g_set_error(l->error, DM_TOPICS_ERROR, code, "%s: [%s]: %s", l->name, group, what);
	return FALSE;
}

/* A topic name, team or template: 1 to 64 of [a-z0-9_-]. */
static gboolean
valid_name(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > 64)
		return FALSE;
	for (const char *p = s; *p; p++)
		if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '-' || *p == '_'))
			return FALSE;
	return TRUE;
}

/* A language code as it ends a key: 2 or 3 lower-case letters. */
static gboolean
valid_lang(const char *s)
{
	size_t len = strlen(s);
	if (len < 2 || len > 3)
		return FALSE;
	for (const char *p = s; *p; p++)
		if (!g_ascii_islower(*p))
			return FALSE;
	return TRUE;
}

/* The string value of GROUP/KEY, trimmed; NULL (and no error) when missing. */
static char *
get_string(struct loader *l, const char *group, const char *key)
{
	char *v = g_key_file_get_string(l->kf, group, key, NULL);
	return v ? g_strstrip(v) : NULL;
}

/* The list of GROUP/KEY, items trimmed, empty items dropped. */
static char **
get_list(struct loader *l, const char *group, const char *key)
{
	gsize n = 0;
	char **items = g_key_file_get_string_list(l->kf, group, key, &n, NULL);
	if (items == NULL)
		return g_new0(char *, 1);
	GPtrArray *out = g_ptr_array_new();
	for (gsize i = 0; i < n; i++) {
		char *s = g_strstrip(items[i]);
		if (*s)
			g_ptr_array_add(out, g_strdup(s));
	}
	g_strfreev(items);
	g_ptr_array_add(out, NULL);
	return (char **) g_ptr_array_free(out, FALSE);
}

/* Add the phrase RAW of GROUP/KEY to SET for OWNER. */
static gboolean
add_phrase(struct loader *l, struct phrase_set *set, const char *group, const char *key,
	   const char *lang, const char *raw, int owner)
{
	if (strlen(raw) > DM_TOPICS_PHRASE_MAX)
		return fail(l, DM_TOPICS_ERROR_VALUE, group, key, "phrase longer than %d bytes: %.40s...",
			    DM_TOPICS_PHRASE_MAX, raw);
	if (++l->t->n_phrases > DM_TOPICS_MAX_PHRASES)
		return fail(l, DM_TOPICS_ERROR_VALUE, group, key, "more than %d phrases in the file",
			    DM_TOPICS_MAX_PHRASES);
	/* A '*' must end a word; normalising would silently drop a stray one. */
	for (const char *star = strchr(raw, '*'); star != NULL; star = strchr(star + 1, '*')) {
		gboolean after_word = star > raw && !g_ascii_isspace(star[-1]) && star[-1] != '*';
		if (!after_word || (star[1] != '\0' && !g_ascii_isspace(star[1])))
			return fail(l, DM_TOPICS_ERROR_VALUE, group, key,
				    "phrase '%s': '*' must end a word of at least 3 letters", raw);
	}
	g_autofree char *norm = dm_text_normalise(raw);
	g_strstrip(norm);
	g_auto(GStrv) words = g_strsplit(norm, " ", -1);
	guint n = g_strv_length(words);
	if (n == 0 || *words[0] == '\0')
		return fail(l, DM_TOPICS_ERROR_VALUE, group, key, "phrase '%s' has no words", raw);

	struct phrase *ph = g_new0(struct phrase, 1);
	ph->text = g_strdup(norm);
	ph->n = n;
	ph->owner = owner;
	g_strlcpy(ph->lang, lang, sizeof ph->lang);
	ph->words = g_new0(char *, n + 1);
	ph->prefix = g_new0(gboolean, n);
	ph->len = g_new0(size_t, n);
	for (guint i = 0; i < n; i++) {
		char *w = words[i];
		size_t len = strlen(w);
		char *star = strchr(w, '*');
		if (star != NULL && (star != w + len - 1 || len < 4)) {
			phrase_free(ph);
			return fail(l, DM_TOPICS_ERROR_VALUE, group, key,
				    "phrase '%s': '*' must end a word of at least 3 letters", raw);
		}
		if (star != NULL) {
			*star = '\0';
			ph->prefix[i] = TRUE;
		}
		ph->words[i] = g_strdup(w);
		ph->len[i] = strlen(w);
	}
	g_ptr_array_add(set->all, ph);
	if (ph->prefix[0]) {
		g_ptr_array_add(set->by_prefix, ph);
	} else {
		GPtrArray *list = g_hash_table_lookup(set->by_first, ph->words[0]);
		if (list == NULL) {
			list = g_ptr_array_new();
			g_hash_table_insert(set->by_first, g_strdup(ph->words[0]), list);
		}
		g_ptr_array_add(list, ph);
	}
	return TRUE;
}

static gboolean
add_phrases(struct loader *l, struct phrase_set *set, const char *group, const char *key,
	    const char *lang, int owner)
{
	g_auto(GStrv) items = get_list(l, group, key);
	for (char **p = items; *p; p++)
		if (!add_phrase(l, set, group, key, lang, *p, owner))
			return FALSE;
	return TRUE;
}

/* A number of GROUP/KEY within [LO, HI], DEF when missing. */
static gboolean
get_number(struct loader *l, const char *group, const char *key, double lo, double hi, double def,
	   double *out)
{
	g_autofree char *v = get_string(l, group, key);
	if (v == NULL) {
		*out = def;
		return TRUE;
	}
	char *end = NULL;
	double d = g_ascii_strtod(v, &end);
	if (*v == '\0' || end == NULL || *end != '\0' || !(d >= lo && d <= hi))
		return fail(l, DM_TOPICS_ERROR_VALUE, group, key, "'%s' is not a number from %g to %g",
			    v, lo, hi);
	*out = d;
	return TRUE;
}

static gboolean
load_classifier(struct loader *l)
{
	const char *g = "classifier";
	g_auto(GStrv) keys = g_key_file_get_keys(l->kf, g, NULL, NULL);
	for (char **k = keys; k && *k; k++)
		if (strcmp(*k, "threshold") != 0 && strcmp(*k, "subject_weight") != 0 &&
		    strcmp(*k, "alpha") != 0 && strcmp(*k, "urgent_threshold") != 0)
			return fail(l, DM_TOPICS_ERROR_UNKNOWN, g, *k, "unknown key");
	return get_number(l, g, "threshold", 0.0, 1.0, 0.5, &l->t->threshold) &&
	       get_number(l, g, "subject_weight", 0.01, 100.0, 2.0, &l->t->subject_weight) &&
	       get_number(l, g, "alpha", 1e-6, 100.0, 0.5, &l->t->alpha) &&
	       get_number(l, g, "urgent_threshold", 0.0, 1.0, 0.5, &l->t->urgent_threshold);
}

static gboolean
load_urgency(struct loader *l)
{
	const char *g = "urgency";
	g_auto(GStrv) keys = g_key_file_get_keys(l->kf, g, NULL, NULL);
	for (char **k = keys; k && *k; k++) {
		int level;
		const char *lang;
		if (g_str_has_prefix(*k, "phrases_urgent_")) {
			level = LEVEL_URGENT;
			lang = *k + strlen("phrases_urgent_");
		} else if (g_str_has_prefix(*k, "phrases_high_")) {
			level = LEVEL_HIGH;
			lang = *k + strlen("phrases_high_");
		} else if (g_str_has_prefix(*k, "phrases_calm_")) {
			level = LEVEL_CALM;
			lang = *k + strlen("phrases_calm_");
		} else {
			return fail(l, DM_TOPICS_ERROR_UNKNOWN, g, *k, "unknown key");
		}
		if (!valid_lang(lang))
			return fail(l, DM_TOPICS_ERROR_UNKNOWN, g, *k,
				    "unknown key (the language must be 2 or 3 lower-case letters)");
		if (!add_phrases(l, &l->t->urgency, g, *k, lang, level))
			return FALSE;
	}
	return TRUE;
}

/* The sender_domains of GROUP as lower-case domains into TP. */
static gboolean
load_domains(struct loader *l, struct topic *tp, const char *group, const char *key)
{
	g_auto(GStrv) items = get_list(l, group, key);
	for (char **d = items; *d; d++) {
		for (char *p = *d; *p; p++) {
			*p = g_ascii_tolower(*p);
			if (!(g_ascii_isalnum(*p) || *p == '.' || *p == '-'))
				return fail(l, DM_TOPICS_ERROR_VALUE, group, key, "'%s' is not a domain", *d);
		}
	}
	g_strfreev(tp->domains);
	tp->domains = g_steal_pointer(&items);
	return TRUE;
}

/* The header rules ("Name: text") of GROUP into TP. */
static gboolean
load_header_rules(struct loader *l, struct topic *tp, const char *group, const char *key)
{
	g_auto(GStrv) items = get_list(l, group, key);
	for (char **h = items; *h; h++) {
		const char *colon = strchr(*h, ':');
		g_autofree char *hname = colon ? g_strstrip(g_strndup(*h, (gsize) (colon - *h))) : NULL;
		g_autofree char *hvalue = colon ? g_strstrip(g_strdup(colon + 1)) : NULL;
		if (hname == NULL || *hname == '\0' || *hvalue == '\0' || strpbrk(hname, " \t") != NULL)
			return fail(l, DM_TOPICS_ERROR_VALUE, group, key, "'%s' is not \"Header: text\"",
				    *h);
		struct header_rule *hr = g_new0(struct header_rule, 1);
		hr->name = g_steal_pointer(&hname);
		hr->value = dm_text_fold(hvalue, -1);
		hr->text = g_strdup(*h);
		g_ptr_array_add(tp->headers, hr);
	}
	return TRUE;
}

/* The value of team or template of GROUP into *OUT. */
static gboolean
load_name_key(struct loader *l, const char *group, const char *key, char **out)
{
	g_autofree char *v = get_string(l, group, key);
	if (!valid_name(v))
		return fail(l, DM_TOPICS_ERROR_VALUE, group, key,
			    "'%s' is not 1 to 64 of a-z, 0-9, '-' and '_'", v);
	g_free(*out);
	*out = g_steal_pointer(&v);
	return TRUE;
}

/* One KEY of the group of topic TP, which is topic number INDEX. */
static gboolean
load_topic_key(struct loader *l, struct topic *tp, int index, const char *group, const char *key)
{
	if (g_str_has_prefix(key, "title_") && valid_lang(key + 6)) {
		g_autofree char *v = get_string(l, group, key);
		if (*v == '\0')
			return fail(l, DM_TOPICS_ERROR_VALUE, group, key, "empty title");
		g_hash_table_replace(tp->titles, g_strdup(key + 6), g_steal_pointer(&v));
		return TRUE;
	}
	if (g_str_has_prefix(key, "phrases_") && valid_lang(key + 8))
		return add_phrases(l, &l->t->rules, group, key, key + 8, index);
	if (strcmp(key, "team") == 0)
		return load_name_key(l, group, key, &tp->team);
	if (strcmp(key, "template") == 0)
		return load_name_key(l, group, key, &tp->template);
	if (strcmp(key, "close") == 0) {
		g_autofree char *v = get_string(l, group, key);
		if (strcmp(v, "true") == 0)
			tp->close = TRUE;
		else if (strcmp(v, "false") != 0)
			return fail(l, DM_TOPICS_ERROR_VALUE, group, key, "'%s' is not true or false", v);
		return TRUE;
	}
	if (strcmp(key, "sender_domains") == 0)
		return load_domains(l, tp, group, key);
	if (strcmp(key, "headers") == 0)
		return load_header_rules(l, tp, group, key);
	return fail(l, DM_TOPICS_ERROR_UNKNOWN, group, key, "unknown key");
}

static gboolean
load_topic(struct loader *l, const char *group, const char *name)
{
	if (!valid_name(name))
		return fail(l, DM_TOPICS_ERROR_VALUE, group, NULL,
			    "topic name must be 1 to 64 of a-z, 0-9, '-' and '_'");
	if (dm_topics_index(l->t, name) >= 0)
		return fail(l, DM_TOPICS_ERROR_VALUE, group, NULL, "topic defined twice");
	if (l->t->topics->len >= DM_TOPICS_MAX)
		return fail(l, DM_TOPICS_ERROR_VALUE, group, NULL, "more than %d topics", DM_TOPICS_MAX);

	struct topic *tp = g_new0(struct topic, 1);
	tp->name = g_strdup(name);
	tp->titles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	tp->headers = g_ptr_array_new_with_free_func(header_rule_free);
	g_ptr_array_add(l->t->topics, tp);
	int index = (int) l->t->topics->len - 1;

	g_auto(GStrv) keys = g_key_file_get_keys(l->kf, group, NULL, NULL);
	for (char **k = keys; k && *k; k++)
		if (!load_topic_key(l, tp, index, group, *k))
			return FALSE;
	if (g_hash_table_lookup(tp->titles, "en") == NULL)
		return fail(l, DM_TOPICS_ERROR_MISSING, group, "title_en", "missing");
	if (tp->team == NULL)
		return fail(l, DM_TOPICS_ERROR_MISSING, group, "team", "missing");
	if (tp->domains == NULL)
		tp->domains = g_new0(char *, 1);
	return TRUE;
}

static struct dm_topics *
load(GKeyFile *kf, const char *name, GError **error)
{
	struct dm_topics *t = g_new0(struct dm_topics, 1);
	t->topics = g_ptr_array_new_with_free_func(topic_free);
	phrase_set_init(&t->rules);
	phrase_set_init(&t->urgency);
	struct loader l = { .name = name, .kf = kf, .t = t, .error = error };

	g_key_file_set_list_separator(kf, ';');
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	gboolean ok = TRUE;
	for (char **g = groups; ok && *g; g++) {
		if (g_str_has_prefix(*g, "topic "))
			ok = load_topic(&l, *g, *g + strlen("topic "));
		else if (strcmp(*g, "urgency") == 0)
			ok = load_urgency(&l);
		else if (strcmp(*g, "classifier") == 0)
			ok = load_classifier(&l);
		else
			ok = fail(&l, DM_TOPICS_ERROR_UNKNOWN, *g, NULL, "unknown group");
	}
	if (ok && !g_key_file_has_group(kf, "classifier"))
		ok = load_classifier(&l); /* the defaults */
	if (ok && t->topics->len == 0)
		ok = fail(&l, DM_TOPICS_ERROR_MISSING, "topic NAME", NULL, "no topic defined");
	if (!ok) {
		dm_topics_free(t);
		return NULL;
	}
	t->names = g_new0(char *, t->topics->len + 1);
	for (guint i = 0; i < t->topics->len; i++)
		t->names[i] = ((struct topic *) g_ptr_array_index(t->topics, i))->name;
	return t;
}

struct dm_topics *
dm_topics_load_data(const char *data, gssize len, const char *name, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) local = NULL;
	if (len < 0)
		len = (gssize) strlen(data);
	if (!g_key_file_load_from_data(kf, data, (gsize) len, G_KEY_FILE_NONE, &local)) {
		g_set_error(error, DM_TOPICS_ERROR, DM_TOPICS_ERROR_FILE, "%s: cannot read topics: %s",
			    name, local->message);
		return NULL;
	}
	return load(kf, name, error);
}

struct dm_topics *
dm_topics_load(const char *path, GError **error)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	g_autoptr(GError) local = NULL;
	if (!g_file_get_contents(path, &data, &len, &local)) {
		g_set_error(error, DM_TOPICS_ERROR, DM_TOPICS_ERROR_FILE, "%s: cannot read topics: %s",
			    path, local->message);
		return NULL;
	}
	return dm_topics_load_data(data, (gssize) len, path, error);
}

/* ---- Accessors. */

guint
dm_topics_count(const struct dm_topics *t)
{
	return t->topics->len;
}

const char *const *
dm_topics_names(const struct dm_topics *t)
{
	return (const char *const *) t->names;
}

int
dm_topics_index(const struct dm_topics *t, const char *name)
{
	for (guint i = 0; name != NULL && i < t->topics->len; i++)
		if (strcmp(topic_at(t, i)->name, name) == 0)
			return (int) i;
	return -1;
}

const char *
dm_topics_name(const struct dm_topics *t, guint i)
{
	const struct topic *tp = topic_at(t, i);
	return tp ? tp->name : NULL;
}

const char *
dm_topics_title(const struct dm_topics *t, guint i, const char *lang)
{
	const struct topic *tp = topic_at(t, i);
	if (tp == NULL)
		return NULL;
	const char *title = lang ? g_hash_table_lookup(tp->titles, lang) : NULL;
	return title ? title : g_hash_table_lookup(tp->titles, "en");
}

const char *
dm_topics_team(const struct dm_topics *t, guint i)
{
	const struct topic *tp = topic_at(t, i);
	return tp ? tp->team : NULL;
}

const char *
dm_topics_template(const struct dm_topics *t, guint i)
{
	const struct topic *tp = topic_at(t, i);
	return tp ? tp->template : NULL;
}

gboolean
dm_topics_close(const struct dm_topics *t, guint i)
{
	const struct topic *tp = topic_at(t, i);
	return tp ? tp->close : FALSE;
}

double
dm_topics_threshold(const struct dm_topics *t)
{
	return t->threshold;
}

double
dm_topics_subject_weight(const struct dm_topics *t)
{
	return t->subject_weight;
}

double
dm_topics_alpha(const struct dm_topics *t)
{
	return t->alpha;
}

double
dm_topics_urgent_threshold(const struct dm_topics *t)
{
	return t->urgent_threshold;
}
