/* listen.h - the sockets `deskmail serve` listens on, and who may use
 * them: from systemd socket activation, or opened from `[server] listen`
 * ("unix:/run/deskmail/lmtp" or "127.0.0.1:2424", loopback only: LMTP
 * has no authentication). */
#ifndef DM_LISTEN_H
#define DM_LISTEN_H

#include <glib.h>

/* The sockets systemd passed (LISTEN_PID is this process, LISTEN_FDS
 * of them from fd 3), set close-on-exec, appended to FDS (int).  FALSE
 * when there are none.  Unsets the variables so no child sees them. */
gboolean dm_listen_from_systemd(GArray *fds);

/* Open SPEC and append the listening socket to FDS.  A Unix socket gets
 * MODE (octal text such as "0660"); a stale socket file nobody answers on
 * is replaced, a live one is an error (another service runs).  On
 * failure sets ERROR to one line naming SPEC. */
gboolean dm_listen_open(const char *spec, const char *mode, GArray *fds, GError **error);

/* Close the sockets of FDS and remove the socket file SPEC opened, if
 * any (not systemd's). */
void dm_listen_close(GArray *fds, const char *spec);

/* May the peer of the connected socket FD deliver?  With ALLOWED (user
 * names, NULL or empty: anyone who can reach the socket) the peer's uid
 * (SO_PEERCRED, Unix sockets only) must be one of them or root's or our
 * own.  *WHO (caller frees) names the peer for the log. */
gboolean dm_listen_peer_allowed(int fd, char **allowed, char **who);

#endif
