/* deskmail-deliver.c - the pipe transports' client: hands one message on
 * stdin to the resident `deskmail serve` over LMTP, and falls back to the
 * in-process `deskmail deliver` when the service is not there.  Linked
 * with libc only, so starting it costs about what `cat` costs.
 *
 * Usage:
 *   deskmail-deliver [--socket PATH] [--recipient ADDR] [--sender ADDR]
 *                    [--config FILE] [--no-fallback] [--deskmail PATH]
 *                    [--timeout SECONDS] [--help]
 *
 *   --socket PATH      the service's LMTP socket (default DM_LMTP_SOCKET,
 *                      /run/deskmail/lmtp unless set at build time)
 *   -r, --recipient    the envelope recipient (Postfix: ${original_recipient});
 *                      required to use the socket: LMTP needs one, so
 *                      without it the message goes to the fallback, which
 *                      reads Delivered-To/X-Original-To as deliver does
 *   -f, --sender       the envelope sender (Postfix: ${sender}); default <>
 *   -c, --config FILE  passed to the fallback only (the service has its own)
 *   --no-fallback      exit 75 instead of running `deskmail deliver`
 *   --deskmail PATH    the deskmail program of the fallback (default
 *                      DM_DESKMAIL_PATH, configure's bindir/deskmail)
 *   --timeout SECONDS  the whole conversation's deadline (default
 *                      DM_CLIENT_TIMEOUT, 900: below Postfix's
 *                      command_time_limit of 1000 s)
 *
 * Exit status, as `deskmail deliver`'s (sysexits.h): the one reply for the
 * recipient decides: 2xx -> 0; 4xx -> 75; 550 5.1.1 (unknown recipient)
 * -> 67; any other 5xx -> 65.  A dropped connection, a reply that is not
 * LMTP, or the deadline -> 75.  For a non-zero exit one line goes to
 * stderr: the reply's enhanced code and text ("4.3.0 deskmail: database
 * unavailable"), or "4.3.0 deskmail-deliver: <reason>".  A bad argument
 * (an address with a control character, "<" or ">", an unknown option)
 * exits 75 too: a broken deployment must defer mail, never bounce it.
 *
 * Fallback: when connecting to the socket fails (absent, refused, no
 * permission, ...), or the service closes or answers other than 220
 * before the greeting, nothing of stdin has been read yet, so the client
 * execs `DESKMAIL [--config FILE] deliver [--recipient R] [--sender S]`
 * with the same stdin: a stopped service never delays mail.
 *
 * The message is streamed (never read whole into memory): LF line ends
 * become CRLF and lines starting with "." are dot-stuffed.  The service
 * turns CRLF back into LF, so a message with CRLF line ends arrives as
 * it was (CR CR LF on the wire), and one without a final line end gets
 * one. */
#include "dm-autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef DM_LMTP_SOCKET
#define DM_LMTP_SOCKET "/run/deskmail/lmtp"
#endif
#ifndef DM_DESKMAIL_PATH
#define DM_DESKMAIL_PATH "/usr/local/bin/deskmail"
#endif
#ifndef DM_CLIENT_TIMEOUT
#define DM_CLIENT_TIMEOUT 900
#endif

#define EXIT_OK 0
#define EXIT_DATAERR 65
#define EXIT_NOUSER 67
#define EXIT_TEMPFAIL 75

/* The longest address accepted (RFC 5321 path) and reply line read. */
#define MAX_ADDRESS 256
#define MAX_REPLY_LINE 1024

struct options {
	const char *socket_path;
	const char *recipient;
	const char *sender;
	const char *config;
	const char *deskmail;
	int fallback;
	long timeout;
};

/* The connection: a socket, its deadline and a read buffer. */
struct conn {
	int fd;
	struct timespec deadline;
	char in[4096];
	size_t in_len;
	char out[65536];
	size_t out_len;
};

/* A reply: its code and the text of its last line ("4.3.0 ..."). */
struct reply {
	int code;
	char text[MAX_REPLY_LINE];
};

