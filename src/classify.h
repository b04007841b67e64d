/* classify.h - the topic and urgency of a customer's mail: the words it
 * uses, folded and stemmed, weighed by a naive Bayes model.  Pure: no
 * database, no configuration files (the topics and their rules are in
 * topics.h). */
#ifndef DM_CLASSIFY_H
#define DM_CLASSIFY_H

#include <glib.h>

/* Bytes of subject and body read at most; the rest of a long mail adds
 * nothing a topic needs and would only cost time. */
#define DM_CLASSIFY_MAX_TEXT (64 * 1024)
/* Distinct tokens kept per mail; the later ones are dropped. */
#define DM_CLASSIFY_MAX_TOKENS 4096
/* Longest token in bytes; longer runs of letters are noise (URLs,
 * base64, keyboard mashing) and are skipped. */
#define DM_CLASSIFY_TOKEN_MAX 48
/* How many deciding tokens a classification reports. */
#define DM_CLASSIFY_TOP_TOKENS 8

/* S (borrowed, UTF-8; invalid bytes are replaced) folded the way every
 * token and rule phrase is: Unicode case folding, canonical decomposition,
 * combining marks dropped ("čšž" -> "csz", "őű" -> "ou", "ä" -> "a") and a
 * few letters without a decomposition mapped to their base (ø, ł, đ, æ,
 * œ, ı).  LEN is in bytes, or -1 for a NUL-terminated string.  Caller
 * frees with g_free(). */
char *dm_text_fold(const char *s, gssize len);

/* S (borrowed) as the rule matcher sees text: folded, every run of
 * letters and digits a word, the words separated by single spaces, with
 * one space before the first and after the last (so " word " finds a
 * whole word).  A '*' directly after a word is kept (rule phrases use it
 * for "any ending").  Caller frees with g_free(). */
char *dm_text_normalise(const char *s);

/* ---- Features: the tokens of one mail. */

struct dm_features;

/* The tokens of a mail with SUBJECT and BODY (borrowed, UTF-8, either may
 * be NULL).  Lines of BODY starting with '>' (quoted text) and everything
 * after a "-- " signature line are ignored.  Each word is folded and, for
 * LANG "sl", "fi", "hu" or "en" (borrowed; anything else, or NULL, means
 * no stemming), reduced to its stem.  A token in the subject weighs
 * SUBJECT_WEIGHT, one only in the body 1; every token appears once, with
 * the larger of its weights.  The stemmers are created once per process
 * and reused, so two threads must not call this at the same time (every
 * deskmail process is single-threaded).  Caller frees with
 * dm_features_free(). */
struct dm_features *dm_features_extract(const char *subject, const char *body, const char *lang,
					double subject_weight);

/* Free F; NULL is allowed. */
void dm_features_free(struct dm_features *f);
typedef struct dm_features DmFeatures;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmFeatures, dm_features_free)

/* The number of distinct tokens of F. */
guint dm_features_count(const struct dm_features *f);
/* Token I of F, 0 <= I < count, in order of first appearance.  Borrowed
 * from F. */
const char *dm_features_token(const struct dm_features *f, guint i);
/* The weight of token I of F. */
double dm_features_weight(const struct dm_features *f, guint i);
/* The weight of TOKEN (borrowed) in F, 0 when F does not have it. */
double dm_features_lookup(const struct dm_features *f, const char *token);
/* Subject and body (quotes and signature removed) as dm_text_normalise()
 * gives them, for rule phrases.  Borrowed from F. */
const char *dm_features_text(const struct dm_features *f);
/* TRUE when the mail had more text or more tokens than the limits above
 * and the rest was ignored. */
gboolean dm_features_truncated(const struct dm_features *f);

/* ---- The model: complement naive Bayes over weighted token counts. */

/* The counts of a model are: per class, how many documents were trained
 * and the sum of their token weights (the totals); the vocabulary size;
 * and per token, its summed weight in each class.  A model may hold every
 * token (trained here) or only some of them (partial: loaded from a store
 * that was asked for the tokens of one mail, with the totals set
 * explicitly); tokens a model has no counts for are ignored, so a partial
 * model holding the counts of a mail's own tokens classifies that mail
 * exactly as the full model does.  Classifying only reads the model: one
 * model may serve several threads, as long as none changes it. */
struct dm_nb_model;

/* A model of N_CLASSES (1 to 1024) classes named NAMES (borrowed, copied;
 * N_CLASSES strings).  Lidstone smoothing adds ALPHA (> 0; 1 is
 * Laplace's) to every count.  Caller frees with dm_nb_model_free(). */
struct dm_nb_model *dm_nb_model_new(guint n_classes, const char *const *names, double alpha);
void dm_nb_model_free(struct dm_nb_model *m);
typedef struct dm_nb_model DmNbModel;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmNbModel, dm_nb_model_free)

