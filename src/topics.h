/* topics.h - the desk's topics (etc/topics.conf): names, titles, teams,
 * the rule phrases that decide a topic outright, and the phrases that
 * make a mail urgent.  Pure once loaded. */
#ifndef DM_TOPICS_H
#define DM_TOPICS_H

#include <glib.h>

#include "classify.h"

/* Limits on what one file may hold. */
#define DM_TOPICS_MAX 256          /* topics */
#define DM_TOPICS_MAX_PHRASES 4096 /* phrases of all keys together */
#define DM_TOPICS_PHRASE_MAX 200   /* bytes of one phrase */

#define DM_TOPICS_ERROR (dm_topics_error_quark())
GQuark dm_topics_error_quark(void);

typedef enum {
	DM_TOPICS_ERROR_FILE,    /* unreadable, or not a key file */
	DM_TOPICS_ERROR_MISSING, /* a required group or key is missing */
	DM_TOPICS_ERROR_VALUE,   /* a value is malformed or out of range */
	DM_TOPICS_ERROR_UNKNOWN, /* a group or key nobody reads: a typo */
} DmTopicsError;

/* The loaded topics; read only, so one may serve several threads. */
struct dm_topics;

/* Load the topics file at PATH (borrowed).  Its groups are "[classifier]",
 * "[urgency]" and one "[topic NAME]" per topic (see etc/topics.conf for
 * every key).  On failure returns NULL and sets ERROR (domain
 * DM_TOPICS_ERROR) to one line naming file, group, key and problem, e.g.
 * "topics.conf: [topic printing] team: missing".  Caller frees with
 * dm_topics_free(). */
struct dm_topics *dm_topics_load(const char *path, GError **error);
/* The same from DATA (borrowed, LEN bytes or -1), named NAME in errors. */
struct dm_topics *dm_topics_load_data(const char *data, gssize len, const char *name,
				      GError **error);

/* Free T; NULL is allowed. */
void dm_topics_free(struct dm_topics *t);
typedef struct dm_topics DmTopics;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmTopics, dm_topics_free)

/* The number of topics, at least 1. */
guint dm_topics_count(const struct dm_topics *t);
/* The names of the topics in file order, NULL-terminated (to make a
 * model's classes).  Borrowed from T. */
const char *const *dm_topics_names(const struct dm_topics *t);
/* Index of the topic called NAME (borrowed), or -1 when there is none. */
int dm_topics_index(const struct dm_topics *t, const char *name);

/* Accessors of topic I (0 <= I < count); strings borrowed from T. */
const char *dm_topics_name(const struct dm_topics *t, guint i);
/* The title in LANG ("sl", "fi", "hu", "en"); the English title when
 * LANG has none or is NULL. */
const char *dm_topics_title(const struct dm_topics *t, guint i, const char *lang);
const char *dm_topics_team(const struct dm_topics *t, guint i);
/* The template to answer with, or NULL for the ordinary acknowledgement. */
const char *dm_topics_template(const struct dm_topics *t, guint i);
/* TRUE when a mail of this topic is answered with the template and its
 * ticket closed. */
gboolean dm_topics_close(const struct dm_topics *t, guint i);

/* The [classifier] settings: confidence below which the topic is triage,
 * the weight of subject tokens, the smoothing of the models, and the
 * posterior of "urgent" from which the urgency model calls a mail
 * urgent. */
double dm_topics_threshold(const struct dm_topics *t);
double dm_topics_subject_weight(const struct dm_topics *t);
double dm_topics_alpha(const struct dm_topics *t);
double dm_topics_urgent_threshold(const struct dm_topics *t);

/* The topic the rules decide, or -1.  The header rules come first, then
 * the sender domains, then the phrases of LANG and of English (of every
 * language when LANG is NULL).  TEXT is normalised text
 * (dm_features_text() or dm_text_normalise()), SENDER_DOMAIN the domain
 * of the From address or NULL, HEADERS a NULL-terminated list of
 * "Name: value" strings or NULL; all borrowed.  A sender domain matches
 * itself and its subdomains; a header rule "Name: text" matches a header
 * of that name (any case) whose value contains the text (any case).  When
 * the phrases of several topics match, the topic with the most distinct
 * phrases wins, and a tie decides nothing.  MATCHED (may be NULL) is set
 * to what matched (borrowed from T) or NULL. */
int dm_topics_rule_match(const struct dm_topics *t, const char *text, const char *lang,
			 const char *sender_domain, const char *const *headers, const char **matched);

/* The urgency the [urgency] phrases give normalised TEXT (borrowed):
 * "urgent", "high" (static strings) or NULL.  The phrases of LANG
 * (borrowed) and of English are tried, of every language when LANG is
 * NULL.  A
 * calming phrase ("not urgent") anywhere makes the answer NULL.  PHRASE
 * (may be NULL) is set to the phrase that decided (borrowed from T; the
 * calming phrase when the answer is NULL because of one) or NULL. */
const char *dm_topics_urgency(const struct dm_topics *t, const char *text, const char *lang,
			      const char **phrase);

/* The whole decision for one mail with features F in LANG: the rules;
 * when the phrases of several topics tie, MODEL chooses among those
 * topics; when no rule matched, MODEL decides with T's threshold.  Then
 * the urgency phrases and, unless a calming phrase matched, URGENCY_MODEL
 * (may be NULL; on the labelled mail the phrases alone did better, see
 * etc/topics.conf).  MODEL's classes must be T's topics in T's order.
 * SENDER_DOMAIN and HEADERS as for dm_topics_rule_match(); all borrowed.
 * Fills OUT. */
void dm_topics_decide(const struct dm_topics *t, const struct dm_nb_model *model,
		      const struct dm_nb_model *urgency_model, const struct dm_features *f,
		      const char *lang, const char *sender_domain, const char *const *headers,
		      struct dm_classification *out);

#endif
