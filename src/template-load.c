/* template-load.c - load a template directory and look templates up.
 *
 * Each KIND.LANG[.TOPIC].txt (and its .html sibling) is read whole,
 * bounded in size, checked for UTF-8 and the Subject: line, and its text
 * handed to the parser in template.c.  The directory is read in sorted
 * order so that the first error reported does not depend on the file
 * system. */
#include "dm-autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "template.h"
#include "template-private.h"

static void
template_free(gpointer p)
{
	struct dm_template *tpl = p;
	if (tpl == NULL)
		return;
	g_free(tpl->key);
	g_free(tpl->path);
	g_free(tpl->kind);
	g_free(tpl->lang);
	g_free(tpl->topic);
	if (tpl->subject)
		g_array_unref(tpl->subject);
	if (tpl->text)
		g_array_unref(tpl->text);
	if (tpl->html)
		g_array_unref(tpl->html);
	g_free(tpl);
}

void
dm_templates_free(struct dm_templates *t)
{
	if (t == NULL)
		return;
	g_hash_table_unref(t->by_key);
	g_ptr_array_unref(t->all);
	g_free(t);
}

/* A name usable in a file name and a lookup key: no dots, so that
 * "kind.lang.topic" can never be read two ways, and nothing a path or a
 * header could make trouble of. */
static gboolean
plain_name(const char *s, gsize len)
{
	if (s == NULL || len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_')
			return FALSE;
	return TRUE;
}

/* Read PATH whole, refusing anything but a regular file of at most
 * DM_TEMPLATE_MAX_FILE_BYTES.  The result is NUL-terminated.  Caller
 * frees with g_free. */
static char *
read_file(const char *path, gsize *len_out, GError **error)
{
	int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
	struct stat st;
	if (fd < 0) {
		int e = errno;
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_READ, "%s: unreadable: %s",
			    path, g_strerror(e));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_READ,
			    "%s: unreadable: not a regular file", path);
		close(fd);
		return NULL;
	}

	/* One byte more than allowed, to tell "exactly the limit" from
	 * "over it" whatever the file grew to since fstat. */
	g_autofree char *buf = g_malloc(DM_TEMPLATE_MAX_FILE_BYTES + 2);
	gsize len = 0;
	while (len < DM_TEMPLATE_MAX_FILE_BYTES + 1) {
		ssize_t n = read(fd, buf + len, DM_TEMPLATE_MAX_FILE_BYTES + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_READ,
				    "%s: unreadable: %s", path, g_strerror(e));
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		len += (gsize) n;
	}
	close(fd);
	if (len > DM_TEMPLATE_MAX_FILE_BYTES) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_READ,
			    "%s: larger than %d bytes", path, DM_TEMPLATE_MAX_FILE_BYTES);
		return NULL;
	}
	buf[len] = '\0';
	*len_out = len;
	return g_steal_pointer(&buf);
}

/* Read PATH as UTF-8 text with LF line ends and no byte-order mark, as an
 * editor on any system may have saved it.  Caller frees with g_free. */
static char *
read_text(const char *path, gsize *len_out, GError **error)
{
	gsize len;
	g_autofree char *data = read_file(path, &len, error);
	const char *bad;
	if (data == NULL)
		return NULL;
	/* A NUL byte fails validation too: it has no place in a template. */
	if (!g_utf8_validate_len(data, len, &bad)) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_FORMAT,
			    "%s:%u: invalid UTF-8", path, count_lines(data, bad) + 1);
		return NULL;
	}

	const char *r = data;
	char *w = data;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r += 3;
	for (; r < data + len; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r + 1 < data + len && r[1] == '\n')
				r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	*len_out = w - data;
	return g_steal_pointer(&data);
}

/* Split the .txt file at PATH into its subject and body and parse both
 * into TPL. */
