/* topics-private.h - the loaded topics as the two halves of the topics
 * module see them: topics.c parses the file into these structures,
 * topics-match.c matches mail against them.  Nobody else may rely on
 * them; other modules use topics.h. */
#ifndef DM_TOPICS_PRIVATE_H
#define DM_TOPICS_PRIVATE_H

#include <glib.h>

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

/* Topic I of T, or NULL (with a critical warning) when out of range. */
static inline const struct topic *
topic_at(const struct dm_topics *t, guint i)
{
	g_return_val_if_fail(i < t->topics->len, NULL);
	return g_ptr_array_index(t->topics, i);
}

#endif
