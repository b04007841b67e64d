/* serve.c - the master of `deskmail serve`: listening sockets, the
 * workers and the sender, signals, reloads and a graceful stop.
 *
 * The master never touches the database or a message: it accepts,
 * checks the peer, and passes the connection to an idle worker.  It owns
 * the desk of the current generation; a worker or sender forked from it
 * keeps the generation it was forked with until it exits, so deliveries
 * in flight finish on the desk they began with. */
/* SO_PEERCRED, accept4, pipe2 and MSG_CMSG_CLOEXEC are GNU. */
#define _GNU_SOURCE 1
#include "dm-autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "serve.h"

/* Processes that hand the outbox to the MTA side by side (rows are
 * claimed FOR UPDATE SKIP LOCKED, so each goes out once). */
#define DM_SERVE_MAX_SENDERS 16

/* A connection waits this long for an idle worker before it gets 421. */
#define QUEUE_WAIT_US (2 * G_USEC_PER_SEC)

struct worker {
	pid_t pid;        /* 0: the slot is empty */
	int ctl;          /* our end of the socket pair */
	gboolean busy;    /* serving a session */
	gboolean retire;  /* exit after the session (a new generation) */
};

struct waiting {
	int fd;
	gint64 since;
};

struct master {
	const char *config_path;
	struct dm_desk *desk;
	GArray *listeners;        /* int */
	gboolean from_systemd;
	struct worker *workers;
	int n_workers;
	pid_t senders[DM_SERVE_MAX_SENDERS]; /* 0: the slot is empty */
	int n_senders;
	GArray *queue;            /* struct waiting: accepted, no worker free yet */
	gboolean stopping;
	gint64 stop_deadline;
};

static int signal_pipe[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char) sig;
	ssize_t ignored = write(signal_pipe[1], &b, 1);
	(void) ignored;
	errno = saved;
}

static void
install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGCHLD };
	for (gsize i = 0; i < G_N_ELEMENTS(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* In a new child: no master's descriptors, default signals. */
static void
child_setup(struct master *m, int keep)
{
	for (guint i = 0; i < m->listeners->len; i++)
		close(g_array_index(m->listeners, int, i));
	for (int i = 0; i < m->n_workers; i++)
		if (m->workers[i].pid && m->workers[i].ctl != keep)
			close(m->workers[i].ctl);
	for (guint i = 0; i < m->queue->len; i++)
		close(g_array_index(m->queue, struct waiting, i).fd);
	close(signal_pipe[0]);
	close(signal_pipe[1]);
	int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGCHLD };
	for (gsize i = 0; i < G_N_ELEMENTS(sigs); i++)
		signal(sigs[i], SIG_DFL);
}

static void
spawn_worker(struct master *m, int slot)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		dm_log_error("serve: socketpair: %s", g_strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		dm_log_error("serve: fork: %s", g_strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		close(sv[0]);
		child_setup(m, -1);
		dm_serve_worker_main(m->desk, sv[1]);
	}
	close(sv[1]);
	m->workers[slot] = (struct worker) { .pid = pid, .ctl = sv[0] };
}

static void
spawn_sender(struct master *m, int slot)
{
	pid_t pid = fork();
	if (pid < 0) {
		dm_log_error("serve: fork: %s", g_strerror(errno));
		return;
	}
	if (pid == 0) {
		child_setup(m, -1);
		dm_serve_sender_main(m->desk);
	}
	m->senders[slot] = pid;
}

/* Pass FD to WORKER with one byte of payload; the worker owns it now. */
static gboolean
pass_fd(struct worker *w, int fd)
{
	char byte = 'c';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof u.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(w->ctl, &msg, MSG_NOSIGNAL) == 1;
}

/* Say REPLY to a connection no worker takes, and close it. */
static void
refuse(int fd, const char *reply)
{
	g_autofree char *line = g_strdup_printf("%s\r\n", reply);
	ssize_t ignored = write(fd, line, strlen(line));
	(void) ignored;
	close(fd);
}

static struct worker *
idle_worker(struct master *m)
{
	for (int i = 0; i < m->n_workers; i++)
		if (m->workers[i].pid && m->workers[i].ctl >= 0 && !m->workers[i].busy && !m->workers[i].retire)
			return &m->workers[i];
	return NULL;
}

/* Hand waiting connections to idle workers; refuse those that waited
 * too long. */
static void
dispatch(struct master *m)
{
	gint64 now = g_get_monotonic_time();
	while (m->queue->len > 0) {
		struct waiting *w = &g_array_index(m->queue, struct waiting, 0);
		struct worker *idle = idle_worker(m);
		if (idle && !pass_fd(idle, w->fd)) {
			/* It died and we have not reaped it yet: try another. */
			close(idle->ctl);
			idle->ctl = -1;
			continue;
		}
		if (idle == NULL && now - w->since < QUEUE_WAIT_US)
			return;
		if (idle) {
			idle->busy = TRUE;
			close(w->fd);
		} else {
			dm_log_warn("serve: no free worker: session refused (421)");
			refuse(w->fd, "421 4.3.2 deskmail: all workers busy, try again later");
		}
		g_array_remove_index(m->queue, 0);
	}
}

static void
accept_one(struct master *m, int listener)
{
	int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	g_autofree char *who = NULL;
	if (!dm_listen_peer_allowed(fd, m->desk->cfg->server.allowed_users, &who)) {
		dm_log_warn("serve: refused a session from %s: not in [server] allowed_users", who);
		refuse(fd, "421 4.7.0 deskmail: not allowed to deliver here");
		return;
	}
	if (m->stopping) {
		refuse(fd, "421 4.3.2 deskmail: service shutting down");
		return;
	}
	struct waiting w = { fd, g_get_monotonic_time() };
	g_array_append_val(m->queue, w);
	dispatch(m);
}

/* A worker wrote to its control socket ('i': idle again) or closed it. */
static void
worker_says(struct master *m, struct worker *w)
{
	char buf[64];
	ssize_t n = read(w->ctl, buf, sizeof buf);
	if (n > 0) {
		w->busy = FALSE;
		if (w->retire || m->stopping) {
			/* EOF on its control socket tells it to exit. */
			close(w->ctl);
			w->ctl = -1;
		}
		return;
	}
	if (n < 0 && errno == EINTR)
		return;
	/* EOF: it exited (recycled or died); SIGCHLD reaps it. */
	close(w->ctl);
	w->ctl = -1;
}

/* Reap children; start new ones in the empty slots unless stopping. */
static void
reap(struct master *m)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < m->n_senders; i++)
			if (pid == m->senders[i])
				m->senders[i] = 0;
		for (int i = 0; i < m->n_workers; i++) {
			struct worker *w = &m->workers[i];
			if (w->pid != pid)
				continue;
			if (WIFSIGNALED(status))
				dm_log_warn("serve: worker %d killed by signal %d", (int) pid, WTERMSIG(status));
			if (w->ctl >= 0)
				close(w->ctl);
			*w = (struct worker) { .ctl = -1 };
		}
	}
	if (m->stopping)
		return;
	for (int i = 0; i < m->n_workers; i++)
		if (m->workers[i].pid == 0)
			spawn_worker(m, i);
	for (int i = 0; i < m->n_senders; i++)
		if (m->senders[i] == 0)
			spawn_sender(m, i);
}

