/* classify.c - the topic and urgency of a customer's mail by naive Bayes.
 *
 * A mail comes here as a set of weighted tokens (classify-features.c).
 * The model is complement naive Bayes (see score()) with Lidstone
 * smoothing over those weighted counts.  It is kept as plain numbers (per
 * class: documents and token weight; per token: weight per class; the
 * vocabulary size) so that a store can hold them and load only the counts
 * of one mail's tokens: tokens the model has no counts for are ignored,
 * which makes such a partial model answer exactly as the full one. */
#include "dm-autoconf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "classify.h"
#include "classify-private.h"

/* ---- The model. */

struct dm_nb_model {
	guint n;
	char **names;
	double alpha;
	double *docs;        /* per class */
	double *totals;      /* per class */
	double vocabulary;
	gboolean totals_set; /* partial: the vocabulary was given */
	GHashTable *counts;  /* char * -> double[n] */
};

struct dm_nb_model *
dm_nb_model_new(guint n_classes, const char *const *names, double alpha)
{
	g_return_val_if_fail(n_classes >= 1 && n_classes <= 1024, NULL);
	g_return_val_if_fail(alpha > 0.0, NULL);
	struct dm_nb_model *m = g_new0(struct dm_nb_model, 1);
	m->n = n_classes;
	m->names = g_new0(char *, n_classes + 1);
	for (guint i = 0; i < n_classes; i++)
		m->names[i] = g_strdup(names[i]);
	m->alpha = alpha;
	m->docs = g_new0(double, n_classes);
	m->totals = g_new0(double, n_classes);
	m->counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return m;
}

void
dm_nb_model_free(struct dm_nb_model *m)
{
	if (m == NULL)
		return;
	g_strfreev(m->names);
	g_free(m->docs);
	g_free(m->totals);
	g_hash_table_destroy(m->counts);
	g_free(m);
}

guint
dm_nb_model_classes(const struct dm_nb_model *m)
{
	return m->n;
}

const char *
dm_nb_model_class_name(const struct dm_nb_model *m, guint i)
{
	g_return_val_if_fail(i < m->n, NULL);
	return m->names[i];
}

int
dm_nb_model_class_index(const struct dm_nb_model *m, const char *name)
{
	for (guint i = 0; i < m->n; i++)
		if (name != NULL && strcmp(m->names[i], name) == 0)
			return (int) i;
	return -1;
}

double
dm_nb_model_alpha(const struct dm_nb_model *m)
{
	return m->alpha;
}

/* The counts of TOKEN in M, created as zeros when missing. */
static double *
counts_for(struct dm_nb_model *m, const char *token)
{
	double *c = g_hash_table_lookup(m->counts, token);
	if (c == NULL) {
		c = g_new0(double, m->n);
		g_hash_table_insert(m->counts, g_strdup(token), c);
		if (!m->totals_set)
			m->vocabulary = g_hash_table_size(m->counts);
		else
			m->vocabulary += 1;
	}
	return c;
}

void
dm_nb_model_add_document(struct dm_nb_model *m, guint cls, const struct dm_features *f)
{
	g_return_if_fail(cls < m->n);
	m->docs[cls] += 1.0;
	for (guint i = 0; i < f->tokens->len; i++) {
		double w = g_array_index(f->weights, double, i);
		counts_for(m, g_ptr_array_index(f->tokens, i))[cls] += w;
		m->totals[cls] += w;
	}
}

const double *
dm_nb_model_token_counts(const struct dm_nb_model *m, const char *token)
{
	return g_hash_table_lookup(m->counts, token);
}

void
dm_nb_model_foreach(const struct dm_nb_model *m,
		    void (*func)(const char *token, const double *counts, void *user_data),
		    void *user_data)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, m->counts);
	while (g_hash_table_iter_next(&it, &k, &v))
		func(k, v, user_data);
}

guint
dm_nb_model_size(const struct dm_nb_model *m)
{
	return g_hash_table_size(m->counts);
}

double
dm_nb_model_doc_count(const struct dm_nb_model *m, guint cls)
{
	g_return_val_if_fail(cls < m->n, 0.0);
	return m->docs[cls];
}

double
dm_nb_model_token_total(const struct dm_nb_model *m, guint cls)
{
	g_return_val_if_fail(cls < m->n, 0.0);
	return m->totals[cls];
}

