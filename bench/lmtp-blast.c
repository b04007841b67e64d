/* lmtp-blast.c - an LMTP load generator for the resident service: the
 * corpus's own messages, over N sessions at once, each session sending
 * MAIL, RCPT and DATA pipelined (RFC 2920) and then the message.
 *
 *   lmtp-blast [-s SESSIONS] [-m COUNT] [-u TAG] [-f FROM] [-t TO]
 *              [-o OUT.tsv] [-k EVERY] [-w PID] -l LIST unix:PATH|HOST:PORT
 *
 * LIST has one message a line: PATH<TAB>CLASS<TAB>SIZE, as for driver.c.
 * COUNT messages are sent (default: each of LIST once), message i being
 * LIST's i modulo its length, so a long run replays the corpus.  With -u
 * TAG every message's Message-ID is made unique ("<TAG.i.old-id>"), so
 * that a replay is stored as new mail and not answered as a duplicate.
 * The files are read, put in CRLF form and dot-stuffed once, before the
 * clock starts.
 *
 * Latency is from sending MAIL to the reply after the final dot.  OUT.tsv
 * has per message: index class size latency_us reply_epoch_us code
 * message-id (reply_epoch_us: the wall clock when the reply arrived, for
 * the acknowledgement lag).  The summary goes to standard output as
 * key=value words: sessions n ok tempfail fail wall_s msg_s mean_ms p50_ms
 * p99_ms max_ms.
 *
 * With -k EVERY and -w PID, after every EVERY messages answered it reads
 * VmRSS of PID's children (the workers of `deskmail serve`, or Dovecot's
 * lmtp processes) and prints "rss N=count pid=KiB ..." to standard error. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

struct msg {
	char *class;
	long size;        /* of the file */
	char *head;       /* CRLF, dot-stuffed: up to and including "Message-ID: <" */
	size_t head_len;
	char *rest;       /* the remainder, ending in CRLF */
	size_t rest_len;
	char *mid;        /* the original Message-ID, for the TSV */
};

struct result {
	long latency_us;
	long long reply_epoch_us;
	int code;
};

static struct msg *msgs;
static size_t n_msgs;
static long count;
static const char *tag;
static const char *from = "customer@example.net";
static const char *to = "support@example.org";
static const char *target;
static long every;
static long long stop_at; /* CLOCK_MONOTONIC us; 0: none */
static int watch_pid;
static struct result *results;
static atomic_long next_index;
static atomic_long answered;
static pthread_mutex_t rss_lock = PTHREAD_MUTEX_INITIALIZER;

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

static long long
now_us(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Append to a growing buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("realloc");
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Read PATH, turn it into LMTP's DATA form, and split it after the
 * Message-ID's "<" (a message without one gets one in front). */
static void
load_message(struct msg *m, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path);
	struct buf out = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long split = -1;
	int in_header = 1;
	m->size = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		m->size += n;
		size_t len = (size_t) n;
		if (line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (in_header && len == 0)
			in_header = 0;
		if (in_header && split < 0 && strncasecmp(line, "Message-ID:", 11) == 0) {
			char *lt = memchr(line, '<', len);
			if (lt) {
				split = (long) (out.len + (size_t) (lt + 1 - line));
				char *gt = memchr(lt, '>', len - (size_t) (lt - line));
				m->mid = strndup(lt + 1, gt ? (size_t) (gt - lt - 1) : 0);
			}
		}
		if (len > 0 && line[0] == '.')
			put(&out, ".", 1);
		put(&out, line, len);
		put(&out, "\r\n", 2);
	}
	free(line);
	fclose(f);
	if (split < 0) {
		/* No Message-ID: give it one, so that -u can make it unique. */
		struct buf h = { 0 };
		put(&h, "Message-ID: <", 13);
		m->head = h.p;
		m->head_len = h.len;
		put(&out, "", 0);
		struct buf r = { 0 };
		put(&r, "blast@lmtp-blast>\r\n", 19);
		put(&r, out.p, out.len);
		free(out.p);
		m->rest = r.p;
		m->rest_len = r.len;
		m->mid = strdup("blast@lmtp-blast");
		return;
	}
	m->head = out.p;
	m->head_len = (size_t) split;
	m->rest = out.p + split;
	m->rest_len = out.len - (size_t) split;
}

