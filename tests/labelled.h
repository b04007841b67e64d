/* labelled.h - where the unit tests find labelled help-desk mail (JSON
 * Lines: id, language, topic, priority, from, subject, body).
 *
 * The project's own set is tests/data/labelled/, one file per language;
 * every test that measures something on labelled mail measures it there,
 * so a clone of the repository alone passes.  A second set may be given
 * as an extra check: DM_LABELLED_DATA, else ../shared/data/labelled-dev.jsonl
 * beside the repository when it exists (tests/data is three levels below
 * the directory that holds shared/).  Without one the extra tests are not
 * registered at all, rather than skipped.
 *
 * Include after <string.h> and <glib.h>, with DM_TEST_DATA_DIR defined. */
#ifndef DM_LABELLED_H
#define DM_LABELLED_H

#define DM_LABELLED_PROJECT DM_TEST_DATA_DIR "/labelled"
#define DM_LABELLED_SHARED DM_TEST_DATA_DIR "/../../../shared/data/labelled-dev.jsonl"

static inline int
dm_labelled_name_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The text of PATH, a .jsonl file or a directory whose *.jsonl files are
 * joined in name order; NULL and ERROR when it cannot be read or a
 * directory holds none.  Caller frees with g_free. */
static inline char *
dm_labelled_read(const char *path, GError **error)
{
	if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
		char *data = NULL;
		return g_file_get_contents(path, &data, NULL, error) ? data : NULL;
	}
	g_autoptr(GDir) dir = g_dir_open(path, 0, error);
	if (dir == NULL)
		return NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	for (const char *n; (n = g_dir_read_name(dir)) != NULL;)
		if (g_str_has_suffix(n, ".jsonl"))
			g_ptr_array_add(names, g_build_filename(path, n, NULL));
	if (names->len == 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no .jsonl file", path);
		return NULL;
	}
	g_ptr_array_sort(names, dm_labelled_name_cmp);
	GString *all = g_string_new(NULL);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *data = NULL;
		if (!g_file_get_contents(names->pdata[i], &data, NULL, error)) {
			g_string_free(all, TRUE);
			return NULL;
		}
		g_string_append(all, data);
		if (all->len > 0 && all->str[all->len - 1] != '\n')
			g_string_append_c(all, '\n');
	}
	return g_string_free(all, FALSE);
}

/* The extra set to check as well, or NULL when there is none.  Caller
 * frees with g_free. */
static inline char *
dm_labelled_extra(void)
{
	const char *env = g_getenv("DM_LABELLED_DATA");
	if (env != NULL && *env)
		return g_strdup(env);
	return g_file_test(DM_LABELLED_SHARED, G_FILE_TEST_EXISTS) ? g_strdup(DM_LABELLED_SHARED) : NULL;
}

#endif