static gboolean
load_txt(struct dm_template *tpl, const char *path, GError **error)
{
	static const char prefix[] = "Subject:";
	gsize len;
	g_autofree char *data = read_text(path, &len, error);
	if (data == NULL)
		return FALSE;

	const char *nl = memchr(data, '\n', len);
	const char *line_end = nl ? nl : data + len;
	if ((gsize) (line_end - data) < strlen(prefix) ||
	    g_ascii_strncasecmp(data, prefix, strlen(prefix)) != 0) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_FORMAT,
			    "%s:1: the first line is not \"Subject: ...\"", path);
		return FALSE;
	}
	const char *subj = data + strlen(prefix);
	const char *subj_end = line_end;
	while (subj < subj_end && (*subj == ' ' || *subj == '\t'))
		subj++;
	while (subj_end > subj && (subj_end[-1] == ' ' || subj_end[-1] == '\t'))
		subj_end--;
	if (subj == subj_end) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_FORMAT,
			    "%s:1: the subject is empty", path);
		return FALSE;
	}
	for (const char *c = subj; c < subj_end; c = g_utf8_next_char(c)) {
		if (is_line_break_or_control(g_utf8_get_char(c))) {
			g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_FORMAT,
				    "%s:1: control character in the subject", path);
			return FALSE;
		}
	}
	if (nl == NULL || nl + 1 >= data + len) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_FORMAT,
			    "%s:2: missing the empty line and the body after the Subject: line", path);
		return FALSE;
	}
	if (nl[1] != '\n') {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_FORMAT,
			    "%s:2: missing the empty line after the Subject: line", path);
		return FALSE;
	}
	const char *body = nl + 2;
	if (body >= data + len) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_FORMAT,
			    "%s:3: the body is empty", path);
		return FALSE;
	}

	tpl->subject = dm_template_parse_part(subj, subj_end - subj, path, 1, &tpl->used, error);
	if (tpl->subject == NULL)
		return FALSE;
	tpl->text = dm_template_parse_part(body, data + len - body, path, 3, &tpl->used, error);
	return tpl->text != NULL;
}

static gboolean
load_html(struct dm_template *tpl, const char *path, GError **error)
{
	gsize len;
	g_autofree char *data = read_text(path, &len, error);
	if (data == NULL)
		return FALSE;
	if (len == 0) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_FORMAT,
			    "%s: the file is empty", path);
		return FALSE;
	}
	tpl->html = dm_template_parse_part(data, len, path, 1, &tpl->used, error);
	return tpl->html != NULL;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int
compare_templates(gconstpointer a, gconstpointer b)
{
	const struct dm_template *x = *(struct dm_template *const *) a;
	const struct dm_template *y = *(struct dm_template *const *) b;
	return strcmp(x->key, y->key);
}

/* The names in DIR ending in .txt or .html, dot files left out, sorted so
 * that the first error reported does not depend on the file system. */
static GPtrArray *
list_dir(const char *dir, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GDir) d = g_dir_open(dir, 0, &err);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	if (d == NULL) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_READ,
			    "%s: cannot open the template directory: %s", dir, err->message);
		return NULL;
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		if (name[0] == '.' || !(g_str_has_suffix(name, ".txt") || g_str_has_suffix(name, ".html")))
			continue;
		if (names->len >= DM_TEMPLATE_MAX_FILES) {
			g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_READ,
				    "%s: more than %d template files", dir, DM_TEMPLATE_MAX_FILES);
			return NULL;
		}
		g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, compare_names);
	return g_steal_pointer(&names);
}

/* Load the template whose .txt is NAME (its stem is NAME without ".txt")
 * from DIR; HAS_HTML says whether the .html sibling exists. */
static struct dm_template *
load_one(const char *dir, const char *name, gboolean has_html, GError **error)
{
	g_autofree char *stem = g_strndup(name, strlen(name) - strlen(".txt"));
	g_auto(GStrv) parts = g_strsplit(stem, ".", 0);
	guint n = g_strv_length(parts);
	struct dm_template *tpl = g_new0(struct dm_template, 1);

	tpl->path = g_build_filename(dir, name, NULL);
	gboolean ok = n == 2 || n == 3;
	for (guint i = 0; ok && i < n; i++)
		ok = plain_name(parts[i], strlen(parts[i]));
	if (!ok) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_FORMAT,
			    "%s: the file name is not KIND.LANG.txt or KIND.LANG.TOPIC.txt "
			    "(letters, digits, \"-\" and \"_\")", tpl->path);
		template_free(tpl);
		return NULL;
	}
	tpl->key = g_ascii_strdown(stem, -1);
	tpl->kind = g_ascii_strdown(parts[0], -1);
	tpl->lang = g_ascii_strdown(parts[1], -1);
	tpl->topic = n == 3 ? g_ascii_strdown(parts[2], -1) : NULL;

	if (!load_txt(tpl, tpl->path, error)) {
		template_free(tpl);
		return NULL;
	}
	if (has_html) {
		g_autofree char *html_name = g_strconcat(stem, ".html", NULL);
		g_autofree char *html_path = g_build_filename(dir, html_name, NULL);
		if (!load_html(tpl, html_path, error)) {
			template_free(tpl);
			return NULL;
		}
	}
	return tpl;
}

