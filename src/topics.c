/* topics.c - the desk's topics, their rules and the urgency phrases.
 *
 * The topics file (etc/topics.conf) is a GKeyFile: one "[topic NAME]"
 * group per topic with its titles, team, answer and rules, "[urgency]"
 * with the phrases that make a mail urgent, and "[classifier]" with the
 * numbers of the statistics.  Rule phrases are folded and split into words
 * exactly as a mail's text is (dm_text_normalise()), so "medknjižnična
 * izposoja" also matches "MEDKNJIZNICNA IZPOSOJA", and match whole words
 * only; a word of a phrase ending in '*' matches any word it begins, which
 * is how one phrase covers the many endings of a Finnish, Hungarian or
 * Slovenian noun ("kaukolain*" for kaukolaina, kaukolainan,
 * kaukolainaa...).  A mail is tried with the phrases of its language and
 * the English ones (mail mixes in English terms: "VPN", "wifi", "urgent");
 * the other languages' phrases are left out because short words collide
 * across languages (Finnish "heti" is "at once", Hungarian "heti" is
 * "weekly").  When the language is unknown every phrase is tried.
 *
 * A phrase is looked up by its first word, so matching costs one hash
 * lookup per word of the mail plus a scan of the phrases that begin with a
 * prefix, whatever the number of phrases. */
#include "dm-autoconf.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "topics.h"

G_DEFINE_QUARK(dm-topics-error-quark, dm_topics_error)

/* Phrase levels of [urgency]. */
enum { LEVEL_CALM, LEVEL_HIGH, LEVEL_URGENT };

struct phrase {
	char *text;       /* as normalised, without the outer spaces: for reports */
	char **words;     /* NULL-terminated */
	gboolean *prefix; /* per word: ends in '*' */
	size_t *len;      /* per word: its length */
	guint n;
	int owner;        /* the topic, or the urgency level */
	char lang[4];     /* the language of the key */
};

/* Phrases indexed by their first word. */
struct phrase_set {
	GPtrArray *all;        /* struct phrase *, owned */
	GHashTable *by_first;  /* first word -> GPtrArray of struct phrase * */
	GPtrArray *by_prefix;  /* phrases whose first word is a prefix */
};

struct header_rule {
	char *name;  /* as written */
	char *value; /* folded */
	char *text;  /* "Name: value" as written, for reports */
};

struct topic {
	char *name;
	GHashTable *titles; /* lang -> title */
	char *team;
	char *template;
	gboolean close;
	char **domains;     /* lower case, NULL-terminated */
	GPtrArray *headers; /* struct header_rule * */
};

struct dm_topics {
	GPtrArray *topics; /* struct topic * */
	char **names;      /* NULL-terminated, borrowed from topics */
	struct phrase_set rules;
	struct phrase_set urgency;
	guint n_phrases;
	double threshold, subject_weight, alpha, urgent_threshold;
};

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
	for (char **k = keys; k && *k; k++) {
		if (g_str_has_prefix(*k, "title_") && valid_lang(*k + 6)) {
			g_autofree char *v = get_string(l, group, *k);
			if (*v == '\0')
				return fail(l, DM_TOPICS_ERROR_VALUE, group, *k, "empty title");
			g_hash_table_replace(tp->titles, g_strdup(*k + 6), g_steal_pointer(&v));
		} else if (g_str_has_prefix(*k, "phrases_") && valid_lang(*k + 8)) {
			if (!add_phrases(l, &l->t->rules, group, *k, *k + 8, index))
				return FALSE;
		} else if (strcmp(*k, "team") == 0 || strcmp(*k, "template") == 0) {
			g_autofree char *v = get_string(l, group, *k);
			if (!valid_name(v))
				return fail(l, DM_TOPICS_ERROR_VALUE, group, *k,
					    "'%s' is not 1 to 64 of a-z, 0-9, '-' and '_'", v);
			if (**k == 't' && (*k)[1] == 'e' && (*k)[2] == 'a')
				tp->team = g_steal_pointer(&v);
			else
				tp->template = g_steal_pointer(&v);
		} else if (strcmp(*k, "close") == 0) {
			g_autofree char *v = get_string(l, group, *k);
			if (strcmp(v, "true") == 0)
				tp->close = TRUE;
			else if (strcmp(v, "false") != 0)
				return fail(l, DM_TOPICS_ERROR_VALUE, group, *k,
					    "'%s' is not true or false", v);
		} else if (strcmp(*k, "sender_domains") == 0) {
			g_auto(GStrv) items = get_list(l, group, *k);
			for (char **d = items; *d; d++) {
				for (char *p = *d; *p; p++) {
					*p = g_ascii_tolower(*p);
					if (!(g_ascii_isalnum(*p) || *p == '.' || *p == '-'))
						return fail(l, DM_TOPICS_ERROR_VALUE, group, *k,
							    "'%s' is not a domain", *d);
				}
			}
			tp->domains = g_steal_pointer(&items);
		} else if (strcmp(*k, "headers") == 0) {
			g_auto(GStrv) items = get_list(l, group, *k);
			for (char **h = items; *h; h++) {
				const char *colon = strchr(*h, ':');
				g_autofree char *hname =
					colon ? g_strstrip(g_strndup(*h, (gsize) (colon - *h))) : NULL;
				g_autofree char *hvalue = colon ? g_strstrip(g_strdup(colon + 1)) : NULL;
				if (hname == NULL || *hname == '\0' || *hvalue == '\0' ||
				    strpbrk(hname, " \t") != NULL)
					return fail(l, DM_TOPICS_ERROR_VALUE, group, *k,
						    "'%s' is not \"Header: text\"", *h);
				struct header_rule *hr = g_new0(struct header_rule, 1);
				hr->name = g_steal_pointer(&hname);
				hr->value = dm_text_fold(hvalue, -1);
				hr->text = g_strdup(*h);
				g_ptr_array_add(tp->headers, hr);
			}
		} else {
			return fail(l, DM_TOPICS_ERROR_UNKNOWN, group, *k, "unknown key");
		}
	}
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

