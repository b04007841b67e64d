/* deliver.h - one incoming message, from raw bytes to COMMIT: the
 * delivery core every front end shares (`deskmail deliver`, the LMTP
 * service).
 *
 * The core never prints, exits or touches signals: it returns a typed
 * result, and each front end maps it (to sysexits, to LMTP replies).  The
 * mail it queued for sending is handed over by the front end after the
 * result is known, off the reply path (dm_outbox_flush). */
#ifndef DM_DELIVER_H
#define DM_DELIVER_H

#include <glib.h>

#include "db.h"
#include "desk.h"

/* What the MTA says about the message besides its bytes. */
struct dm_envelope {
	const char *recipient; /* envelope recipient, or NULL: X-Original-To / Delivered-To then */
	const char *sender;    /* envelope sender ("" = the null sender), or NULL when unknown */
};

enum dm_outcome {
	DM_OUTCOME_STORED,    /* committed */
	DM_OUTCOME_DUPLICATE, /* stored before (an MTA retry): success too */
	DM_OUTCOME_DROPPED,   /* deliberately not stored by a rule: success */
	DM_OUTCOME_REJECTED,  /* can never be stored: 65, 5xx */
	DM_OUTCOME_TEMPFAIL,  /* a retry or an operator can cure it: 75, 4xx */
};

struct dm_delivery_result {
	enum dm_outcome outcome;
	const char *code;      /* enhanced status: "2.0.0", "4.3.0", "5.3.4", "5.6.0" (static) */
	char *text;            /* one line for the MTA after the code ("deskmail: ...") */
	gint64 ticket;         /* the ticket it went to, or 0 */
	gint64 message_row;    /* the stored message, or 0 */
	GArray *outbox_ids;    /* gint64: outbox rows to hand to the MTA */
	char *message_id;      /* sanitised for logs, or NULL before parsing */
	gsize size;            /* bytes */
	guint attachments;
	/* For the summary log line (static strings or NULL): */
	const char *action;    /* new, append, duplicate, reject, defer */
	const char *kind;      /* customer, agent, note, bounce, ... */
	const char *threaded_by;
	const char *ack;       /* "queued", or why no acknowledgement */
	gint64 ms;             /* time spent in dm_deliver_one */
};

/* Set up R for a delivery.  Free with dm_delivery_result_clear. */
void dm_delivery_result_init(struct dm_delivery_result *r);
void dm_delivery_result_clear(struct dm_delivery_result *r);

/* Deliver RAW (borrowed; the whole message, already read within the size
 * limit) with ENV on DESK (borrowed).  *DB is the connection to use; when
 * NULL (or broken) the core connects and leaves the new connection in
 * *DB for the next delivery (caller frees with dm_db_free).  DEADLINE is
 * the g_get_monotonic_time() by which the delivery must end (0 = none):
 * every statement's timeout is cut to what is left of it.  Fills R and
 * returns R->outcome.  Logs deferrals; the front end logs the summary
 * (dm_delivery_result_log) once it has handed the outgoing mail over. */
enum dm_outcome dm_deliver_one(const struct dm_desk *desk, struct dm_db **db, const struct dm_envelope *env,
			       GBytes *raw, gint64 deadline, struct dm_delivery_result *r);

/* The one key=value summary line of a delivery that succeeded, with SENT
 * (the outgoing mails the MTA took; < 0: not known yet). */
void dm_delivery_result_log(const struct dm_delivery_result *r, int sent);

/* Read at most MAX bytes from FD.  Returns DM_OK with *OUT set, DM_REJECT
 * when the input is larger than MAX (*OUT unset), DM_TEMPFAIL on a read
 * error.  Caller frees *OUT with g_bytes_unref. */
enum dm_status dm_deliver_read_input(int fd, gsize max, GBytes **out);

/* Fill R for input that never reached dm_deliver_one: over the size
 * limit (DM_REJECT) or unreadable (DM_TEMPFAIL). */
void dm_delivery_result_input(const struct dm_desk *desk, enum dm_status st, struct dm_delivery_result *r);

#endif
