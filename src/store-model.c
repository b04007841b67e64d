/* store-model.c - the SQL of the classifier's counts.
 *
 * Training adds to the counts with ON CONFLICT, so several trainings and
 * every host share one model; a delivery fetches only its own tokens. */
#include "dm-autoconf.h"

#include "store-model.h"

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

void
dm_model_row_free(struct dm_model_row *row)
{
	if (row == NULL)
		return;
	g_free(row->cls);
	g_free(row->token);
	g_free(row);
}

enum dm_status
dm_store_model_rows(struct dm_db *db, const char *name, GPtrArray *tokens, GPtrArray **out)
{
	g_autofree char *lit = dm_db_array_literal(tokens);
	const char *p[] = { name, lit };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_LOAD, 2, p, &res);
	if (st != DM_OK)
		return st;
	*out = g_ptr_array_new_with_free_func((GDestroyNotify) dm_model_row_free);
	for (int r = 0; r < PQntuples(res); r++) {
		struct dm_model_row *row = g_new0(struct dm_model_row, 1);
		char kind = PQgetvalue(res, r, 0)[0];
		row->kind = kind == 'c' ? DM_MODEL_ROW_CLASS
			  : kind == 'v' ? DM_MODEL_ROW_VOCABULARY : DM_MODEL_ROW_TOKEN;
		row->cls = g_strdup(PQgetvalue(res, r, 1));
		row->token = g_strdup(PQgetvalue(res, r, 2));
		row->a = g_ascii_strtod(PQgetvalue(res, r, 3), NULL);
		row->b = g_ascii_strtod(PQgetvalue(res, r, 4), NULL);
		g_ptr_array_add(*out, row);
	}
	return DM_OK;
}

enum dm_status
dm_store_model_clear(struct dm_db *db, const char *name)
{
	const char *p[] = { name };
	enum dm_status st = dm_db_query(db, SQL_CLEAR_CLASSES, 1, p, NULL);
	return st == DM_OK ? dm_db_query(db, SQL_CLEAR_TOKENS, 1, p, NULL) : st;
}

/* The float8[] literal of V (double), e.g. {1,2.5}.  Caller frees. */
static char *
double_array_literal(GArray *v)
{
	GString *s = g_string_new("{");
	for (guint i = 0; i < v->len; i++) {
		char buf[G_ASCII_DTOSTR_BUF_SIZE];
		g_string_append(s, i ? "," : "");
		g_string_append(s, g_ascii_dtostr(buf, sizeof buf, g_array_index(v, double, i)));
	}
	g_string_append_c(s, '}');
	return g_string_free(s, FALSE);
}

enum dm_status
dm_store_model_add_classes(struct dm_db *db, const char *name, GPtrArray *names, GArray *docs,
			   GArray *totals)
{
	g_autofree char *names_lit = dm_db_array_literal(names);
	g_autofree char *docs_lit = double_array_literal(docs);
	g_autofree char *totals_lit = double_array_literal(totals);
	const char *p[] = { name, names_lit, docs_lit, totals_lit };
	return dm_db_query(db, SQL_ADD_CLASSES, 4, p, NULL);
}

enum dm_status
dm_store_model_add_tokens(struct dm_db *db, const char *name, GPtrArray *tokens, GPtrArray *classes,
			  GArray *counts)
{
	g_autofree char *tok_lit = dm_db_array_literal(tokens);
	g_autofree char *cls_lit = dm_db_array_literal(classes);
	g_autofree char *counts_lit = double_array_literal(counts);
	const char *p[] = { name, tok_lit, cls_lit, counts_lit };
	return dm_db_query(db, SQL_ADD_TOKENS, 4, p, NULL);
}

enum dm_status
dm_store_model_update_vocabulary(struct dm_db *db, const char *name)
{
	const char *p[] = { name };
	return dm_db_query(db, SQL_VOCABULARY, 1, p, NULL);
}

enum dm_status
dm_store_model_size(struct dm_db *db, const char *name, double *docs, double *tokens)
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