double
dm_nb_model_vocabulary(const struct dm_nb_model *m)
{
	return m->vocabulary;
}

void
dm_nb_model_set_token_count(struct dm_nb_model *m, const char *token, guint cls, double count)
{
	g_return_if_fail(cls < m->n);
	double *c = g_hash_table_lookup(m->counts, token);
	if (c == NULL) {
		/* A loaded token does not grow a given vocabulary: it is
		 * already part of it. */
		c = g_new0(double, m->n);
		g_hash_table_insert(m->counts, g_strdup(token), c);
		if (!m->totals_set)
			m->vocabulary = g_hash_table_size(m->counts);
	}
	c[cls] = count;
}

void
dm_nb_model_set_totals(struct dm_nb_model *m, const double *doc_counts, const double *token_totals,
		       double vocabulary)
{
	for (guint i = 0; i < m->n; i++) {
		m->docs[i] = doc_counts[i];
		m->totals[i] = token_totals[i];
	}
	m->vocabulary = vocabulary;
	m->totals_set = TRUE;
}

/* ---- Classifying. */

/* libm's log and exp (deskmail links -lm). */
#define ln(x) log(x)
#define expo(x) exp(x)

/* Complement naive Bayes (Rennie et al., "Tackling the poor assumptions
 * of naive Bayes text classifiers", 2003).  Plain multinomial naive Bayes
 * estimates each class's word distribution from that class's documents
 * alone; with a few dozen short mails per topic, spread over four
 * languages, those estimates are mostly smoothing, and a long training
 * mail outweighs the short ones.  The complement estimates, for each
 * class, the distribution of every OTHER class's words, from ten times as
 * much text, and scores a mail by how badly it fits the complement.  On
 * the labelled mail (5-fold cross-validation) it classified 0.45-0.48 of
 * the mails right without rules, where the multinomial model managed
 * 0.27-0.33.  The priors are left out, as the paper does: the topics are
 * about equally frequent and the complement has no prior of its own.
 *
 * Score of class c for a mail of tokens t with weights w(t):
 *   score(c) = - sum_t w(t) log P(t | not c)
 *   P(t | not c) = (N(not c, t) + alpha) / (N(not c) + alpha V)
 * where N(not c, t) is the count of t in all classes but c, N(not c) the
 * sum of their totals and V the vocabulary size.  Every number comes from
 * the token's own counts and the totals, so a partial model holding only
 * a mail's tokens gives exactly the full model's scores.
 *
 * The scores go into SCORES (M->n); per known token of F its log
 * probability per class (negated, so larger favours the class) into LOGP
 * (count x n); KNOWN marks the tokens M has counts for.  Returns their
 * number. */
static guint
score(const struct dm_nb_model *m, const struct dm_features *f, double *scores, double *logp,
      gboolean *known)
{
	guint n = m->n;
	double vocab = m->vocabulary > 0 ? m->vocabulary : 1;
	double total_sum = 0;
	for (guint c = 0; c < n; c++)
		total_sum += m->totals[c];

	g_autofree double *denominator = g_new(double, n);
	for (guint c = 0; c < n; c++) {
		/* With one class the complement is empty: smoothing only. */
		double rest = n > 1 ? total_sum - m->totals[c] : 0.0;
		denominator[c] = ln(MAX(rest, 0.0) + m->alpha * vocab);
		scores[c] = 0.0;
	}

	guint n_known = 0;
	for (guint i = 0; i < f->tokens->len; i++) {
		const double *counts = g_hash_table_lookup(m->counts, g_ptr_array_index(f->tokens, i));
		known[i] = FALSE;
		if (counts == NULL)
			continue;
		double sum = 0;
		for (guint c = 0; c < n; c++)
			sum += counts[c];
		if (sum <= 0)
			continue;
		known[i] = TRUE;
		n_known++;
		double w = g_array_index(f->weights, double, i);
		for (guint c = 0; c < n; c++) {
			double rest = n > 1 ? sum - counts[c] : 0.0;
			double lp = -(ln(MAX(rest, 0.0) + m->alpha) - denominator[c]);
			logp[(size_t) i * n + c] = lp;
			scores[c] += w * lp;
		}
	}
	return n_known;
}

