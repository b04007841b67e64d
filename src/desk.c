/* desk.c - the desk: configuration, templates, calendar, topics and
 * language fingerprints, loaded and checked in one place.  Both
 * `deskmail check-config` and every front end of delivery load exactly
 * this, so a broken calendar or template is found by the operator and
 * not by a customer's mail. */
#include "dm-autoconf.h"

#include "desk.h"

/* The templates every desk needs: an acknowledgement per language, and
 * the agents' mails in English (their fallback). */
static gboolean
check_templates(const struct dm_config *cfg, const struct dm_templates *templates, GError **error)
{
	g_autoptr(GError) local = NULL;
	if (!dm_templates_check(templates, &local)) {
		g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [ack] templates: %s", cfg->path, local->message);
		return FALSE;
	}
	for (char **l = cfg->languages; *l; l++) {
		if (dm_templates_find(templates, "ack", *l, NULL, NULL) == NULL) {
			g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [ack] templates: no ack template for language %s in %s",
				    cfg->path, *l, cfg->template_dir);
			return FALSE;
		}
	}
	static const char *const agent_kinds[] = { "notify", "command-error", "nothing-relayed", "reminder",
						      "overdue" };
	for (gsize k = 0; k < G_N_ELEMENTS(agent_kinds); k++) {
		if (dm_templates_find(templates, agent_kinds[k], "en", NULL, "en") == NULL) {
			g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [ack] templates: no %s.en template in %s", cfg->path,
				    agent_kinds[k], cfg->template_dir);
			return FALSE;
		}
	}
	return TRUE;
}

struct dm_desk *
dm_desk_new(struct dm_config *cfg, guint generation, GError **error)
{
	g_autoptr(DmDesk) desk = g_new0(struct dm_desk, 1);
	g_autoptr(GError) local = NULL;
	desk->refs = 1;
	desk->cfg = cfg;
	desk->generation = generation;
	desk->loaded_at = g_get_real_time();

	desk->hours = dm_hours_new(cfg->timezone, cfg->opening_hours, (const char *const *) cfg->holidays, &local);
	if (desk->hours == NULL) {
		g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [hours] %s", cfg->path, local->message);
		return NULL;
	}
	desk->templates = dm_templates_load(cfg->template_dir, &local);
	if (desk->templates == NULL) {
		g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [ack] templates: %s", cfg->path, local->message);
		return NULL;
	}
	if (!check_templates(cfg, desk->templates, error))
		return NULL;
	desk->topics = dm_topics_load(cfg->topics_file, &local);
	if (desk->topics == NULL) {
		g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [desk] topics: %s", cfg->path, local->message);
		return NULL;
	}
	desk->langid = dm_langid_new((const char *const *) cfg->languages, NULL, &local);
	if (desk->langid == NULL) {
		g_set_error(error, DM_CONFIG_ERROR, 0, "%s: [desk] languages: %s", cfg->path, local->message);
		return NULL;
	}
	return g_steal_pointer(&desk);
}

struct dm_desk *
dm_desk_load(const char *path, guint generation, GError **error)
{
	struct dm_config *cfg = dm_config_load(path, error);
	if (cfg == NULL)
		return NULL;
	return dm_desk_new(cfg, generation, error);
}

struct dm_desk *
dm_desk_ref(struct dm_desk *desk)
{
	g_atomic_int_inc(&desk->refs);
	return desk;
}

void
dm_desk_unref(struct dm_desk *desk)
{
	if (desk == NULL || !g_atomic_int_dec_and_test(&desk->refs))
		return;
	dm_langid_free(desk->langid);
	dm_topics_free(desk->topics);
	dm_templates_free(desk->templates);
	dm_hours_free(desk->hours);
	dm_config_free(desk->cfg);
	g_free(desk);
}