static void
load_list(const char *list)
{
	FILE *f = fopen(list, "r");
	if (!f)
		die(list);
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		char *path = strtok(line, "\t"), *class = strtok(NULL, "\t");
		if (n_msgs == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			msgs = realloc(msgs, alloc * sizeof *msgs);
		}
		struct msg *m = &msgs[n_msgs++];
		memset(m, 0, sizeof *m);
		m->class = strdup(class ? class : "-");
		load_message(m, path);
	}
	free(line);
	fclose(f);
}

static int
dial(void)
{
	int fd;
	if (strncmp(target, "unix:", 5) == 0) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		snprintf(a.sun_path, sizeof a.sun_path, "%s", target + 5);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *) &a, sizeof a) < 0)
			die(target);
	} else {
		char host[256];
		snprintf(host, sizeof host, "%s", target);
		char *colon = strrchr(host, ':');
		if (!colon)
			die("HOST:PORT");
		*colon = '\0';
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short) atoi(colon + 1)) };
		inet_pton(AF_INET, host, &a.sin_addr);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *) &a, sizeof a) < 0)
			die(target);
	}
	return fd;
}

struct conn {
	int fd;
	char in[8192];
	size_t have;
};

/* One reply (the last line of a multi-line one decides): its code. */
static int
reply(struct conn *c)
{
	for (;;) {
		char *nl;
		while ((nl = memchr(c->in, '\n', c->have)) != NULL) {
			size_t len = (size_t) (nl - c->in) + 1;
			int last = len >= 4 && c->in[3] != '-';
			int code = atoi(c->in);
			memmove(c->in, c->in + len, c->have - len);
			c->have -= len;
			if (last)
				return code;
		}
		if (c->have == sizeof c->in)
			c->have = 0; /* an absurd line: drop it */
		ssize_t n = read(c->fd, c->in + c->have, sizeof c->in - c->have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->have += (size_t) n;
	}
}

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("send");
		p += w;
		n -= (size_t) w;
	}
}

/* VmRSS (KiB) of every child of watch_pid, to standard error. */
static void
print_rss(long done)
{
	pthread_mutex_lock(&rss_lock);
	fprintf(stderr, "rss n=%ld", done);
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		int pid = atoi(e->d_name);
		if (pid <= 0)
			continue;
		char path[64], line[256];
		snprintf(path, sizeof path, "/proc/%d/status", pid);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		int ppid = -1;
		long rss = -1;
		while (fgets(line, sizeof line, f)) {
			if (strncmp(line, "PPid:", 5) == 0)
				ppid = atoi(line + 5);
			else if (strncmp(line, "VmRSS:", 6) == 0)
				rss = atol(line + 6);
		}
		fclose(f);
		if (ppid == watch_pid && rss >= 0)
			fprintf(stderr, " %d=%ld", pid, rss);
	}
	if (d)
		closedir(d);
	fprintf(stderr, "\n");
	pthread_mutex_unlock(&rss_lock);
}

