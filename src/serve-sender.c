/* serve-sender.c - the sender of `deskmail serve`: hands the queued
 * acknowledgements, notifications and relayed answers to the MTA off the
 * reply path, and runs the desk's clock.
 *
 * It listens for the NOTIFY every delivery that queues mail sends at
 * COMMIT, so mail leaves within moments; every tick_interval it also
 * retries what is due after a backoff.  Rows are claimed FOR UPDATE SKIP
 * LOCKED (dm_outbox_flush), so several services, or a `deskmail outbox
 * flush` beside them, send every row once. */
/* sigtimedwait with a time-out. */
#define _GNU_SOURCE 1
#include "dm-autoconf.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "outbox.h"
#include "serve.h"
#include "store-outbox.h"

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void) sig;
	stopping = 1;
}

/* Send what is due; FALSE when the connection is lost. */
static gboolean
send_due(struct dm_db *db, const struct dm_config *cfg)
{
	int sent = 0, failed = 0;
	if (dm_outbox_flush(db, cfg, 0, &sent, &failed) != DM_OK) {
		dm_log_warn("serve: outbox: %s", dm_db_error(db));
		return dm_db_usable(db);
	}
	if (sent || failed)
		dm_log_info("serve: outbox sent=%d failed=%d", sent, failed);
	return TRUE;
}

/* Run the desk's clock; FALSE when the connection is lost.  Its mail
 * goes out with the send_due that follows. */
static gboolean
run_clock(const struct dm_desk *desk, struct dm_db *db)
{
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	int alerts = 0;
	if (dm_clock_tick(desk, db, ids, &alerts) != DM_OK) {
		dm_log_warn("serve: clock: %s", dm_db_error(db));
		return dm_db_usable(db);
	}
	if (alerts)
		dm_log_info("serve: clock alerts=%d", alerts);
	return TRUE;
}

void
dm_serve_sender_main(struct dm_desk *desk)
{
	const struct dm_config *cfg = desk->cfg;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	/* SIGTERM waits while mail is handed over, and is let in only
	 * while the sender waits: a stop can be neither missed nor cut a
	 * hand-over in half. */
	sigset_t term, during;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &during);
	sigdelset(&during, SIGTERM);

	dm_db_prepare_statements(cfg->prepared_statements);
	struct dm_db *db = NULL;
	gint64 next_tick = 0;
	while (!stopping) {
		if (db == NULL) {
			if (dm_db_connect(cfg->conninfo, NULL, cfg->connect_timeout, cfg->statement_timeout,
					  cfg->lock_timeout, &db) != DM_OK ||
			    dm_db_listen(db, DM_OUTBOX_CHANNEL) != DM_OK) {
				g_clear_pointer(&db, dm_db_free);
				struct timespec pause = { .tv_sec = 2 };
				if (sigtimedwait(&term, NULL, &pause) == SIGTERM)
					stopping = 1;
				continue;
			}
		}
		/* The clock runs every tick_interval, not at every NOTIFY. */
		gboolean alive = TRUE;
		if (g_get_monotonic_time() >= next_tick) {
			alive = run_clock(desk, db);
			next_tick = g_get_monotonic_time() + (gint64) cfg->server.tick_interval * G_USEC_PER_SEC;
		}
		if (!alive || !send_due(db, cfg) ||
		    dm_db_wait_notify(db, cfg->server.tick_interval * 1000, &during) < 0)
			g_clear_pointer(&db, dm_db_free);
	}
	dm_db_free(db);
	_exit(0);
}
