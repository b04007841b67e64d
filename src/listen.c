/* listen.c - listening sockets for `deskmail serve` and the peer check.
 * No library: systemd's protocol is two environment variables and fds
 * from 3 (sd_listen_fds(3)). */
/* SO_PEERCRED, accept4, pipe2 and MSG_CMSG_CLOEXEC are GNU. */
#define _GNU_SOURCE 1
#include "dm-autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "listen.h"

#define SD_LISTEN_FDS_START 3

gboolean
dm_listen_from_systemd(GArray *fds)
{
	const char *pid = g_getenv("LISTEN_PID"), *n = g_getenv("LISTEN_FDS");
	gboolean ours = pid && n && g_ascii_strtoll(pid, NULL, 10) == (gint64) getpid();
	gint64 count = ours ? g_ascii_strtoll(n, NULL, 10) : 0;
	g_unsetenv("LISTEN_PID");
	g_unsetenv("LISTEN_FDS");
	g_unsetenv("LISTEN_FDNAMES");
	for (gint64 i = 0; i < count && i < 64; i++) {
		int fd = SD_LISTEN_FDS_START + (int) i;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		g_array_append_val(fds, fd);
	}
	return count > 0;
}

static gboolean
open_unix(const char *path, const char *mode, GArray *fds, GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		g_set_error(error, DM_CONFIG_ERROR, 0, "listen unix:%s: path too long", path);
		return FALSE;
	}
	strcpy(sa.sun_path, path);
	char *end = NULL;
	guint64 m = g_ascii_strtoull(mode, &end, 8);
	if (end == mode || *end || m > 07777) {
		g_set_error(error, DM_CONFIG_ERROR, 0, "socket_mode '%s' is not an octal mode", mode);
		return FALSE;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	int rc = bind(fd, (struct sockaddr *) &sa, sizeof sa);
	if (rc < 0 && errno == EADDRINUSE) {
		/* A socket file left by a service that died: replace it, but
		 * never one that still answers. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		gboolean live = probe >= 0 && connect(probe, (struct sockaddr *) &sa, sizeof sa) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			close(fd);
			g_set_error(error, DM_CONFIG_ERROR, 0, "listen unix:%s: another service answers there", path);
			return FALSE;
		}
		unlink(path);
		rc = bind(fd, (struct sockaddr *) &sa, sizeof sa);
	}
	if (rc < 0)
		goto fail;
	if (chmod(path, (mode_t) m) < 0 || listen(fd, 128) < 0)
		goto fail;
	g_array_append_val(fds, fd);
	return TRUE;
fail:
	g_set_error(error, DM_CONFIG_ERROR, 0, "listen unix:%s: %s", path, g_strerror(errno));
	if (fd >= 0)
		close(fd);
	return FALSE;
}

static gboolean
loopback(const struct addrinfo *ai)
{
	if (ai->ai_family == AF_INET)
		return (ntohl(((struct sockaddr_in *) ai->ai_addr)->sin_addr.s_addr) >> 24) == 127;
	if (ai->ai_family == AF_INET6)
		return memcmp(&((struct sockaddr_in6 *) ai->ai_addr)->sin6_addr, &in6addr_loopback,
			      sizeof in6addr_loopback) == 0;
	return FALSE;
}

static gboolean
open_tcp(const char *spec, GArray *fds, GError **error)
{
	const char *colon = strrchr(spec, ':');
	if (colon == NULL || colon == spec || colon[1] == '\0') {
		g_set_error(error, DM_CONFIG_ERROR, 0, "listen %s: want unix:PATH or HOST:PORT", spec);
		return FALSE;
	}
	g_autofree char *host = g_strndup(spec, (gsize) (colon - spec));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res = NULL;
	int rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		g_set_error(error, DM_CONFIG_ERROR, 0, "listen %s: %s", spec, gai_strerror(rc));
		return FALSE;
	}
	gboolean ok = FALSE;
	if (!loopback(res)) {
		g_set_error(error, DM_CONFIG_ERROR, 0, "listen %s: only loopback addresses (LMTP has no authentication)",
			    spec);
	} else {
		int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
		if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
		    bind(fd, res->ai_addr, res->ai_addrlen) == 0 && listen(fd, 128) == 0) {
			g_array_append_val(fds, fd);
			ok = TRUE;
		} else {
			g_set_error(error, DM_CONFIG_ERROR, 0, "listen %s: %s", spec, g_strerror(errno));
			if (fd >= 0)
				close(fd);
		}
	}
	freeaddrinfo(res);
	return ok;
}

gboolean
dm_listen_open(const char *spec, const char *mode, GArray *fds, GError **error)
{
	if (g_str_has_prefix(spec, "unix:"))
		return open_unix(spec + 5, mode, fds, error);
	return open_tcp(spec, fds, error);
}

void
dm_listen_close(GArray *fds, const char *spec)
{
	for (guint i = 0; i < fds->len; i++)
		close(g_array_index(fds, int, i));
	g_array_set_size(fds, 0);
	if (spec && g_str_has_prefix(spec, "unix:"))
		unlink(spec + 5);
}

gboolean
dm_listen_peer_allowed(int fd, char **allowed, char **who)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof cred) {
		/* TCP on loopback: no credentials to check. */
		*who = g_strdup("tcp");
		return allowed == NULL || allowed[0] == NULL;
	}
	struct passwd *pw = getpwuid(cred.uid);
	*who = pw ? g_strdup_printf("%s(uid %u pid %d)", pw->pw_name, (unsigned) cred.uid, (int) cred.pid)
		  : g_strdup_printf("uid %u pid %d", (unsigned) cred.uid, (int) cred.pid);
	if (allowed == NULL || allowed[0] == NULL || cred.uid == 0 || cred.uid == getuid())
		return TRUE;
	for (char **u = allowed; *u; u++)
		if (pw && strcmp(*u, pw->pw_name) == 0)
			return TRUE;
	return FALSE;
}
