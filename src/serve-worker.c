/* serve-worker.c - a worker of `deskmail serve`: one LMTP session at a
 * time, each message through the delivery core on a warm database
 * connection, one reply per recipient from the core's result.
 *
 * The master passes each connection over the control socket; the worker
 * writes one byte back when the session is over, and exits when the
 * control socket closes (a reload or a stop), after max_deliveries, or
 * above max_rss.  SIGTERM ends the session after the delivery in
 * progress, with 421. */
/* SO_PEERCRED, accept4, pipe2 and MSG_CMSG_CLOEXEC are GNU. */
#define _GNU_SOURCE 1
#include "dm-autoconf.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "deliver.h"
#include "lmtp.h"
#include "log.h"
#include "screen.h"
#include "serve.h"

struct worker {
	const struct dm_desk *desk;
	struct dm_db *db;      /* warm; the core replaces a broken one */
	int deliveries;
	struct dm_screen_config own;
};

static volatile sig_atomic_t stopping;

/* The signal mask with SIGTERM unblocked.  SIGTERM stays blocked
 * everywhere else, and only the wait for the client lets it in
 * (ppoll), so a SIGTERM that comes between the check of STOPPING and
 * the wait cannot be lost: it ends that wait at once, instead of the
 * session waiting out idle_timeout while the master's grace runs. */
static sigset_t wait_mask;

static void
on_term(int sig)
{
	(void) sig;
	stopping = 1;
}

/* RCPT: one of the desk's addresses, plus-addressed reply keys included. */
static gboolean
recipient_ok(const char *address, struct dm_lmtp_reply *reply, gpointer user_data)
{
	struct worker *w = user_data;
	g_autofree char *addr = dm_address_normalise(address);
	if (dm_screen_is_own_address(&w->own, addr))
		return TRUE;
	dm_lmtp_reply_set(reply, 550, "5.1.1", "deskmail: not an address of this desk");
	return FALSE;
}

/* The LMTP reply for a delivery's result. */
static guint
reply_code(const struct dm_delivery_result *r)
{
	switch (r->outcome) {
	case DM_OUTCOME_STORED:
	case DM_OUTCOME_DUPLICATE:
	case DM_OUTCOME_DROPPED:
		return 250;
	case DM_OUTCOME_REJECTED:
		return strcmp(r->code, "5.3.4") == 0 ? 552 : 554;
	case DM_OUTCOME_TEMPFAIL:
		break;
	}
	return 451;
}

/* Deliver the awaited message once per recipient (the second and later
 * are duplicates of the first unless the first failed). */
static void
deliver_message(struct worker *w, DmLmtpSession *s)
{
	const struct dm_lmtp_envelope *env = dm_lmtp_session_envelope(s);
	g_autoptr(GBytes) raw = dm_lmtp_session_ref_message(s);
	const struct dm_config *cfg = w->desk->cfg;
	const char *const *rcpts = env->recipients;
	guint n = env->n_recipients;
	for (guint i = 0; i < n; i++) {
		gint64 deadline = g_get_monotonic_time() + (gint64) cfg->deadline * G_USEC_PER_SEC;
		struct dm_envelope e = { .recipient = rcpts[i], .sender = env->sender };
		struct dm_delivery_result r;
		dm_delivery_result_init(&r);
		dm_deliver_one(w->desk, &w->db, &e, raw, deadline, &r);
		dm_delivery_result_log(&r, -1);
		g_autofree char *text = r.outcome == DM_OUTCOME_STORED || r.outcome == DM_OUTCOME_DUPLICATE
						? g_strdup_printf("%s <%s>", r.text, rcpts[i])
						: g_strdup(r.text);
		/* The session may be freed below; take what it lends first. */
		guint code = reply_code(&r);
		char status[16];
		g_strlcpy(status, r.code, sizeof status);
		dm_delivery_result_clear(&r);
		w->deliveries++;
		dm_lmtp_session_set_result(s, i, code, status, text);
	}
}

