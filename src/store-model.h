/* store-model.h - the classifier's counts as rows (model_classes,
 * model_tokens, model_meta).  model.c turns them into a model and back. */
#ifndef DM_STORE_MODEL_H
#define DM_STORE_MODEL_H

#include <glib.h>

#include "db.h"

enum dm_model_row_kind {
	DM_MODEL_ROW_CLASS,      /* CLS: A documents, B tokens in total */
	DM_MODEL_ROW_VOCABULARY, /* A distinct tokens */
	DM_MODEL_ROW_TOKEN,      /* TOKEN in CLS: A occurrences */
};

struct dm_model_row {
	enum dm_model_row_kind kind;
	char *cls;   /* "" for the vocabulary row */
	char *token; /* "" but for token rows */
	double a, b;
};
void dm_model_row_free(struct dm_model_row *row);

/* The rows of model NAME that a message with TOKENS (char*, borrowed)
 * needs: every class, the vocabulary, and those tokens' counts, in one
 * round trip.  Caller frees *OUT (struct dm_model_row*) with
 * g_ptr_array_unref. */
enum dm_status dm_store_model_rows(struct dm_db *db, const char *name, GPtrArray *tokens,
				   GPtrArray **out);

/* Delete every count of model NAME. */
enum dm_status dm_store_model_clear(struct dm_db *db, const char *name);

/* Add DOCS[i] and TOTALS[i] (double) to class NAMES[i] (char*). */
enum dm_status dm_store_model_add_classes(struct dm_db *db, const char *name, GPtrArray *names,
					  GArray *docs, GArray *totals);

/* Add COUNTS[i] (double) to TOKENS[i] in CLASSES[i] (char*). */
enum dm_status dm_store_model_add_tokens(struct dm_db *db, const char *name, GPtrArray *tokens,
					 GPtrArray *classes, GArray *counts);

/* Recount the vocabulary of model NAME. */
enum dm_status dm_store_model_update_vocabulary(struct dm_db *db, const char *name);

/* *DOCS documents trained and *TOKENS distinct tokens in model NAME. */
enum dm_status dm_store_model_size(struct dm_db *db, const char *name, double *docs,
				   double *tokens);

#endif
