/* classify-private.h - what the two halves of the classification module
 * share and nobody else may rely on: the layout of struct dm_features,
 * which classify-features.c fills and the model in classify.c reads
 * token by token.  Other modules use the accessors of classify.h. */
#ifndef DM_CLASSIFY_PRIVATE_H
#define DM_CLASSIFY_PRIVATE_H

#include <glib.h>

struct dm_features {
	GPtrArray *tokens;   /* char *, owned */
	GArray *weights;     /* double */
	GHashTable *index;   /* token (borrowed from tokens) -> index + 1 */
	char *text;          /* normalised, for the rules */
	gboolean truncated;
};

#endif