static int
fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs(status == EXIT_TEMPFAIL ? "4.3.0 deskmail-deliver: " : "5.0.0 deskmail-deliver: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: deskmail-deliver [OPTIONS] < MESSAGE\n"
		"Hand one message to the deskmail LMTP service; without the service, run\n"
		"`deskmail deliver` in its place.\n\n"
		"  --socket PATH        LMTP socket (default %s)\n"
		"  -r, --recipient ADDR envelope recipient (required for the service; without\n"
		"                       it the message goes to `deskmail deliver`)\n"
		"  -f, --sender ADDR    envelope sender (default <>)\n"
		"  -c, --config FILE    configuration for the fallback `deskmail deliver`\n"
		"  --no-fallback        exit 75 when the service is not there\n"
		"  --deskmail PATH      program of the fallback (default %s)\n"
		"  --timeout SECONDS    deadline of the whole delivery (default %d)\n"
		"  -h, --help           this help\n\n"
		"Exit: 0 delivered; 75 try again later; 65 never deliverable; 67 unknown\n"
		"recipient.  One line on stderr says why for a non-zero exit.\n",
		DM_LMTP_SOCKET, DM_DESKMAIL_PATH, DM_CLIENT_TIMEOUT);
}

/* An address is safe in "MAIL FROM:<...>" when it has no control
 * character, no "<" or ">" and is not too long. */
static int
address_is_safe(const char *a)
{
	size_t n = strlen(a);

	if (n > MAX_ADDRESS)
		return 0;
	for (const unsigned char *p = (const unsigned char *) a; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return 0;
	return 1;
}

/* ---- I/O with a deadline */

static int
ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long) (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int) ms;
}

/* Wait until FD is ready for EVENTS: 1, or 0 on the deadline, -1 on error. */
static int
wait_fd(int fd, short events, const struct timespec *deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int left = ms_left(deadline);
		int r;

		if (left == 0)
			return 0;
		r = poll(&p, 1, left);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

typedef enum { IO_OK, IO_TIMEOUT, IO_CLOSED, IO_ERROR } IoStatus;

static IoStatus
conn_flush(struct conn *c)
{
	size_t done = 0;

	while (done < c->out_len) {
		ssize_t n;
		int w = wait_fd(c->fd, POLLOUT, &c->deadline);

		if (w <= 0)
			return w == 0 ? IO_TIMEOUT : IO_ERROR;
		n = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return errno == EPIPE || errno == ECONNRESET ? IO_CLOSED : IO_ERROR;
		}
		done += (size_t) n;
	}
	c->out_len = 0;
	return IO_OK;
}

static IoStatus
conn_put(struct conn *c, const char *data, size_t len)
{
	while (len > 0) {
		size_t n = sizeof(c->out) - c->out_len;
		IoStatus st;

		if (n > len)
			n = len;
		memcpy(c->out + c->out_len, data, n);
		c->out_len += n;
		data += n;
		len -= n;
		if (c->out_len == sizeof(c->out) && (st = conn_flush(c)) != IO_OK)
			return st;
	}
	return IO_OK;
}

static IoStatus
conn_command(struct conn *c, const char *a, const char *b, const char *d)
{
	IoStatus st;

	if ((st = conn_put(c, a, strlen(a))) != IO_OK || (b && (st = conn_put(c, b, strlen(b))) != IO_OK) ||
	    (d && (st = conn_put(c, d, strlen(d))) != IO_OK))
		return st;
	return conn_flush(c);
}

