/* deliver.c - read, parse, store, commit: the pipeline behind
 * `deskmail deliver`, and the exit-status policy the MTA relies on.
 *
 * 0 only after COMMIT (or for a duplicate); 65 only for input that can
 * never be stored; 75 for everything else, so the MTA keeps the message
 * and retries.  A deadline below the MTA's command time limit turns a hang
 * into 75 as well: Postfix bounces a command that overruns its limit. */
#include "dm-autoconf.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "db.h"
#include "deliver.h"
#include "log.h"
#include "message.h"
#include "status.h"
#include "store.h"

static void
deadline_reached(int sig)
{
	static const char line[] = "4.3.0 deskmail: delivery deadline exceeded\n";
	(void) sig;
	/* Only async-signal-safe calls here. */
	ssize_t ignored = write(STDERR_FILENO, line, sizeof line - 1);
	(void) ignored;
	_exit(EX_TEMPFAIL);
}

static void
start_deadline(int seconds)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = deadline_reached;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned) seconds);
}

enum dm_status
dm_deliver_read_input(int fd, gsize max, GBytes **out)
{
	GByteArray *buf = g_byte_array_sized_new(64 * 1024);
	/* MAX is at most 1 GiB (config.c), so the guint length cannot wrap. */
	for (;;) {
		guint old = buf->len;
		g_byte_array_set_size(buf, old + 65536);
		ssize_t n = read(fd, buf->data + old, 65536);
		if (n < 0) {
			g_byte_array_set_size(buf, old);
			if (errno == EINTR)
				continue;
			g_byte_array_unref(buf);
			return DM_TEMPFAIL;
		}
		g_byte_array_set_size(buf, old + (guint) n);
		if (n == 0)
			break;
		if (buf->len > max) {
			g_byte_array_unref(buf);
			return DM_REJECT;
		}
	}
	*out = g_byte_array_free_to_bytes(buf);
	return DM_OK;
}

/* The envelope recipient: from the MTA's argument, else the headers
 * Postfix and others add (Delivered-To, X-Original-To). */
static char *
find_recipient(const struct dm_deliver_options *opts, const struct dm_message *msg)
{
	if (opts->recipient && *opts->recipient)
		return dm_address_normalise(opts->recipient);
	const char *h = dm_message_header(msg, "X-Original-To");
	if (h == NULL)
		h = dm_message_header(msg, "Delivered-To");
	return h ? dm_address_normalise(h) : NULL;
}

int
dm_deliver_run(const struct dm_config *cfg, const struct dm_deliver_options *opts)
{
	gint64 started = g_get_monotonic_time();
	start_deadline(cfg->deadline);

	g_autoptr(GBytes) raw = NULL;
	enum dm_status st = dm_deliver_read_input(opts->input_fd, cfg->limits.max_message_bytes, &raw);
	if (st == DM_REJECT) {
		fprintf(stderr, "5.3.4 deskmail: message too large (limit %" G_GSIZE_FORMAT " bytes)\n",
			cfg->limits.max_message_bytes);
		dm_log_info("action=reject reason=too-large limit=%" G_GSIZE_FORMAT,
			    cfg->limits.max_message_bytes);
		return EX_DATAERR;
	}
	if (st != DM_OK) {
		fprintf(stderr, "4.3.0 deskmail: cannot read the message: %s\n", g_strerror(errno));
		return EX_TEMPFAIL;
	}
	if (g_bytes_get_size(raw) == 0) {
		fprintf(stderr, "5.6.0 deskmail: empty input: no message to store\n");
		dm_log_info("action=reject reason=empty");
		return EX_DATAERR;
	}

	g_autoptr(DmMessage) msg = dm_message_parse(raw, &cfg->limits,
						    (const char *const *) cfg->charset_fallback);
	if (msg == NULL) {
		fprintf(stderr, "5.6.0 deskmail: input is not a mail message (no header found)\n");
		dm_log_info("action=reject reason=not-mail size=%" G_GSIZE_FORMAT, g_bytes_get_size(raw));
		return EX_DATAERR;
	}

	g_autofree char *recipient = find_recipient(opts, msg);
	g_autofree char *sender = opts->sender ? dm_address_normalise(opts->sender) : NULL;
	g_autofree char *msgid_log = dm_log_sanitize(msg->message_id, 120);

	g_autoptr(DmDb) db = NULL;
	st = dm_db_connect(cfg->conninfo, NULL, cfg->connect_timeout, cfg->statement_timeout,
			   cfg->lock_timeout, &db);
	if (st != DM_OK) {
		fprintf(stderr, "4.3.0 deskmail: database unavailable\n");
		dm_log_info("action=defer reason=db-connect message_id=<%s>", msgid_log);
		return EX_TEMPFAIL;
	}

	struct dm_delivery d = { .msg = msg, .recipient = recipient, .envelope_from = sender };
	struct dm_store_result result;
	st = dm_store_incoming(db, cfg, &d, &result);
	gint64 ms = (g_get_monotonic_time() - started) / 1000;
	if (st != DM_OK) {
		g_autofree char *err = dm_log_sanitize(dm_db_error(db), 200);
		fprintf(stderr, "4.3.0 deskmail: database error, will retry: %s\n", err);
		dm_log_error("action=defer reason=db message_id=<%s> sqlstate=%s error=\"%s\" ms=%" G_GINT64_FORMAT,
			     msgid_log, dm_db_sqlstate(db), err, ms);
		return EX_TEMPFAIL;
	}
	dm_log_info("action=%s ticket=%" G_GINT64_FORMAT " message_id=<%s> size=%" G_GSIZE_FORMAT
		    " attachments=%u ms=%" G_GINT64_FORMAT,
		    result.duplicate ? "duplicate" : (result.new_ticket ? "new" : "reply"),
		    result.ticket_id, msgid_log, g_bytes_get_size(raw), msg->attachments->len, ms);
	return EX_OK;
}
