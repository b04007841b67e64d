/* topics-match.c - which topic and urgency the rules of the topics file
 * give a mail, and the whole decision with the statistics.
 *
 * Rule phrases were folded and split into words when the file was loaded
 * (topics.c), exactly as a mail's text is (dm_text_normalise()), and
 * match whole words only; a word of a phrase ending in '*' matches any
 * word it begins.  A mail is tried with the phrases of its language and
 * the English ones (mail mixes in English terms: "VPN", "wifi",
 * "urgent"); the other languages' phrases are left out because short
 * words collide across languages (Finnish "heti" is "at once", Hungarian
 * "heti" is "weekly").  When the language is unknown every phrase is
 * tried.  A phrase is looked up by its first word, so matching costs one
 * hash lookup per word of the mail plus a scan of the phrases that begin
 * with a prefix, whatever the number of phrases. */
#include "dm-autoconf.h"

#include <string.h>

#include <glib.h>

#include "topics.h"
#include "topics-private.h"

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