static const struct topic *
topic_at(const struct dm_topics *t, guint i)
{
	g_return_val_if_fail(i < t->topics->len, NULL);
	return g_ptr_array_index(t->topics, i);
}

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

/* ---- Matching. */

/* Does PH match at WORDS[AT] (N words in all)? */
static gboolean
phrase_at(const struct phrase *ph, char **words, guint n, guint at)
{
	if (at + ph->n > n)
		return FALSE;
	for (guint k = 0; k < ph->n; k++) {
		const char *w = words[at + k];
		/* The first letter rules out nearly every phrase at once. */
		if (w[0] != ph->words[k][0])
			return FALSE;
		if (ph->prefix[k] ? strncmp(w, ph->words[k], ph->len[k]) != 0
				  : strcmp(w, ph->words[k]) != 0)
			return FALSE;
	}
	return TRUE;
}

/* Are the phrases of PH's language tried on a mail in LANG? */
static gboolean
phrase_applies(const struct phrase *ph, const char *lang)
{
	return lang == NULL || strcmp(ph->lang, lang) == 0 || strcmp(ph->lang, "en") == 0;
}

/* Call FUNC for every phrase of SET that matches normalised TEXT, once per
 * phrase, in the order of the text.  Only the phrases of LANG and English
 * are tried, or all when LANG is NULL. */
static void
match_phrases(const struct phrase_set *set, const char *text, const char *lang,
	      void (*func)(const struct phrase *ph, void *data), void *data)
{
	if (text == NULL || set->all->len == 0)
		return;
	g_auto(GStrv) split = g_strsplit(text, " ", -1);
	/* The words without the empty strings of the outer spaces. */
	guint n = 0;
	for (char **p = split; *p; p++)
		if (**p)
			split[n++] = *p;
		else
			g_free(*p);
	split[n] = NULL;
	g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
	/* The prefix phrases are tried at every word: only those of LANG. */
	g_autoptr(GPtrArray) prefixed = g_ptr_array_sized_new(set->by_prefix->len);
	for (guint j = 0; j < set->by_prefix->len; j++) {
		const struct phrase *ph = g_ptr_array_index(set->by_prefix, j);
		if (phrase_applies(ph, lang))
			g_ptr_array_add(prefixed, (gpointer) ph);
	}

	for (guint i = 0; i < n; i++) {
		GPtrArray *list = g_hash_table_lookup(set->by_first, split[i]);
		for (guint j = 0; list && j < list->len; j++) {
			const struct phrase *ph = g_ptr_array_index(list, j);
			if (phrase_applies(ph, lang) && phrase_at(ph, split, n, i) &&
			    !g_hash_table_contains(seen, ph)) {
				g_hash_table_add(seen, (gpointer) ph);
				func(ph, data);
			}
		}
		for (guint j = 0; j < prefixed->len; j++) {
			const struct phrase *ph = g_ptr_array_index(prefixed, j);
			if (phrase_at(ph, split, n, i) && !g_hash_table_contains(seen, ph)) {
				g_hash_table_add(seen, (gpointer) ph);
				func(ph, data);
			}
		}
	}
}

struct rule_tally {
	guint *count;               /* per topic */
	const struct phrase **first; /* per topic */
};

static void
tally_rule(const struct phrase *ph, void *data)
{
	struct rule_tally *r = data;
	if (r->count[ph->owner]++ == 0)
		r->first[ph->owner] = ph;
}