/* Read one line (without CRLF) into LINE (SIZE bytes, clipped). */
static IoStatus
conn_line(struct conn *c, char *line, size_t size)
{
	size_t len = 0;

	for (;;) {
		char *nl = memchr(c->in, '\n', c->in_len);
		size_t take = nl ? (size_t) (nl - c->in) : c->in_len;
		ssize_t n;
		int w;

		for (size_t i = 0; i < take && len + 1 < size; i++)
			line[len++] = c->in[i];
		if (nl != NULL) {
			take++;
			memmove(c->in, c->in + take, c->in_len - take);
			c->in_len -= take;
			if (len > 0 && line[len - 1] == '\r')
				len--;
			line[len] = '\0';
			return IO_OK;
		}
		c->in_len = 0;
		w = wait_fd(c->fd, POLLIN, &c->deadline);
		if (w <= 0)
			return w == 0 ? IO_TIMEOUT : IO_ERROR;
		n = recv(c->fd, c->in, sizeof(c->in), 0);
		if (n == 0)
			return IO_CLOSED;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return errno == ECONNRESET ? IO_CLOSED : IO_ERROR;
		}
		c->in_len = (size_t) n;
	}
}

/* Read one reply, multi-line ones to their last line.  A line that is
 * not "DDD" and " " or "-" is a protocol error (IO_ERROR). */
static IoStatus
conn_reply(struct conn *c, struct reply *r)
{
	char line[MAX_REPLY_LINE];

	for (;;) {
		IoStatus st = conn_line(c, line, sizeof(line));
		unsigned char *p;

		if (st != IO_OK)
			return st;
		if (strlen(line) < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
		    line[2] < '0' || line[2] > '9' || (line[3] != '\0' && line[3] != ' ' && line[3] != '-')) {
			errno = 0;
			return IO_ERROR;
		}
		if (line[3] == '-')
			continue;
		r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		snprintf(r->text, sizeof(r->text), "%s", line[3] ? line + 4 : "");
		/* The text goes to stderr, where the MTA quotes it: printable only. */
		for (p = (unsigned char *) r->text; *p != '\0'; p++)
			if (*p < 0x20 || *p >= 0x7f)
				*p = '?';
		return IO_OK;
	}
}

static int
io_fail(IoStatus st, const char *when)
{
	switch (st) {
	case IO_TIMEOUT:
		return fail(EXIT_TEMPFAIL, "timeout %s", when);
	case IO_CLOSED:
		return fail(EXIT_TEMPFAIL, "connection closed by the service %s", when);
	case IO_ERROR:
	default:
		return fail(EXIT_TEMPFAIL, "LMTP error %s: %s", when, errno ? strerror(errno) : "bad reply");
	}
}

/* The exit status for the final answer R about the recipient, with its
 * one line on stderr when it is not success. */
static int
reply_status(const struct reply *r)
{
	int status;

	if (r->code / 100 == 2)
		return EXIT_OK;
	if (r->code / 100 == 4)
		status = EXIT_TEMPFAIL;
	else if (r->code == 550 && strncmp(r->text, "5.1.1", 5) == 0 &&
		 (r->text[5] == ' ' || r->text[5] == '\0'))
		status = EXIT_NOUSER;
	else if (r->code / 100 == 5)
		status = EXIT_DATAERR;
	else
		return fail(EXIT_TEMPFAIL, "unexpected reply %d %s", r->code, r->text);
	fprintf(stderr, "%s\n", r->text[0] ? r->text : (status == EXIT_TEMPFAIL ? "4.0.0" : "5.0.0"));
	return status;
}

/* ---- the fallback */

static int
run_fallback(const struct options *o)
{
	const char *argv[10];
	int n = 0;

	if (!o->fallback)
		return fail(EXIT_TEMPFAIL, "the LMTP service at %s is not available", o->socket_path);
	argv[n++] = o->deskmail;
	if (o->config) {
		argv[n++] = "--config";
		argv[n++] = o->config;
	}
	argv[n++] = "deliver";
	if (o->recipient) {
		argv[n++] = "--recipient";
		argv[n++] = o->recipient;
	}
	if (o->sender) {
		argv[n++] = "--sender";
		argv[n++] = o->sender;
	}
	argv[n] = NULL;
	execv(o->deskmail, (char *const *) argv);
	return fail(EXIT_TEMPFAIL, "cannot run %s: %s", o->deskmail, strerror(errno));
}

/* ---- the conversation */