static void *
session(void *arg)
{
	(void) arg;
	struct conn c = { .fd = dial() };
	char cmd[1024];
	if (reply(&c) != 220)
		die("greeting");
	send_all(c.fd, "LHLO lmtp-blast.example\r\n", 25);
	if (reply(&c) != 250)
		die("LHLO");
	int mail_len = snprintf(cmd, sizeof cmd, "MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n", from, to);
	for (;;) {
		long i = atomic_fetch_add(&next_index, 1);
		if (i >= count || (stop_at && now_us(CLOCK_MONOTONIC) >= stop_at))
			break;
		struct msg *m = &msgs[(size_t) i % n_msgs];
		long long t0 = now_us(CLOCK_MONOTONIC);
		send_all(c.fd, cmd, (size_t) mail_len);
		int mail = reply(&c), rcpt = reply(&c), data = reply(&c);
		int code;
		if (mail != 250 || rcpt != 250 || data != 354) {
			/* The DATA of a failed transaction is refused by
			 * the server itself (RFC 2920); reset and go on. */
			code = rcpt != 250 ? rcpt : mail != 250 ? mail : data;
			if (data == 354) {
				send_all(c.fd, ".\r\n", 3);
				reply(&c);
			}
			send_all(c.fd, "RSET\r\n", 6);
			reply(&c);
		} else {
			send_all(c.fd, m->head, m->head_len);
			if (tag) {
				char u[128];
				int n = snprintf(u, sizeof u, "%s.%ld.", tag, i);
				send_all(c.fd, u, (size_t) n);
			}
			send_all(c.fd, m->rest, m->rest_len);
			send_all(c.fd, ".\r\n", 3);
			code = reply(&c);
		}
		if (code < 0)
			die("connection closed");
		results[i].latency_us = (long) (now_us(CLOCK_MONOTONIC) - t0);
		results[i].reply_epoch_us = now_us(CLOCK_REALTIME);
		results[i].code = code;
		long done = atomic_fetch_add(&answered, 1) + 1;
		if (every > 0 && watch_pid > 0 && done % every == 0)
			print_rss(done);
	}
	send_all(c.fd, "QUIT\r\n", 6);
	reply(&c);
	close(c.fd);
	return NULL;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *) a, y = *(const long *) b;
	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int sessions = 1, opt;
	const char *list = NULL, *out = NULL;
	count = -1;
	while ((opt = getopt(argc, argv, "s:m:u:f:t:o:k:w:l:T:")) != -1) {
		switch (opt) {
		case 's': sessions = atoi(optarg); break;
		case 'm': count = atol(optarg); break;
		case 'u': tag = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'o': out = optarg; break;
		case 'k': every = atol(optarg); break;
		case 'w': watch_pid = atoi(optarg); break;
		case 'l': list = optarg; break;
		case 'T': stop_at = atoll(optarg) * 1000000LL; break;
		default:
			fprintf(stderr, "usage: lmtp-blast [-s N] [-m COUNT] [-u TAG] [-f FROM] [-t TO] [-o OUT] "
					"[-k EVERY -w PID] -l LIST unix:PATH|HOST:PORT\n");
			return 64;
		}
	}
	if (!list || optind != argc - 1 || sessions < 1)
		return fprintf(stderr, "lmtp-blast: -l LIST and one target\n"), 64;
	target = argv[optind];
	load_list(list);
	if (n_msgs == 0)
		return fprintf(stderr, "lmtp-blast: empty list\n"), 64;
	if (count < 0)
		count = (long) n_msgs;
	results = calloc((size_t) count, sizeof *results);
	pthread_t *t = calloc((size_t) sessions, sizeof *t);
	long long t0 = now_us(CLOCK_MONOTONIC);
	if (stop_at)
		stop_at += t0;
	for (int i = 0; i < sessions; i++)
		if (pthread_create(&t[i], NULL, session, NULL) != 0)
			die("pthread_create");
	for (int i = 0; i < sessions; i++)
		pthread_join(t[i], NULL);
	double wall = (double) (now_us(CLOCK_MONOTONIC) - t0) / 1e6;

	long ok = 0, temp = 0, fail = 0;
	double sum = 0;
	long *lat = malloc((size_t) count * sizeof *lat);
	FILE *tsv = out ? fopen(out, "w") : NULL;
	if (out && !tsv)
		die(out);
	long sent = 0;
	for (long i = 0; i < count; i++) {
		struct result *r = &results[i];
		struct msg *m = &msgs[(size_t) i % n_msgs];
		if (r->code == 0)
			continue; /* not sent: -T passed */
		lat[sent++] = r->latency_us;
		sum += (double) r->latency_us;
		if (r->code / 100 == 2)
			ok++;
		else if (r->code / 100 == 4)
			temp++;
		else
			fail++;
		if (tsv) {
			fprintf(tsv, "%ld\t%s\t%ld\t%ld\t%lld\t%d\t", i, m->class, m->size, r->latency_us,
				r->reply_epoch_us, r->code);
			if (tag)
				fprintf(tsv, "%s.%ld.", tag, i);
			fprintf(tsv, "%s\n", m->mid ? m->mid : "");
		}
	}
	if (tsv)
		fclose(tsv);
	if (sent == 0)
		return fprintf(stderr, "lmtp-blast: nothing sent\n"), 1;
	count = sent;
	qsort(lat, (size_t) count, sizeof *lat, cmp_long);
	long p50 = lat[(size_t) ((count - 1) * 50 / 100)], p99 = lat[(size_t) ((count - 1) * 99 / 100)];
	printf("sessions=%d n=%ld ok=%ld tempfail=%ld fail=%ld wall_s=%.2f msg_s=%.2f mean_ms=%.2f p50_ms=%.2f "
	       "p99_ms=%.2f max_ms=%.2f\n",
	       sessions, count, ok, temp, fail, wall, (double) count / wall, sum / (double) count / 1000.0,
	       (double) p50 / 1000.0, (double) p99 / 1000.0, (double) lat[count - 1] / 1000.0);
	return fail || temp ? 1 : 0;
}