/* Write the session's output; FALSE when the client is gone. */
static gboolean
flush_output(DmLmtpSession *s, int fd)
{
	GString *out = dm_lmtp_session_output(s);
	while (out->len > 0) {
		ssize_t n = send(fd, out->str, out->len, MSG_NOSIGNAL);
		if (n > 0) {
			g_string_erase(out, 0, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* EAGAIN: SO_SNDTIMEO passed, the client stopped reading. */
		return FALSE;
	}
	return TRUE;
}

/* Read what the client sent into the session, waiting at most the idle
 * timeout; FALSE when the connection ended. */
static gboolean
read_input(DmLmtpSession *s, int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec ts = { .tv_sec = timeout_ms / 1000, .tv_nsec = (long) (timeout_ms % 1000) * 1000000 };
	int rc = ppoll(&p, 1, &ts, &wait_mask);
	if (rc < 0)
		return errno == EINTR;
	if (rc == 0) {
		dm_lmtp_session_timeout(s);
		return TRUE;
	}
	char buf[64 * 1024];
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return FALSE;
	dm_lmtp_session_feed(s, buf, (gsize) n);
	return TRUE;
}

static void
session(struct worker *w, int fd)
{
	const struct dm_config *cfg = w->desk->cfg;
	struct dm_lmtp_limits limits = { .max_message_bytes = cfg->limits.max_message_bytes,
					 .max_recipients = (guint) cfg->server.max_recipients,
					 .max_line_bytes = cfg->server.max_line };
	const char *host = cfg->hostname && *cfg->hostname ? cfg->hostname : g_get_host_name();
	g_autoptr(DmLmtpSession) s = dm_lmtp_session_new(host, &limits, recipient_ok, w);
	int timeout_ms = cfg->server.idle_timeout * 1000;
	struct timeval tv = { .tv_sec = cfg->server.idle_timeout };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	for (;;) {
		if (!flush_output(s, fd))
			break;
		DmLmtpState state = dm_lmtp_session_state(s);
		if (state == DM_LMTP_CLOSED)
			break;
		if (state == DM_LMTP_AWAITING_RESULTS)
			deliver_message(w, s);
		else if (stopping)
			dm_lmtp_session_shutdown(s);
		else if (!read_input(s, fd, timeout_ms))
			break;
	}
	close(fd);
}

/* The next connection from the master, or -1 when it closed ours. */
static int
receive_fd(int ctl)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof u.buf };
	for (;;) {
		ssize_t n = recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR && !stopping)
			continue;
		if (n <= 0)
			return -1;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
			return fd;
		}
	}
}

/* Resident size in bytes, from /proc/self/statm. */
static gsize
rss_bytes(void)
{
	g_autofree char *statm = NULL;
	if (!g_file_get_contents("/proc/self/statm", &statm, NULL, NULL))
		return 0;
	const char *sp = strchr(statm, ' ');
	return sp ? (gsize) g_ascii_strtoull(sp + 1, NULL, 10) * (gsize) sysconf(_SC_PAGESIZE) : 0;
}

void
dm_serve_worker_main(struct dm_desk *desk, int ctl)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	/* The worker keeps its connection: worth preparing statements on. */
	dm_db_prepare_statements(desk->cfg->prepared_statements);
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	struct worker w = { .desk = desk };
	w.own = (struct dm_screen_config) { .own_addresses = (const char *const *) desk->cfg->own_addresses,
					    .reply_separator = dm_config_separator(desk->cfg) };
	const struct dm_config *cfg = desk->cfg;
	int fd;
	while (!stopping && (fd = receive_fd(ctl)) >= 0) {
		session(&w, fd);
		if (w.deliveries >= cfg->server.max_deliveries || rss_bytes() > cfg->server.max_rss) {
			dm_log_info("serve: worker %d retires after %d deliveries, %" G_GSIZE_FORMAT " KiB resident",
				    (int) getpid(), w.deliveries, rss_bytes() / 1024);
			break;
		}
		char idle = 'i';
		if (write(ctl, &idle, 1) != 1)
			break;
	}
	dm_db_free(w.db);
	_exit(0);
}