/* Stream stdin as dot-stuffed CRLF data, then the final ".". */
static int
send_message(struct conn *c)
{
	char buf[65536];
	int at_line_start = 1;
	IoStatus st;

	for (;;) {
		ssize_t n;
		size_t start = 0;
		int w = wait_fd(0, POLLIN, &c->deadline);

		if (w == 0)
			return fail(EXIT_TEMPFAIL, "timeout reading the message");
		n = read(0, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return fail(EXIT_TEMPFAIL, "cannot read the message: %s", strerror(errno));
		}
		if (n == 0)
			break;
		for (size_t i = 0; i < (size_t) n; i++) {
			if (at_line_start && buf[i] == '.') {
				if ((st = conn_put(c, buf + start, i - start)) != IO_OK ||
				    (st = conn_put(c, ".", 1)) != IO_OK)
					return io_fail(st, "sending the message");
				start = i;
			}
			at_line_start = 0;
			if (buf[i] == '\n') {
				if ((st = conn_put(c, buf + start, i - start)) != IO_OK ||
				    (st = conn_put(c, "\r\n", 2)) != IO_OK)
					return io_fail(st, "sending the message");
				start = i + 1;
				at_line_start = 1;
			}
		}
		if ((st = conn_put(c, buf + start, (size_t) n - start)) != IO_OK)
			return io_fail(st, "sending the message");
	}
	if (!at_line_start && (st = conn_put(c, "\r\n", 2)) != IO_OK)
		return io_fail(st, "sending the message");
	if ((st = conn_command(c, ".\r\n", NULL, NULL)) != IO_OK)
		return io_fail(st, "sending the message");
	return -1;
}

static int
converse(struct conn *c, const struct options *o)
{
	struct reply r;
	IoStatus st;
	int status;
	char host[256];

	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0' || !address_is_safe(host))
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if ((st = conn_command(c, "LHLO ", host, "\r\n")) != IO_OK || (st = conn_reply(c, &r)) != IO_OK)
		return io_fail(st, "after LHLO");
	if (r.code != 250)
		return fail(EXIT_TEMPFAIL, "LHLO refused: %d %s", r.code, r.text);

	if ((st = conn_command(c, "MAIL FROM:<", o->sender ? o->sender : "", ">\r\n")) != IO_OK ||
	    (st = conn_reply(c, &r)) != IO_OK)
		return io_fail(st, "after MAIL");
	if (r.code / 100 != 2)
		return reply_status(&r);

	if ((st = conn_command(c, "RCPT TO:<", o->recipient, ">\r\n")) != IO_OK ||
	    (st = conn_reply(c, &r)) != IO_OK)
		return io_fail(st, "after RCPT");
	if (r.code / 100 != 2)
		return reply_status(&r);

	if ((st = conn_command(c, "DATA\r\n", NULL, NULL)) != IO_OK || (st = conn_reply(c, &r)) != IO_OK)
		return io_fail(st, "after DATA");
	if (r.code != 354)
		return r.code / 100 == 2 ? fail(EXIT_TEMPFAIL, "unexpected reply to DATA") : reply_status(&r);

	if ((status = send_message(c)) >= 0)
		return status;
	/* LMTP: one reply per recipient after the final dot; there is one. */
	if ((st = conn_reply(c, &r)) != IO_OK)
		return io_fail(st, "after the message");
	status = reply_status(&r);
	/* Say goodbye, but the answer is already known: no waiting for 221. */
	if (conn_command(c, "QUIT\r\n", NULL, NULL) == IO_OK)
		(void) conn_reply(c, &r);
	return status;
}

/* Connect to the service and read its greeting: 1 connected, 0 not
 * there (fall back), or an exit status (> 1) for a failure after which
 * no fallback is right. */
