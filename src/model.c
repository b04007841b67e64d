/* model.c - store and load the classifier's counts.
 *
 * The counts are plain rows (class totals, per-token counts), so that a
 * delivery fetches only what its own tokens need, training adds to them
 * with ON CONFLICT, and every host shares one model. */
#include "dm-autoconf.h"

#include <string.h>

#include "model.h"
#include "store-model.h"
#include "topics.h"

enum dm_status
dm_model_load(struct dm_db *db, const char *name, const char *const *classes, guint n, double alpha,
	      const struct dm_features *f, struct dm_nb_model **out)
{
	g_autoptr(GPtrArray) tokens = g_ptr_array_new();
	for (guint i = 0; i < dm_features_count(f); i++)
		g_ptr_array_add(tokens, (gpointer) dm_features_token(f, i));
	g_autoptr(GPtrArray) rows = NULL;
	enum dm_status st = dm_store_model_rows(db, name, tokens, &rows);
	if (st != DM_OK)
		return st;
	struct dm_nb_model *m = dm_nb_model_new(n, classes, alpha);
	g_autofree double *docs = g_new0(double, n);
	g_autofree double *totals = g_new0(double, n);
	double vocabulary = 0;
	for (guint r = 0; r < rows->len; r++) {
		const struct dm_model_row *row = rows->pdata[r];
		int cls = row->kind == DM_MODEL_ROW_VOCABULARY ? 0 : dm_nb_model_class_index(m, row->cls);
		/* Classes the topics file no longer has are left out. */
		if (cls < 0)
			continue;
		if (row->kind == DM_MODEL_ROW_CLASS) {
			docs[cls] = row->a;
			totals[cls] = row->b;
		} else if (row->kind == DM_MODEL_ROW_VOCABULARY) {
			vocabulary = row->a;
		} else {
			dm_nb_model_set_token_count(m, row->token, (guint) cls, row->a);
		}
	}
	dm_nb_model_set_totals(m, docs, totals, vocabulary);
	*out = m;
	return DM_OK;
}

struct rows {
	GPtrArray *tokens, *classes;
	GArray *counts;
	const struct dm_nb_model *m;
};

static void
collect(const char *token, const double *counts, void *data)
{
	struct rows *r = data;
	for (guint c = 0; c < dm_nb_model_classes(r->m); c++) {
		if (counts[c] == 0)
			continue;
		g_ptr_array_add(r->tokens, (gpointer) token);
		g_ptr_array_add(r->classes, (gpointer) dm_nb_model_class_name(r->m, c));
		g_array_append_val(r->counts, counts[c]);
	}
}

enum dm_status
dm_model_save(struct dm_db *db, const char *name, const struct dm_nb_model *m, gboolean replace)
{
	enum dm_status st;
	if (replace && (st = dm_store_model_clear(db, name)) != DM_OK)
		return st;

	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autoptr(GArray) docs = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) totals = g_array_new(FALSE, FALSE, sizeof(double));
	for (guint c = 0; c < dm_nb_model_classes(m); c++) {
		double d = dm_nb_model_doc_count(m, c), t = dm_nb_model_token_total(m, c);
		g_ptr_array_add(names, (gpointer) dm_nb_model_class_name(m, c));
		g_array_append_val(docs, d);
		g_array_append_val(totals, t);
	}
	if ((st = dm_store_model_add_classes(db, name, names, docs, totals)) != DM_OK)
		return st;

	g_autoptr(GPtrArray) tokens = g_ptr_array_new();
	g_autoptr(GPtrArray) classes = g_ptr_array_new();
	g_autoptr(GArray) counts = g_array_new(FALSE, FALSE, sizeof(double));
	struct rows r = { tokens, classes, counts, m };
	dm_nb_model_foreach(m, collect, &r);
	if ((st = dm_store_model_add_tokens(db, name, tokens, classes, counts)) != DM_OK)
		return st;
	return dm_store_model_update_vocabulary(db, name);
}

enum dm_status
dm_model_add_document(struct dm_db *db, const char *name, const char *cls, const struct dm_features *f)
{
	const char *const names[] = { cls };
	g_autoptr(DmNbModel) m = dm_nb_model_new(1, names, 1.0);
	dm_nb_model_add_document(m, 0, f);
	return dm_model_save(db, name, m, FALSE);
}

enum dm_status
dm_model_size(struct dm_db *db, const char *name, double *docs, double *tokens)
{
	return dm_store_model_size(db, name, docs, tokens);
}

enum dm_status
dm_model_route(struct dm_db *db, const struct dm_topics *topics, const char *subject, const char *text,
	       const char *lang, const char *sender, const char *const *headers, struct dm_classification *out)
{
	g_autoptr(DmFeatures) f = dm_features_extract(subject, text, lang, dm_topics_subject_weight(topics));
	g_autoptr(DmNbModel) m = NULL;
	enum dm_status st = dm_model_load(db, "topic", dm_topics_names(topics), dm_topics_count(topics),
					  dm_topics_alpha(topics), f, &m);
	if (st != DM_OK)
		return st;
	const char *at = sender ? strrchr(sender, '@') : NULL;
	dm_topics_decide(topics, m, NULL, f, lang, at ? at + 1 : NULL, headers, out);
	return DM_OK;
}