static void
signal_senders(struct master *m, int sig)
{
	for (int i = 0; i < m->n_senders; i++)
		if (m->senders[i])
			kill(m->senders[i], sig);
}

/* SIGHUP: a new desk generation, or the old one and one log line. */
static void
reload(struct master *m)
{
	g_autoptr(GError) error = NULL;
	struct dm_desk *next = dm_desk_load(m->config_path, m->desk->generation + 1, &error);
	if (next == NULL) {
		dm_log_error("serve: reload failed, generation %u keeps serving: %s", m->desk->generation,
			     error->message);
		return;
	}
	dm_desk_unref(m->desk);
	m->desk = next;
	dm_log_info("serve: generation %u loaded", next->generation);
	for (int i = 0; i < m->n_workers; i++) {
		struct worker *w = &m->workers[i];
		if (w->pid == 0)
			continue;
		w->retire = TRUE;
		if (!w->busy && w->ctl >= 0) {
			close(w->ctl);
			w->ctl = -1;
		}
	}
	signal_senders(m, SIGTERM);
}

/* SIGTERM: no new sessions; sessions in flight finish (workers get
 * SIGTERM and end theirs with 421 after the delivery in progress). */
static void
begin_stop(struct master *m)
{
	if (m->stopping)
		return;
	m->stopping = TRUE;
	m->stop_deadline = g_get_monotonic_time() + (gint64) m->desk->cfg->server.grace * G_USEC_PER_SEC;
	dm_listen_close(m->listeners, m->from_systemd ? NULL : m->desk->cfg->server.listen);
	while (m->queue->len > 0) {
		refuse(g_array_index(m->queue, struct waiting, 0).fd, "421 4.3.2 deskmail: service shutting down");
		g_array_remove_index(m->queue, 0);
	}
	for (int i = 0; i < m->n_workers; i++) {
		struct worker *w = &m->workers[i];
		if (w->pid && w->busy)
			kill(w->pid, SIGTERM);
		else if (w->pid && w->ctl >= 0) {
			close(w->ctl);
			w->ctl = -1;
		}
	}
	signal_senders(m, SIGTERM);
	dm_log_info("serve: stopping");
}