guint dm_nb_model_classes(const struct dm_nb_model *m);
/* Name of class I.  Borrowed from M. */
const char *dm_nb_model_class_name(const struct dm_nb_model *m, guint i);
/* Index of the class called NAME, or -1. */
int dm_nb_model_class_index(const struct dm_nb_model *m, const char *name);
double dm_nb_model_alpha(const struct dm_nb_model *m);

/* Train: one document F (borrowed) of class CLS.  Adds 1 to the class's
 * documents, each token's weight to its count and to the class total, and
 * grows the vocabulary by the tokens M had not seen.  Training may go on
 * after classifying (incremental). */
void dm_nb_model_add_document(struct dm_nb_model *m, guint cls, const struct dm_features *f);

/* The counts of TOKEN (borrowed), one per class, or NULL when M has none.
 * Borrowed from M; valid until M changes. */
const double *dm_nb_model_token_counts(const struct dm_nb_model *m, const char *token);
/* Call FUNC(token, counts, user_data) for every token of M, in no
 * particular order (for export).  Both borrowed for the call only. */
void dm_nb_model_foreach(const struct dm_nb_model *m,
			 void (*func)(const char *token, const double *counts, void *user_data),
			 void *user_data);
/* Number of distinct tokens M holds (for a partial model: loaded). */
guint dm_nb_model_size(const struct dm_nb_model *m);

/* The totals: documents and token weight of class CLS, and the size of
 * the vocabulary (for a full model the number of distinct tokens). */
double dm_nb_model_doc_count(const struct dm_nb_model *m, guint cls);
double dm_nb_model_token_total(const struct dm_nb_model *m, guint cls);
double dm_nb_model_vocabulary(const struct dm_nb_model *m);

/* Partial loading.  Set the count of TOKEN (borrowed, copied) in class
 * CLS; the totals are not changed. */
void dm_nb_model_set_token_count(struct dm_nb_model *m, const char *token, guint cls, double count);
/* Set the totals: DOC_COUNTS and TOKEN_TOTALS (borrowed, one per class)
 * and VOCABULARY.  From then on the vocabulary no longer follows the
 * tokens M holds (a partial model holds only a few), but training adds to
 * all three as usual. */
void dm_nb_model_set_totals(struct dm_nb_model *m, const double *doc_counts,
			    const double *token_totals, double vocabulary);

/* ---- Classifying. */

struct dm_token_contribution {
	char token[DM_CLASSIFY_TOKEN_MAX + 1];
	/* How much the token favoured the chosen class over the runner-up
	 * (its weight times the difference of the log probabilities). */
	double contribution;
};

struct dm_classification {
	/* The class, or -1: triage (the confidence is below the threshold,
	 * or the model knows no word of the mail). */
	int topic;
	/* The best class by the statistics, even when under the threshold;
	 * -1 when the model has no class. */
	int best;
	/* Posterior probability of BEST: the softmax of the log scores
	 * over the classes. */
	double confidence;
	/* The tokens that decided it, largest contribution first. */
	guint n_top;
	struct dm_token_contribution top[DM_CLASSIFY_TOP_TOKENS];
	/* Set by the rules (topics.h): the topic came from a rule phrase, a
	 * sender domain or a header, and which.  Borrowed from the topics. */
	gboolean by_rule;
	const char *rule;
	/* "urgent", "high" or NULL (static strings), and the phrase that said
	 * so (borrowed from the topics) or NULL when the urgency model did. */
	const char *urgency;
	const char *urgency_phrase;
	/* Posterior probability of "urgent" by the urgency model, or -1 when
	 * there is none. */
	double urgent_probability;
};

/* Classify F (borrowed) with M (borrowed).  Below THRESHOLD (0..1) the
 * topic is -1 (triage).  Fills all of OUT; the rule and urgency fields
 * are cleared. */
void dm_classify(const struct dm_nb_model *m, const struct dm_features *f, double threshold,
		 struct dm_classification *out);

/* The same among the classes C with ALLOWED[C] TRUE only (ALLOWED has one
 * entry per class, borrowed; NULL allows all): the others get no
 * probability.  For deciding between the topics whose rules tie. */
void dm_classify_among(const struct dm_nb_model *m, const struct dm_features *f,
		       const gboolean *allowed, double threshold, struct dm_classification *out);

/* The urgency model is a dm_nb_model with the two classes "normal" and
 * "urgent", trained like a topic model.  Sets OUT's urgent_probability
 * and, when it is at least THRESHOLD and OUT has no urgency yet, its
 * urgency to "urgent".  M may be NULL (no model: nothing changes). */
void dm_classify_urgency(const struct dm_nb_model *m, const struct dm_features *f, double threshold,
			 struct dm_classification *out);

#endif