static int
compare_contribution(const void *a, const void *b)
{
	const struct dm_token_contribution *x = a, *y = b;
	return (x->contribution < y->contribution) - (x->contribution > y->contribution);
}

/* Best and runner-up of SCORES and the softmax probability of the best. */
static double
softmax_best(const double *scores, guint n, int *best, int *second)
{
	*best = 0;
	*second = -1;
	for (guint c = 1; c < n; c++) {
		if (scores[c] > scores[*best]) {
			*second = *best;
			*best = (int) c;
		} else if (*second < 0 || scores[c] > scores[*second]) {
			*second = (int) c;
		}
	}
	/* A class left out (score -inf) is never the runner-up. */
	if (*second >= 0 && isinf(scores[*second]))
		*second = -1;
	double sum = 0;
	for (guint c = 0; c < n; c++)
		if (!isinf(scores[c]))
			sum += expo(scores[c] - scores[*best]);
	return 1.0 / sum;
}

void
dm_classify(const struct dm_nb_model *m, const struct dm_features *f, double threshold,
	    struct dm_classification *out)
{
	dm_classify_among(m, f, NULL, threshold, out);
}

void
dm_classify_among(const struct dm_nb_model *m, const struct dm_features *f, const gboolean *allowed,
		  double threshold, struct dm_classification *out)
{
	memset(out, 0, sizeof *out);
	out->topic = -1;
	out->best = -1;
	out->urgent_probability = -1;
	if (m == NULL || m->n == 0)
		return;

	guint n = m->n;
	g_autofree double *scores = g_new0(double, n);
	g_autofree double *logp = g_new0(double, (size_t) MAX(f->tokens->len, 1) * n);
	g_autofree gboolean *known = g_new0(gboolean, MAX(f->tokens->len, 1));
	guint n_known = score(m, f, scores, logp, known);
	if (allowed != NULL) {
		gboolean any = FALSE;
		for (guint c = 0; c < n; c++)
			any = any || allowed[c];
		if (!any)
			return;
		for (guint c = 0; c < n; c++)
			if (!allowed[c])
				scores[c] = -INFINITY;
	}

	int best, second;
	out->confidence = softmax_best(scores, n, &best, &second);
	out->best = best;
	if (n_known > 0 && out->confidence >= threshold)
		out->topic = best;
	if (n_known == 0 || second < 0)
		return;

	/* The deciding tokens: what each known token gave the best class over
	 * the runner-up.  A small array kept sorted beats sorting them all. */
	for (guint i = 0; i < f->tokens->len; i++) {
		if (!known[i])
			continue;
		double d = g_array_index(f->weights, double, i) *
			   (logp[(size_t) i * n + (guint) best] - logp[(size_t) i * n + (guint) second]);
		if (d <= 0)
			continue;
		if (out->n_top == DM_CLASSIFY_TOP_TOKENS &&
		    d <= out->top[DM_CLASSIFY_TOP_TOKENS - 1].contribution)
			continue;
		guint slot = out->n_top < DM_CLASSIFY_TOP_TOKENS ? out->n_top++
								 : DM_CLASSIFY_TOP_TOKENS - 1;
		g_strlcpy(out->top[slot].token, g_ptr_array_index(f->tokens, i),
			  sizeof out->top[slot].token);
		out->top[slot].contribution = d;
		qsort(out->top, out->n_top, sizeof out->top[0], compare_contribution);
	}
}

void
dm_classify_urgency(const struct dm_nb_model *m, const struct dm_features *f, double threshold,
		    struct dm_classification *out)
{
	if (m == NULL)
		return;
	int urgent = dm_nb_model_class_index(m, "urgent");
	if (urgent < 0)
		return;
	struct dm_classification u;
	dm_classify(m, f, 0.0, &u);
	if (u.best < 0)
		return;
	/* The posterior of "urgent" itself, whichever class won. */
	out->urgent_probability = u.best == urgent ? u.confidence : 1.0 - u.confidence;
	if (m->n != 2) {
		/* With more than two classes the complement is not the
		 * probability of "urgent"; only the winner is known. */
		out->urgent_probability = u.best == urgent ? u.confidence : 0.0;
	}
	if (out->urgency == NULL && out->urgent_probability >= threshold)
		out->urgency = "urgent";
}
