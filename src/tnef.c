/* tnef.c - unpack winmail.dat.
 *
 * Outlook can wrap a message's attachments in one application/ms-tnef
 * part.  Without unpacking it the customer's files are invisible to the
 * desk, so each file inside becomes an attachment of its own. */
#include "dm-autoconf.h"

#include <string.h>

#include <stdio.h>
#include <ytnef.h>

#include "tnef.h"

static void
tnef_file_free(gpointer p)
{
	struct dm_tnef_file *f = p;
	g_free(f->filename);
	g_free(f->content_type);
	g_free(f->content_id);
	g_bytes_unref(f->content);
	g_free(f);
}

/* A MAPI string property as UTF-8: PT_UNICODE is UTF-16LE, PT_STRING8 is
 * a local codepage we cannot know, taken as windows-1252. */
static char *
mapi_string(MAPIProps *props, unsigned int tag)
{
	variableLength *v = MAPIFindProperty(props, tag);
	if (v == MAPI_UNDEFINED || v == NULL || v->data == NULL || v->size <= 0)
		return NULL;
	const char *charset = PROP_TYPE(tag) == PT_UNICODE ? "UTF-16LE" : "WINDOWS-1252";
	gsize written = 0;
	char *s = g_convert((const char *) v->data, v->size, "UTF-8", charset, NULL, &written, NULL);
	if (s == NULL)
		return NULL;
	/* Strip the terminating NUL(s) the property carries. */
	s[strnlen(s, written)] = '\0';
	if (*s == '\0') {
		g_free(s);
		return NULL;
	}
	return s;
}

static char *
first_string(MAPIProps *props, unsigned int id /* a property id, e.g. PR_ATTACH_MIME_TAG */)
{
	char *s = mapi_string(props, PROP_TAG(PT_UNICODE, id));
	return s ? s : mapi_string(props, PROP_TAG(PT_STRING8, id));
}

GPtrArray *
dm_tnef_unpack(GBytes *data, guint max_files)
{
	gsize size = 0;
	const guint8 *bytes = g_bytes_get_data(data, &size);
	if (size < 6 || size > G_MAXINT32)
		return NULL;

	TNEFStruct tnef;
	TNEFInitialize(&tnef);
	/* TNEFInitialize leaves Debug unset; anything but 0 floods stdout. */
	tnef.Debug = 0;
	/* TNEFParseMemory takes a non-const pointer but only reads. */
	if (TNEFParseMemory((BYTE *) bytes, (long) size, &tnef) < 0) {
		TNEFFree(&tnef);
		return NULL;
	}
	GPtrArray *files = g_ptr_array_new_with_free_func(tnef_file_free);
	for (Attachment *a = tnef.starting_attach.next; a && files->len < max_files; a = a->next) {
		if (a->FileData.data == NULL || a->FileData.size < 0)
			continue;
		struct dm_tnef_file *f = g_new0(struct dm_tnef_file, 1);
		f->filename = first_string(&a->MAPI, PR_ATTACH_LONG_FILENAME);
		if (f->filename == NULL && a->Title.data && a->Title.size > 0) {
			g_autofree char *t = g_strndup((const char *) a->Title.data, a->Title.size);
			f->filename = g_utf8_make_valid(t, -1);
		}
		if (f->filename == NULL)
			f->filename = g_strdup("");
		f->content_type = first_string(&a->MAPI, PR_ATTACH_MIME_TAG);
		if (f->content_type == NULL)
			f->content_type = g_strdup("application/octet-stream");
		f->content_id = first_string(&a->MAPI, PR_ATTACH_CONTENT_ID);
		if (f->content_id == NULL)
			f->content_id = g_strdup("");
		f->content = g_bytes_new(a->FileData.data, a->FileData.size);
		g_ptr_array_add(files, f);
	}
	TNEFFree(&tnef);
	return files;
}
