/* cmd-deliver.c - `deskmail deliver`: the MTA's pipe entry point, one
 * message on standard input, the result as an exit status (sysexits).
 *
 * Even a usage or configuration error exits 75 here: a broken deployment
 * must defer mail, never bounce it.  The deadline (below the MTA's
 * command time limit, which bounces) is an alarm over reading and the
 * delivery (75 when it strikes); the hand-over of the acknowledgement to
 * sendmail gets what is left of it, and when that runs out the process
 * exits 0: the mail is committed, and what is not handed over stays in
 * the outbox for the service or `outbox flush`. */
#include "dm-autoconf.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "deliver.h"
#include "desk.h"
#include "log.h"
#include "outbox.h"

static void
deadline_reached(int sig)
{
	static const char line[] = "4.3.0 deskmail: delivery deadline exceeded\n";
	/* Only async-signal-safe calls here. */
	ssize_t ignored = write(STDERR_FILENO, line, sizeof line - 1);
	(void) ignored, (void) sig;
	_exit(EX_TEMPFAIL);
}

/* After COMMIT the answer is 0 whatever sendmail does: a hanging
 * sendmail must not run into the MTA's time limit (which bounces). */
static void
hand_over_too_long(int sig)
{
	(void) sig;
	_exit(EX_OK);
}

static void
start_deadline(int seconds, void (*handler)(int))
{
	signal(SIGALRM, handler);
	alarm((unsigned) seconds);
}

/* Hand the committed outgoing mail to sendmail; what it does not take
 * stays queued for the service or `outbox flush`.  The number sent. */
static int
hand_over(struct dm_db *db, const struct dm_config *cfg, GArray *ids)
{
	int sent = 0;
	for (guint i = 0; db && i < ids->len; i++) {
		gint64 id = g_array_index(ids, gint64, i);
		int s1 = 0, f1 = 0;
		if (dm_outbox_flush(db, cfg, id, &s1, &f1) != DM_OK)
			dm_log_warn("outbox id=%" G_GINT64_FORMAT " left queued: %s", id, dm_db_error(db));
		sent += s1;
	}
	return sent;
}

/* Success (stored, a duplicate, dropped by a rule) is 0; only what can
 * never be stored is 65; everything else 75. */
static int
exit_status(enum dm_outcome outcome)
{
	if (outcome == DM_OUTCOME_REJECTED)
		return EX_DATAERR;
	return outcome == DM_OUTCOME_TEMPFAIL ? EX_TEMPFAIL : EX_OK;
}

static int
deliver(const struct dm_desk *desk, const struct dm_envelope *env)
{
	const struct dm_config *cfg = desk->cfg;
	gint64 deadline = g_get_monotonic_time() + (gint64) cfg->deadline * G_USEC_PER_SEC;
	struct dm_delivery_result r;
	g_autoptr(DmDb) db = NULL;
	g_autoptr(GBytes) raw = NULL;

	dm_delivery_result_init(&r);
	start_deadline(cfg->deadline, deadline_reached);
	enum dm_status st = dm_deliver_read_input(STDIN_FILENO, cfg->limits.max_message_bytes, &raw);
	if (st != DM_OK)
		dm_delivery_result_input(desk, st, &r);
	else
		dm_deliver_one(desk, &db, env, raw, deadline, &r);
	alarm(0);

	int status = exit_status(r.outcome);
	if (status != EX_OK)
		fprintf(stderr, "%s %s\n", r.code, r.text);
	fflush(stderr);
	/* What is left of the deadline (at least a second) for the hand-over;
	 * what sendmail has not taken by then stays queued. */
	gint64 left = (deadline - g_get_monotonic_time()) / G_USEC_PER_SEC;
	if (status == EX_OK && r.outbox_ids->len)
		start_deadline((int) MAX(left, 1), hand_over_too_long);
	dm_delivery_result_log(&r, hand_over(db, cfg, r.outbox_ids));
	alarm(0);
	dm_delivery_result_clear(&r);
	return status;
}

int
dm_cmd_deliver(struct dm_cli *cli, int argc, char **argv)
{
	g_autofree char *recipient = NULL;
	g_autofree char *sender = NULL;
	GOptionEntry entries[] = {
		{ "recipient", 'r', 0, G_OPTION_ARG_STRING, &recipient,
		  "Envelope recipient (Postfix: ${original_recipient})", "ADDRESS" },
		{ "sender", 'f', 0, G_OPTION_ARG_STRING, &sender, "Envelope sender (Postfix: ${sender})", "ADDRESS" },
		G_OPTION_ENTRY_NULL
	};
	gboolean help;
	if (!dm_cli_parse("- store one message from standard input",
			  "Run by the MTA once per message. Exit 0: stored; 65: can never be\n"
			  "stored (empty, not mail, too large); 75: try again later.",
			  entries, &argc, &argv, &help)) {
		if (help)
			return EX_OK;
		fprintf(stderr, "4.3.0 deskmail: bad command line for deliver\n");
		return EX_TEMPFAIL;
	}
	if (argc > 1) {
		fprintf(stderr, "4.3.0 deskmail: unexpected argument '%s' for deliver\n", argv[1]);
		return EX_TEMPFAIL;
	}

	g_autoptr(GError) error = NULL;
	g_autoptr(DmDesk) desk = dm_desk_load(cli->config_path, 1, &error);
	if (desk == NULL) {
		fprintf(stderr, "4.3.0 deskmail: %s\n", error->message);
		return EX_TEMPFAIL;
	}
	dm_log_open(g_str_equal(desk->cfg->log_target, "syslog") ? DM_LOG_SYSLOG : DM_LOG_STDERR, "deskmail");
	struct dm_envelope env = { .recipient = recipient, .sender = sender };
	/* The status line goes first; the log lines after it. */
	dm_log_hold();
	int status = deliver(desk, &env);
	dm_log_flush();
	return status;
}