static gboolean
has_name(GPtrArray *names, const char *name)
{
	guint unused;
	return g_ptr_array_find_with_equal_func(names, name, g_str_equal, &unused);
}

struct dm_templates *
dm_templates_load(const char *dir, GError **error)
{
	g_return_val_if_fail(dir != NULL, NULL);

	g_autoptr(GPtrArray) names = list_dir(dir, error);
	if (names == NULL)
		return NULL;

	g_autoptr(DmTemplates) t = g_new0(struct dm_templates, 1);
	t->all = g_ptr_array_new_with_free_func(template_free);
	t->by_key = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		if (g_str_has_suffix(name, ".html")) {
			g_autofree char *stem = g_strndup(name, strlen(name) - strlen(".html"));
			g_autofree char *txt = g_strconcat(stem, ".txt", NULL);
			if (!has_name(names, txt)) {
				g_autofree char *path = g_build_filename(dir, name, NULL);
				g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_FORMAT,
					    "%s: an HTML alternative without %s", path, txt);
				return NULL;
			}
			continue;
		}

		g_autofree char *stem = g_strndup(name, strlen(name) - strlen(".txt"));
		g_autofree char *html = g_strconcat(stem, ".html", NULL);
		struct dm_template *tpl = load_one(dir, name, has_name(names, html), error);
		if (tpl == NULL)
			return NULL;
		const struct dm_template *other = g_hash_table_lookup(t->by_key, tpl->key);
		if (other != NULL) {
			g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_FORMAT,
				    "%s: the same template as %s (names differ only in case)",
				    tpl->path, other->path);
			template_free(tpl);
			return NULL;
		}
		g_ptr_array_add(t->all, tpl);
		g_hash_table_insert(t->by_key, tpl->key, tpl);
	}

	if (t->all->len == 0) {
		g_set_error(error, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_FORMAT,
			    "%s: no templates (KIND.LANG.txt) in the directory", dir);
		return NULL;
	}
	g_ptr_array_sort(t->all, compare_templates);
	return g_steal_pointer(&t);
}

static const struct dm_template *
lookup(const struct dm_templates *t, const char *kind, const char *lang, const char *topic)
{
	g_autofree char *key = topic ? g_strjoin(".", kind, lang, topic, NULL)
				     : g_strjoin(".", kind, lang, NULL);
	g_autofree char *lower = g_ascii_strdown(key, -1);
	return g_hash_table_lookup(t->by_key, lower);
}

static gboolean
plain(const char *s)
{
	return s != NULL && plain_name(s, strlen(s));
}

const struct dm_template *
dm_templates_find(const struct dm_templates *t, const char *kind, const char *lang,
		  const char *topic, const char *default_lang)
{
	/* The chain in order; a step whose language is unusable is left out,
	 * and without a usable topic the topic steps are. */
	const char *const chain[][2] = {
		{ lang, topic },
		{ lang, NULL },
		{ default_lang, topic },
		{ default_lang, NULL },
	};

	g_return_val_if_fail(t != NULL, NULL);
	if (!plain(kind))
		return NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(chain); i++) {
		const char *l = chain[i][0];
		const char *tp = chain[i][1];
		if (!plain(l) || (i % 2 == 0 && !plain(tp)))
			continue;
		const struct dm_template *tpl = lookup(t, kind, l, tp);
		if (tpl != NULL)
			return tpl;
	}
	return NULL;
}

char **
dm_templates_list(const struct dm_templates *t)
{
	char **list = g_new0(char *, t->all->len + 1);
	for (guint i = 0; i < t->all->len; i++)
		list[i] = g_strdup(((const struct dm_template *) t->all->pdata[i])->key);
	return list;
}

const char *
dm_template_path(const struct dm_template *tpl)
{
	return tpl->path;
}

const char *
dm_template_kind(const struct dm_template *tpl)
{
	return tpl->kind;
}

const char *
dm_template_lang(const struct dm_template *tpl)
{
	return tpl->lang;
}

const char *
dm_template_topic(const struct dm_template *tpl)
{
	return tpl->topic;
}

gboolean
dm_template_has_html(const struct dm_template *tpl)
{
	return tpl->html != NULL;
}