static gboolean
children_left(struct master *m)
{
	for (int i = 0; i < m->n_workers; i++)
		if (m->workers[i].pid)
			return TRUE;
	for (int i = 0; i < m->n_senders; i++)
		if (m->senders[i])
			return TRUE;
	return FALSE;
}

static void
handle_signals(struct master *m)
{
	unsigned char sigs[32];
	ssize_t n = read(signal_pipe[0], sigs, sizeof sigs);
	for (ssize_t i = 0; i < n; i++) {
		if (sigs[i] == SIGHUP && !m->stopping)
			reload(m);
		else if (sigs[i] == SIGTERM || sigs[i] == SIGINT)
			begin_stop(m);
	}
	reap(m);
}

/* One round of the master's loop: wait for a connection, a worker, a
 * signal or the queue's next deadline. */
static void
loop_once(struct master *m)
{
	g_autoptr(GArray) pfds = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
	g_autoptr(GArray) owners = g_array_new(FALSE, FALSE, sizeof(int)); /* -1 signal, -2-i listener, slot */
	struct pollfd p = { .fd = signal_pipe[0], .events = POLLIN };
	int owner = -1;
	g_array_append_val(pfds, p);
	g_array_append_val(owners, owner);
	for (guint i = 0; !m->stopping && i < m->listeners->len; i++) {
		p.fd = g_array_index(m->listeners, int, i);
		owner = -2 - (int) i;
		g_array_append_val(pfds, p);
		g_array_append_val(owners, owner);
	}
	for (int i = 0; i < m->n_workers; i++) {
		if (m->workers[i].pid == 0 || m->workers[i].ctl < 0)
			continue;
		p.fd = m->workers[i].ctl;
		g_array_append_val(pfds, p);
		g_array_append_val(owners, i);
	}
	int timeout = m->queue->len ? 100 : m->stopping ? 200 : -1;
	int rc = poll((struct pollfd *) pfds->data, pfds->len, timeout);
	if (rc < 0 && errno != EINTR)
		dm_log_error("serve: poll: %s", g_strerror(errno));
	for (guint i = 0; rc > 0 && i < pfds->len; i++) {
		struct pollfd *q = &g_array_index(pfds, struct pollfd, i);
		int who = g_array_index(owners, int, i);
		if (!(q->revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (who == -1)
			handle_signals(m);
		else if (who < -1)
			accept_one(m, q->fd);
		else if (m->workers[who].ctl == q->fd)
			worker_says(m, &m->workers[who]);
	}
	dispatch(m);
}

static gboolean
open_listeners(struct master *m)
{
	const struct dm_config *cfg = m->desk->cfg;
	m->from_systemd = dm_listen_from_systemd(m->listeners);
	if (m->from_systemd)
		return TRUE;
	g_autoptr(GError) error = NULL;
	if (!dm_listen_open(cfg->server.listen, cfg->server.socket_mode, m->listeners, &error)) {
		fprintf(stderr, "deskmail: %s: [server] %s\n", cfg->path, error->message);
		return FALSE;
	}
	return TRUE;
}

int
dm_serve_run(const char *config_path, struct dm_desk *desk)
{
	struct master m = { .config_path = config_path, .desk = desk };
	m.listeners = g_array_new(FALSE, FALSE, sizeof(int));
	m.queue = g_array_new(FALSE, FALSE, sizeof(struct waiting));
	if (!open_listeners(&m) || pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		g_array_unref(m.listeners);
		g_array_unref(m.queue);
		dm_desk_unref(m.desk);
		return EX_CONFIG;
	}
	install_signals();
	m.n_workers = desk->cfg->server.workers;
	m.n_senders = MIN(desk->cfg->server.senders, DM_SERVE_MAX_SENDERS);
	m.workers = g_new0(struct worker, m.n_workers);
	dm_log_info("serve: generation %u listening on %s with %d workers", desk->generation,
		    m.from_systemd ? "systemd's sockets" : desk->cfg->server.listen, m.n_workers);
	reap(&m);
	while (!m.stopping || (children_left(&m) && g_get_monotonic_time() < m.stop_deadline)) {
		loop_once(&m);
		if (m.stopping)
			reap(&m);
	}
	for (int i = 0; i < m.n_workers; i++)
		if (m.workers[i].pid)
			kill(m.workers[i].pid, SIGKILL);
	signal_senders(&m, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
	dm_log_info("serve: stopped");
	g_free(m.workers);
	g_array_unref(m.listeners);
	g_array_unref(m.queue);
	dm_desk_unref(m.desk);
	return EX_OK;
}
