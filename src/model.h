/* model.h - the classifier's counts in PostgreSQL. */
#ifndef DM_MODEL_H
#define DM_MODEL_H

#include <glib.h>

#include "classify.h"
#include "db.h"

/* A partial model NAME ("topic") over CLASSES (N names, borrowed) with
 * smoothing ALPHA: the class totals, the vocabulary and the counts of F's
 * own tokens only, in one round trip.  Caller frees with dm_nb_model_free. */
enum dm_status dm_model_load(struct dm_db *db, const char *name, const char *const *classes, guint n,
			     double alpha, const struct dm_features *f, struct dm_nb_model **out);

/* Add every count of M (a model trained in memory) to the stored model
 * NAME; with REPLACE, the stored one is emptied first.  In the caller's
 * transaction. */
enum dm_status dm_model_save(struct dm_db *db, const char *name, const struct dm_nb_model *m, gboolean replace);

/* Add one document F of class CLS to the stored model NAME (an agent's
 * correction). */
enum dm_status dm_model_add_document(struct dm_db *db, const char *name, const char *cls,
				     const struct dm_features *f);

/* The stored model's size: documents and distinct tokens. */
enum dm_status dm_model_size(struct dm_db *db, const char *name, double *docs, double *tokens);

/* Route one mail: features of SUBJECT and TEXT in LANG, the topic
 * model's counts for them, then the rules, statistics and urgency of
 * TOPICS (dm_topics_decide).  SENDER is the From address; HEADERS
 * "Name: value" strings or NULL.  Fills OUT. */
struct dm_topics;
enum dm_status dm_model_route(struct dm_db *db, const struct dm_topics *topics, const char *subject,
			      const char *text, const char *lang, const char *sender,
			      const char *const *headers, struct dm_classification *out);

#endif