static int
service_connect(struct conn *c, const struct options *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct reply r;
	IoStatus st;

	if (strlen(o->socket_path) >= sizeof(sa.sun_path))
		return 0;
	memcpy(sa.sun_path, o->socket_path, strlen(o->socket_path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return 0;
	/* A Unix socket connects at once or not at all (EAGAIN: the backlog
	 * is full, the service is swamped): either way nothing is read yet. */
	if (connect(c->fd, (struct sockaddr *) &sa, sizeof(sa)) != 0)
		return 0;
	st = conn_reply(c, &r);
	if (st == IO_TIMEOUT)
		return io_fail(st, "waiting for the greeting");
	if (st != IO_OK || r.code != 220)
		return 0;
	return 1;
}

/* The option table's mark for --timeout, which is not a string. */
#define TIMEOUT_OPTION ((size_t) -1)

static int
parse_args(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **target = NULL;
		const char *value = NULL;
		const char *eq = NULL;
		static const struct {
			const char *name;
			char short_name;
			size_t offset;
		} opts[] = {
			{ "socket", 0, offsetof(struct options, socket_path) },
			{ "recipient", 'r', offsetof(struct options, recipient) },
			{ "sender", 'f', offsetof(struct options, sender) },
			{ "config", 'c', offsetof(struct options, config) },
			{ "deskmail", 0, offsetof(struct options, deskmail) },
			{ "timeout", 0, TIMEOUT_OPTION },
		};
		int is_timeout = 0;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(EXIT_OK);
		}
		if (strcmp(a, "--no-fallback") == 0) {
			o->fallback = 0;
			continue;
		}
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]) && target == NULL && !is_timeout; k++) {
			size_t n = strlen(opts[k].name);

			if (a[0] == '-' && a[1] == '-' && strncmp(a + 2, opts[k].name, n) == 0 &&
			    (a[2 + n] == '\0' || a[2 + n] == '=')) {
				eq = a[2 + n] == '=' ? a + 3 + n : NULL;
			} else if (opts[k].short_name && a[0] == '-' && a[1] == opts[k].short_name && a[2] == '\0') {
				eq = NULL;
			} else {
				continue;
			}
			if (opts[k].offset == TIMEOUT_OPTION)
				is_timeout = 1;
			else
				target = (const char **) ((char *) o + opts[k].offset);
		}
		if (target == NULL && !is_timeout)
			return fail(EXIT_TEMPFAIL, "unknown argument '%s' (see --help)", a);
		if (eq != NULL)
			value = eq;
		else if (i + 1 < argc)
			value = argv[++i];
		else
			return fail(EXIT_TEMPFAIL, "%s needs a value", a);
		if (is_timeout) {
			char *end;
			long t = strtol(value, &end, 10);

			if (*value == '\0' || *end != '\0' || t <= 0 || t > 86400)
				return fail(EXIT_TEMPFAIL, "bad --timeout '%s'", value);
			o->timeout = t;
		} else {
			*target = value;
		}
	}
	if (o->recipient && (!address_is_safe(o->recipient) || o->recipient[0] == '\0'))
		return fail(EXIT_TEMPFAIL, "unsafe or empty --recipient address");
	if (o->sender && !address_is_safe(o->sender))
		return fail(EXIT_TEMPFAIL, "unsafe --sender address");
	return -1;
}

int
main(int argc, char **argv)
{
	struct options o = {
		.socket_path = DM_LMTP_SOCKET,
		.deskmail = DM_DESKMAIL_PATH,
		.fallback = 1,
		.timeout = DM_CLIENT_TIMEOUT,
	};
	struct conn *c;
	int status;

	if ((status = parse_args(argc, argv, &o)) >= 0)
		return status;
	/* Without a recipient LMTP has nothing to say: deliver reads it
	 * from the headers. */
	if (o.recipient == NULL)
		return run_fallback(&o);

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return fail(EXIT_TEMPFAIL, "out of memory");
	c->fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += o.timeout;
	signal(SIGPIPE, SIG_IGN);

	status = service_connect(c, &o);
	if (status == 0) {
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return run_fallback(&o);
	}
	if (status == 1)
		status = converse(c, &o);
	close(c->fd);
	free(c);
	return status;
}
