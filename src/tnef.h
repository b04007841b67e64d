/* tnef.h - the files inside an Outlook winmail.dat (TNEF), via libytnef. */
#ifndef DM_TNEF_H
#define DM_TNEF_H

#include <glib.h>

struct dm_tnef_file {
	char *filename;     /* long filename when present, else the 8.3 title */
	char *content_type; /* from PR_ATTACH_MIME_TAG, else application/octet-stream */
	char *content_id;   /* PR_ATTACH_CONTENT_ID or "" */
	GBytes *content;
};

/* Unpack the attachments of a TNEF stream (DATA, borrowed).  Returns an
 * array of struct dm_tnef_file* (possibly empty) with a free function set;
 * NULL when DATA is not readable TNEF.  At most MAX_FILES are returned.
 * Caller frees with g_ptr_array_unref. */
GPtrArray *dm_tnef_unpack(GBytes *data, guint max_files);

#endif
