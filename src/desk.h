/* desk.h - everything a delivery needs that comes from configuration,
 * loaded and validated once.
 *
 * A desk is immutable after loading, so the deliveries of a process (or
 * of a resident service's workers) share one.  A reload builds a new desk
 * and swaps it in; deliveries in flight keep a reference to the one they
 * began with (dm_desk_ref), so a generation is freed when its last
 * delivery ends. */
#ifndef DM_DESK_H
#define DM_DESK_H

#include <glib.h>

#include "config.h"
#include "hours.h"
#include "langid.h"
#include "template.h"
#include "topics.h"

struct dm_desk {
	struct dm_config *cfg;          /* settings, with the reply-key secret */
	struct dm_templates *templates; /* checked: every language has its ack */
	struct dm_hours *hours;         /* the opening-hours calendar */
	struct dm_topics *topics;       /* topics, rules and urgency phrases */
	struct dm_langid *langid;       /* the languages' fingerprints */
	guint generation;               /* 1 for the first load, +1 per reload */
	gint64 loaded_at;               /* g_get_real_time() of the load */
	gint refs;                      /* private: use dm_desk_ref/unref */
};

/* Load the configuration file PATH and everything derived from it.  On
 * failure returns NULL and sets ERROR to one line that names the file,
 * the section and the problem ("PATH: [hours] unknown time zone 'X'").
 * GENERATION is stored in the desk.  Caller frees with dm_desk_unref. */
struct dm_desk *dm_desk_load(const char *path, guint generation, GError **error);

/* Build a desk around CFG, which it takes over (also on failure). */
struct dm_desk *dm_desk_new(struct dm_config *cfg, guint generation, GError **error);

/* Another reference to DESK; returns DESK. */
struct dm_desk *dm_desk_ref(struct dm_desk *desk);
/* Drop a reference; the last one frees the desk.  NULL is allowed. */
void dm_desk_unref(struct dm_desk *desk);
typedef struct dm_desk DmDesk;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmDesk, dm_desk_unref)

#endif
