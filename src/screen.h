/* screen.h - the screen stage: is this mail automatic, a bounce, a loop?
 * and may it be answered?  Pure: headers and addresses only (RFC 3834,
 * and everything Dovecot's vacation extension refuses to answer). */
#ifndef DM_SCREEN_H
#define DM_SCREEN_H

#include <glib.h>

#include "message.h"

/* The header deskmail puts on every mail it sends; seeing it come back
 * means a loop. */
#define DM_LOOP_HEADER "X-Deskmail-Loop"

struct dm_screen_config {
	const char *const *own_addresses; /* normalised, NULL-terminated */
	char reply_separator;             /* '+' : local+key@domain are ours too */
	const char *loop_value;           /* our X-Deskmail-Loop value (the hostname) */
};

struct dm_screen {
	/* Sent by a machine (auto-reply, list, bounce...): it never reopens
	 * or changes a ticket. */
	gboolean automatic;
	/* A delivery status report or other bounce. */
	gboolean bounce;
	/* Carries our loop marker with our own value, or an X-Loop header
	 * naming one of our addresses: one of our mails came back.  (Any
	 * deskmail marker makes the mail automatic.) */
	gboolean loop;
	/* Why no acknowledgement may be sent ("auto-submitted", "list",
	 * ...), or NULL when the headers allow one.  Static string. */
	const char *no_ack_reason;
};

/* Screen MSG (borrowed).  ENVELOPE_FROM is the envelope sender given by
 * the MTA ("" for the null sender <>), or NULL when unknown (then
 * Return-Path is used when present). */
void dm_screen_message(const struct dm_message *msg, const char *envelope_from,
		       const struct dm_screen_config *cfg, struct dm_screen *out);

/* TRUE when ADDR (normalised) is one of ours, including plus-addressed
 * variants LOCAL+ANYTHING@DOMAIN of an own address. */
gboolean dm_screen_is_own_address(const struct dm_screen_config *cfg, const char *addr);

/* TRUE for local parts of senders no human reads: mailer-daemon,
 * noreply/no-reply/donotreply and the like, *-request,
 * owner-*, listserv, majordomo, bounce(s).  Not postmaster: a person
 * reads and writes as postmaster (RFC 5230 4.6). */
gboolean dm_screen_is_robot_address(const char *addr);

/* TRUE when the topmost Authentication-Results header with AUTHSERV_ID
 * (the one the site's own MTA added; copies that came from outside sit
 * below it) reports dkim=pass for DOMAIN (header.d) or dmarc=pass for
 * DOMAIN (header.from). */
gboolean dm_screen_authenticated(const struct dm_message *msg, const char *authserv_id, const char *domain);

#endif
