/* deliver.h - the pipeline for one incoming message (see DESIGN.md). */
#ifndef DM_DELIVER_H
#define DM_DELIVER_H

#include <glib.h>

#include "config.h"

struct dm_deliver_options {
	const char *recipient;     /* envelope recipient from the MTA, or NULL */
	const char *sender;        /* envelope sender from the MTA, or NULL */
	int input_fd;              /* where the message comes from (0) */
};

/* Run the whole pipeline on the message read from OPTS->input_fd and
 * return the exit status for the MTA (0, 65 or 75), having printed the
 * one-line reason for any non-zero status on stderr. */
int dm_deliver_run(const struct dm_config *cfg, const struct dm_deliver_options *opts);

/* Read at most MAX bytes from FD.  Returns DM_OK with *OUT set, DM_REJECT
 * when the input is larger than MAX (*OUT unset), DM_TEMPFAIL on a read
 * error.  Caller frees *OUT with g_bytes_unref. */
enum dm_status dm_deliver_read_input(int fd, gsize max, GBytes **out);

#endif