/* Does HEADERS have a header NAME whose folded value contains VALUE? */
static gboolean
header_matches(const struct header_rule *hr, const char *const *headers)
{
	size_t nlen = strlen(hr->name);
	for (const char *const *h = headers; h && *h; h++) {
		if (g_ascii_strncasecmp(*h, hr->name, nlen) != 0 || (*h)[nlen] != ':')
			continue;
		g_autofree char *v = dm_text_fold(*h + nlen + 1, -1);
		if (strstr(v, hr->value) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* Is DOMAIN (any case) RULE or one of its subdomains? */
static gboolean
domain_matches(const char *rule, const char *domain)
{
	size_t dl = strlen(domain), rl = strlen(rule);
	if (dl < rl || g_ascii_strcasecmp(domain + dl - rl, rule) != 0)
		return FALSE;
	return dl == rl || domain[dl - rl - 1] == '.';
}

/* The rules: the topic, or -1 with COUNT (per topic, may be NULL) holding
 * how many phrases of each topic matched, and FIRST the first of them. */
static int
rules(const struct dm_topics *t, const char *text, const char *lang, const char *sender_domain,
      const char *const *headers, const char **matched, guint *count, const struct phrase **first)
{
	guint n = t->topics->len;
	if (matched)
		*matched = NULL;

	for (guint i = 0; headers != NULL && i < n; i++) {
		const struct topic *tp = topic_at(t, i);
		for (guint j = 0; j < tp->headers->len; j++) {
			const struct header_rule *hr = g_ptr_array_index(tp->headers, j);
			if (header_matches(hr, headers)) {
				if (matched)
					*matched = hr->text;
				return (int) i;
			}
		}
	}
	for (guint i = 0; sender_domain != NULL && *sender_domain && i < n; i++) {
		const struct topic *tp = topic_at(t, i);
		for (char **d = tp->domains; *d; d++) {
			if (domain_matches(*d, sender_domain)) {
				if (matched)
					*matched = *d;
				return (int) i;
			}
		}
	}

	struct rule_tally r = { count, first };
	match_phrases(&t->rules, text, lang, tally_rule, &r);
	int best = -1;
	gboolean tie = FALSE;
	for (guint i = 0; i < n; i++) {
		if (count[i] == 0)
			continue;
		if (best < 0 || count[i] > count[best]) {
			best = (int) i;
			tie = FALSE;
		} else if (count[i] == count[best]) {
			tie = TRUE;
		}
	}
	if (best < 0 || tie)
		return -1;
	if (matched)
		*matched = first[best]->text;
	return best;
}

int
dm_topics_rule_match(const struct dm_topics *t, const char *text, const char *lang,
		     const char *sender_domain, const char *const *headers, const char **matched)
{
	guint n = t->topics->len;
	g_autofree guint *count = g_new0(guint, n);
	g_autofree const struct phrase **first = g_new0(const struct phrase *, n);
	return rules(t, text, lang, sender_domain, headers, matched, count, first);
}

struct urgency_tally {
	const struct phrase *level[3];
};

static void
tally_urgency(const struct phrase *ph, void *data)
{
	struct urgency_tally *u = data;
	if (u->level[ph->owner] == NULL)
		u->level[ph->owner] = ph;
}

const char *
dm_topics_urgency(const struct dm_topics *t, const char *text, const char *lang,
		  const char **phrase)
{
	struct urgency_tally u = { { NULL, NULL, NULL } };
	if (phrase)
		*phrase = NULL;
	match_phrases(&t->urgency, text, lang, tally_urgency, &u);
	if (u.level[LEVEL_CALM] != NULL) {
		if (phrase)
			*phrase = u.level[LEVEL_CALM]->text;
		return NULL;
	}
	for (int level = LEVEL_URGENT; level >= LEVEL_HIGH; level--) {
		if (u.level[level] != NULL) {
			if (phrase)
				*phrase = u.level[level]->text;
			return level == LEVEL_URGENT ? "urgent" : "high";
		}
	}
	return NULL;
}

void
dm_topics_decide(const struct dm_topics *t, const struct dm_nb_model *model,
		 const struct dm_nb_model *urgency_model, const struct dm_features *f,
		 const char *lang, const char *sender_domain, const char *const *headers,
		 struct dm_classification *out)
{
	guint n = t->topics->len;
	g_autofree guint *count = g_new0(guint, n);
	g_autofree const struct phrase **first = g_new0(const struct phrase *, n);
	const char *matched = NULL;
	int rule = rules(t, dm_features_text(f), lang, sender_domain, headers, &matched, count, first);

	dm_classify(model, f, t->threshold, out);
	if (rule >= 0) {
		out->topic = rule;
		out->by_rule = TRUE;
		out->rule = matched;
	} else {
		/* Phrases of several topics tied: each is a good sign, so the
		 * statistics choose among those topics only. */
		guint most = 0;
		for (guint i = 0; i < n; i++)
			most = MAX(most, count[i]);
		if (most > 0) {
			g_autofree gboolean *allowed = g_new0(gboolean, n);
			for (guint i = 0; i < n; i++)
				allowed[i] = count[i] == most;
			struct dm_classification among;
			dm_classify_among(model, f, allowed, 0.0, &among);
			if (among.best >= 0) {
				*out = among;
				out->topic = among.best;
				out->by_rule = TRUE;
				out->rule = first[among.best]->text;
			}
		}
	}
	const char *phrase = NULL;
	out->urgency = dm_topics_urgency(t, dm_features_text(f), lang, &phrase);
	out->urgency_phrase = phrase;
	/* A calming phrase ("not urgent") also silences the model: the writer
	 * said so in as many words. */
	if (phrase == NULL || out->urgency != NULL)
		dm_classify_urgency(urgency_model, f, t->urgent_threshold, out);
}
