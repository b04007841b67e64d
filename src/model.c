/* model.c - store and load the classifier's counts.
 *
 * The counts are plain rows (class totals, per-token counts), so that a
 * delivery fetches only what its own tokens need, training adds to them
 * with ON CONFLICT, and every host shares one model. */
#include "dm-autoconf.h"

#include <string.h>

#include "model.h"
#include "topics.h"

static const char SQL_LOAD[] =
	"SELECT 'c', class, '', docs, total FROM model_classes WHERE model = $1 "
	"UNION ALL SELECT 'v', '', '', vocabulary, 0 FROM model_meta WHERE model = $1 "
	"UNION ALL SELECT 't', class, token, count, 0 FROM model_tokens WHERE model = $1 AND token = ANY($2::text[])";
static const char SQL_CLEAR_CLASSES[] = "DELETE FROM model_classes WHERE model = $1";
static const char SQL_CLEAR_TOKENS[] = "DELETE FROM model_tokens WHERE model = $1";
static const char SQL_ADD_CLASSES[] =
	"INSERT INTO model_classes (model, class, docs, total) "
	"SELECT $1, c, d, t FROM unnest($2::text[], $3::float8[], $4::float8[]) AS x(c, d, t) "
	"ON CONFLICT (model, class) DO UPDATE SET docs = model_classes.docs + EXCLUDED.docs,"
	" total = model_classes.total + EXCLUDED.total";
static const char SQL_ADD_TOKENS[] =
	"INSERT INTO model_tokens (model, token, class, count) "
	"SELECT $1, k, c, n FROM unnest($2::text[], $3::text[], $4::float8[]) AS x(k, c, n) "
	"ON CONFLICT (model, token, class) DO UPDATE SET count = model_tokens.count + EXCLUDED.count";
static const char SQL_VOCABULARY[] =
	"INSERT INTO model_meta (model, vocabulary, updated_at)"
	" VALUES ($1, (SELECT count(DISTINCT token) FROM model_tokens WHERE model = $1), now()) "
	"ON CONFLICT (model) DO UPDATE SET vocabulary = EXCLUDED.vocabulary, updated_at = now()";
static const char SQL_SIZE[] =
	"SELECT coalesce((SELECT sum(docs) FROM model_classes WHERE model = $1), 0),"
	" coalesce((SELECT vocabulary FROM model_meta WHERE model = $1), 0)";

enum dm_status
dm_model_load(struct dm_db *db, const char *name, const char *const *classes, guint n, double alpha,
	      const struct dm_features *f, struct dm_nb_model **out)
{
	g_autoptr(GPtrArray) tokens = g_ptr_array_new();
	for (guint i = 0; i < dm_features_count(f); i++)
		g_ptr_array_add(tokens, (gpointer) dm_features_token(f, i));
	g_autofree char *lit = dm_db_array_literal(tokens);
	const char *p[] = { name, lit };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_LOAD, 2, p, &res);
	if (st != DM_OK)
		return st;
	struct dm_nb_model *m = dm_nb_model_new(n, classes, alpha);
	g_autofree double *docs = g_new0(double, n);
	g_autofree double *totals = g_new0(double, n);
	double vocabulary = 0;
	for (int r = 0; r < PQntuples(res); r++) {
		char kind = PQgetvalue(res, r, 0)[0];
		int cls = kind == 'v' ? 0 : dm_nb_model_class_index(m, PQgetvalue(res, r, 1));
		double a = g_ascii_strtod(PQgetvalue(res, r, 3), NULL);
		double b = g_ascii_strtod(PQgetvalue(res, r, 4), NULL);
		/* Classes the topics file no longer has are left out. */
		if (cls < 0)
			continue;
		if (kind == 'c') {
			docs[cls] = a;
			totals[cls] = b;
		} else if (kind == 'v') {
			vocabulary = a;
		} else {
			dm_nb_model_set_token_count(m, PQgetvalue(res, r, 2), (guint) cls, a);
		}
	}
	dm_nb_model_set_totals(m, docs, totals, vocabulary);
	*out = m;
	return DM_OK;
}

struct rows {
	GPtrArray *tokens, *classes;
	GString *counts;
	const struct dm_nb_model *m;
};

static void
append_double(GString *s, double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	g_string_append(s, s->len > 1 ? "," : "");
	g_string_append(s, g_ascii_dtostr(buf, sizeof buf, v));
}

static void
collect(const char *token, const double *counts, void *data)
{
	struct rows *r = data;
	for (guint c = 0; c < dm_nb_model_classes(r->m); c++) {
		if (counts[c] == 0)
			continue;
		g_ptr_array_add(r->tokens, (gpointer) token);
		g_ptr_array_add(r->classes, (gpointer) dm_nb_model_class_name(r->m, c));
		append_double(r->counts, counts[c]);
	}
}

enum dm_status
dm_model_save(struct dm_db *db, const char *name, const struct dm_nb_model *m, gboolean replace)
{
	enum dm_status st;
	const char *p1[] = { name };
	if (replace && ((st = dm_db_query(db, SQL_CLEAR_CLASSES, 1, p1, NULL)) != DM_OK ||
			(st = dm_db_query(db, SQL_CLEAR_TOKENS, 1, p1, NULL)) != DM_OK))
		return st;

	g_autoptr(GPtrArray) names = g_ptr_array_new();
	GString *docs = g_string_new("{"), *totals = g_string_new("{");
	for (guint c = 0; c < dm_nb_model_classes(m); c++) {
		g_ptr_array_add(names, (gpointer) dm_nb_model_class_name(m, c));
		append_double(docs, dm_nb_model_doc_count(m, c));
		append_double(totals, dm_nb_model_token_total(m, c));
	}
	g_string_append_c(docs, '}');
	g_string_append_c(totals, '}');
	g_autofree char *names_lit = dm_db_array_literal(names);
	const char *p2[] = { name, names_lit, docs->str, totals->str };
	st = dm_db_query(db, SQL_ADD_CLASSES, 4, p2, NULL);
	g_string_free(docs, TRUE);
	g_string_free(totals, TRUE);
	if (st != DM_OK)
		return st;

	struct rows r = { g_ptr_array_new(), g_ptr_array_new(), g_string_new("{"), m };
	dm_nb_model_foreach(m, collect, &r);
	g_string_append_c(r.counts, '}');
	g_autofree char *tok_lit = dm_db_array_literal(r.tokens);
	g_autofree char *cls_lit = dm_db_array_literal(r.classes);
	const char *p3[] = { name, tok_lit, cls_lit, r.counts->str };
	st = dm_db_query(db, SQL_ADD_TOKENS, 4, p3, NULL);
	g_ptr_array_unref(r.tokens);
	g_ptr_array_unref(r.classes);
	g_string_free(r.counts, TRUE);
	if (st != DM_OK)
		return st;
	return dm_db_query(db, SQL_VOCABULARY, 1, p1, NULL);
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
	const char *p[] = { name };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_SIZE, 1, p, &res);
	if (st == DM_OK) {
		*docs = g_ascii_strtod(PQgetvalue(res, 0, 0), NULL);
		*tokens = g_ascii_strtod(PQgetvalue(res, 0, 1), NULL);
	}
	return st;
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
