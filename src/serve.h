/* serve.h - `deskmail serve`: the resident LMTP delivery service.
 *
 * Process model (doc/design.md says why): one master process holds the
 * listening sockets and the desk; it accepts every connection, checks
 * the peer, and hands the connection to an idle worker over a Unix
 * socket pair (SCM_RIGHTS).  Each worker is a pre-forked, single-
 * threaded process with one warm PostgreSQL connection that serves one
 * LMTP session at a time through the delivery core, and is replaced
 * after max_deliveries or above max_rss.  A connection that finds no
 * idle worker within a moment gets 421 (the MTA retries).  One sender
 * process hands queued mail to the MTA off the reply path, woken by
 * PostgreSQL's NOTIFY at COMMIT, and runs the desk's clock. */
#ifndef DM_SERVE_H
#define DM_SERVE_H

#include "desk.h"

/* Run the service on DESK (taken over) loaded from CONFIG_PATH (for
 * reloads on SIGHUP) until SIGTERM or SIGINT.  Returns the exit status:
 * 0 after a clean stop, 78 when it cannot listen. */
int dm_serve_run(const char *config_path, struct dm_desk *desk);

/* The children's main loops (serve-worker.c, serve-sender.c); they
 * exit the process. */
void dm_serve_worker_main(struct dm_desk *desk, int ctl) G_GNUC_NORETURN;
void dm_serve_sender_main(struct dm_desk *desk) G_GNUC_NORETURN;

#endif
