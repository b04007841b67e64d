/* mailinfo.c - print a mail as the tests want to see it, parsed back
 * with GMime: every header decoded on its own line ("Name: value"), an
 * empty line, then the text/plain body decoded to UTF-8.  Used by the
 * integration tests to check what deskmail sent. */
#include "dm-autoconf.h"

#include <fcntl.h>
#include <stdio.h>

#include <gmime/gmime.h>

static void
print_text(GMimeObject *obj)
{
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			print_text(g_mime_multipart_get_part(mp, i));
		return;
	}
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	if (GMIME_IS_TEXT_PART(obj) && g_mime_content_type_is_type(ct, "text", "plain")) {
		char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
		fputs(text, stdout);
		g_free(text);
	} else if (GMIME_IS_TEXT_PART(obj)) {
		printf("[%s/%s part]\n", g_mime_content_type_get_media_type(ct),
		       g_mime_content_type_get_media_subtype(ct));
	}
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mailinfo FILE\n");
		return 2;
	}
	g_mime_init();
	GMimeStream *s = g_mime_stream_fs_open(argv[1], O_RDONLY, 0, NULL);
	if (s == NULL)
		return 1;
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	if (m == NULL)
		return 1;
	GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(m));
	for (int i = 0; i < g_mime_header_list_get_count(list); i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		printf("%s: %s\n", g_mime_header_get_name(h), g_mime_header_get_value(h));
	}
	/* GMime keeps the Content-* headers on the top-level part. */
	GMimeObject *body = g_mime_message_get_mime_part(m);
	list = g_mime_object_get_header_list(body);
	for (int i = 0; i < g_mime_header_list_get_count(list); i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		printf("%s: %s\n", g_mime_header_get_name(h), g_mime_header_get_value(h));
	}
	printf("\n");
	print_text(body);
	g_object_unref(m);
	g_object_unref(p);
	g_object_unref(s);
	return 0;
}
