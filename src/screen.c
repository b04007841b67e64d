/* screen.c - decide from the headers whether a mail was sent by a
 * machine and whether answering it could start a mail loop.
 *
 * The checklist is RFC 3834 plus what Dovecot's Pigeonhole vacation
 * refuses to answer (cmd-vacation.c): null return path, our own address,
 * List-*, Auto-Submitted other than "no", Precedence bulk/list/junk,
 * X-Auto-Response-Suppress All/OOF, and robot senders.  Database-backed
 * reasons (rate limit, addresses marked failing, follow-ups) are decided
 * in the store stage. */
#include "dm-autoconf.h"

#include <string.h>

#include "screen.h"

gboolean
dm_screen_is_own_address(const struct dm_screen_config *cfg, const char *addr)
{
	if (addr == NULL || *addr == '\0' || cfg->own_addresses == NULL)
		return FALSE;
	const char *at = strrchr(addr, '@');
	for (const char *const *own = cfg->own_addresses; *own; own++) {
		if (g_ascii_strcasecmp(addr, *own) == 0)
			return TRUE;
		/* LOCAL+KEY@DOMAIN of an own LOCAL@DOMAIN. */
		const char *own_at = strrchr(*own, '@');
		if (at == NULL || own_at == NULL || cfg->reply_separator == '\0')
			continue;
		gsize local_len = (gsize) (own_at - *own);
		if ((gsize) (at - addr) > local_len && g_ascii_strncasecmp(addr, *own, local_len) == 0 &&
		    addr[local_len] == cfg->reply_separator && g_ascii_strcasecmp(at, own_at) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean
dm_screen_is_robot_address(const char *addr)
{
	static const char *const exact[] = {
		"mailer-daemon", "listserv", "majordomo", "mailman", "bounce",
		"bounces", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
		"do_not_reply", "nereply", "nevastaa", "nemvalaszolj", "ne-odgovarjaj", NULL
	};
	if (addr == NULL)
		return FALSE;
	const char *at = strrchr(addr, '@');
	g_autofree char *local = g_ascii_strdown(addr, at ? at - addr : -1);
	for (const char *const *e = exact; *e; e++)
		if (strcmp(local, *e) == 0)
			return TRUE;
	return g_str_has_suffix(local, "-request") || g_str_has_prefix(local, "owner-") ||
	       g_str_has_prefix(local, "bounce-") || g_str_has_prefix(local, "bounces+") ||
	       g_str_has_prefix(local, "noreply") || g_str_has_prefix(local, "no-reply") ||
	       g_str_has_prefix(local, "donotreply") || g_str_has_prefix(local, "mailer-daemon");
}

static gboolean
header_word_in(const char *value, const char *const *words)
{
	if (value == NULL)
		return FALSE;
	g_autofree char *v = g_ascii_strdown(value, -1);
	g_auto(GStrv) parts = g_strsplit_set(v, ", \t;", -1);
	for (char **p = parts; *p; p++)
		for (const char *const *w = words; *w; w++)
			if (strcmp(*p, *w) == 0)
				return TRUE;
	return FALSE;
}

/* The report-type parameter of a multipart/report Content-Type CT, lower
 * case, or NULL when CT is not a report.  Caller frees with g_free. */
static char *
report_type(const char *ct)
{
	if (ct == NULL)
		return NULL;
	g_autofree char *v = g_ascii_strdown(ct, -1);
	g_strstrip(v);
	if (!g_str_has_prefix(v, "multipart/report"))
		return NULL;
	for (char *p = strstr(v, "report-type"); p; p = strstr(p + 1, "report-type")) {
		if (p[-1] != ';' && !g_ascii_isspace(p[-1]))
			continue;
		char *q = p + strlen("report-type");
		while (g_ascii_isspace(*q))
			q++;
		if (*q++ != '=')
			continue;
		while (g_ascii_isspace(*q) || *q == '"')
			q++;
		return g_strndup(q, strcspn(q, " \t;\""));
	}
	return NULL;
}

/* TRUE when MSG has a part of type TYPE ("message/disposition-notification"). */
static gboolean
has_part(const struct dm_message *msg, const char *type)
{
	for (guint i = 0; i < msg->attachments->len; i++) {
		const struct dm_attachment *a = msg->attachments->pdata[i];
		if (g_ascii_strcasecmp(a->content_type, type) == 0)
			return TRUE;
	}
	return FALSE;
}

/* TRUE when an X-Loop header of MSG names one of our addresses.  procmail,
 * SmartList, mailing list managers and many autoresponders add
 * "X-Loop: their-address" to what they send and drop mail that already
 * carries it; a desk address in it means our mail went round a forwarder
 * and came back. */
static gboolean
x_loop_names_us(const struct dm_message *msg, const struct dm_screen_config *cfg)
{
	for (guint i = 0; i < msg->headers->len; i++) {
		const struct dm_header *h = msg->headers->pdata[i];
		if (g_ascii_strcasecmp(h->name, "X-Loop") != 0)
			continue;
		g_auto(GStrv) items = g_strsplit(h->value, ",", 16);
		for (char **it = items; *it; it++) {
			/* "Name <addr>" or a bare address, maybe with a comment. */
			const char *lt = strchr(*it, '<');
			const char *gt = lt ? strchr(lt, '>') : NULL;
			g_autofree char *raw = lt && gt ? g_strndup(lt + 1, (gsize) (gt - lt - 1))
						     : g_strndup(*it, strcspn(*it, " \t("));
			g_autofree char *addr = dm_address_normalise(g_strstrip(raw));
			if (dm_screen_is_own_address(cfg, addr))
				return TRUE;
		}
	}
	return FALSE;
}

/* Why MSG, with RETURN_PATH (normalised, or NULL), is a machine's mail
 * (a loop, a bounce, Auto-Submitted, Precedence, a list, an auto-reply
 * header, the null sender), or NULL.  Sets OUT's loop and bounce. */
static const char *
machine_reason(const struct dm_message *msg, const char *return_path,
	       const struct dm_screen_config *cfg, struct dm_screen *out)
{
	static const char *const precedence[] = { "bulk", "list", "junk", NULL };
	const char *reason = NULL;

	/* Any deskmail's marker: ours come back, or another desk's automatic
	 * mail.  Either way answering could start a loop. */
	const char *loop = dm_message_header(msg, DM_LOOP_HEADER);
	if (loop) {
		g_autofree char *v = g_strstrip(g_strdup(loop));
		out->loop = cfg->loop_value && g_ascii_strcasecmp(v, cfg->loop_value) == 0;
		reason = "loop";
	}
	if (x_loop_names_us(msg, cfg)) {
		out->loop = TRUE;
		reason = "loop";
	}

	if (msg->is_dsn) {
		out->bounce = TRUE;
		reason = reason ? reason : "bounce";
	} else {
		const char *ct = dm_message_header(msg, "Content-Type");
		if (ct && g_strstr_len(ct, -1, "report-type") && g_strrstr(ct, "delivery-status")) {
			out->bounce = TRUE;
			reason = reason ? reason : "bounce";
		}
	}

	/* Abuse and feedback reports (RFC 5965) and read receipts (RFC 8098)
	 * are written by machines and must never be answered; a receipt is
	 * recognised by its report type or by its disposition part alone. */
	g_autofree char *rtype = report_type(dm_message_header(msg, "Content-Type"));
	if (reason == NULL && rtype && strcmp(rtype, "feedback-report") == 0)
		reason = "feedback-report";
	if (reason == NULL && ((rtype && strcmp(rtype, "disposition-notification") == 0) ||
			       has_part(msg, "message/disposition-notification") ||
			       has_part(msg, "message/global-disposition-notification")))
		reason = "receipt";

	const char *auto_submitted = dm_message_header(msg, "Auto-Submitted");
	if (auto_submitted) {
		g_autofree char *v = g_ascii_strdown(auto_submitted, -1);
		g_strstrip(v);
		/* "no" (with optional comment/parameters) is a human's mail. */
		if (!(g_str_has_prefix(v, "no") && (v[2] == '\0' || v[2] == ' ' || v[2] == ';' || v[2] == '(')))
			reason = reason ? reason : "auto-submitted";
	}
	if (reason == NULL && header_word_in(dm_message_header(msg, "Precedence"), precedence))
		reason = "precedence";
	if (reason == NULL) {
		for (guint i = 0; i < msg->headers->len; i++) {
			const struct dm_header *h = msg->headers->pdata[i];
			if (g_ascii_strncasecmp(h->name, "List-", 5) == 0 ||
			    g_ascii_strcasecmp(h->name, "Mailing-List") == 0) {
				reason = "list";
				break;
			}
		}
	}
	if (reason == NULL && (dm_message_header(msg, "X-Autoreply") || dm_message_header(msg, "X-Autorespond") ||
			       dm_message_header(msg, "X-Autoresponse")))
		reason = "auto-submitted";
	/* The null sender is used only by bounces, receipts and auto-replies
	 * (RFC 5321 4.5.5, RFC 3834 3.3). */
	if (reason == NULL && return_path && *return_path == '\0')
		reason = "null-sender";
	return reason;
}

void
dm_screen_message(const struct dm_message *msg, const char *envelope_from,
		  const struct dm_screen_config *cfg, struct dm_screen *out)
{
	static const char *const suppress[] = { "all", "oof", "autoreply", NULL };

	memset(out, 0, sizeof *out);

	/* The return path: the MTA's envelope sender, else Return-Path. */
	g_autofree char *return_path = NULL;
	if (envelope_from)
		return_path = dm_address_normalise(envelope_from);
	else if (dm_message_header(msg, "Return-Path"))
		return_path = dm_address_normalise(dm_message_header(msg, "Return-Path"));

	const char *reason = machine_reason(msg, return_path, cfg, out);
	/* Everything that far is a machine's mail. */
	out->automatic = reason != NULL;

	/* A request not to be auto-answered, which a person's client may
	 * also send: no acknowledgement, but the mail may reopen a ticket. */
	if (reason == NULL && header_word_in(dm_message_header(msg, "X-Auto-Response-Suppress"), suppress))
		reason = "x-auto-response-suppress";
	if (reason == NULL && msg->from.addr[0] == '\0')
		reason = "no-sender";
	if (reason == NULL && (dm_screen_is_robot_address(msg->from.addr) ||
			       (return_path && dm_screen_is_robot_address(return_path)))) {
		reason = "robot-sender";
		out->automatic = TRUE;
	}
	if (reason == NULL && dm_screen_is_own_address(cfg, msg->from.addr)) {
		reason = "own-address";
		out->automatic = TRUE;
	}
	if (out->bounce)
		out->automatic = TRUE;
	out->no_ack_reason = reason;
}

/* One "method=result ... prop=value" resinfo of an Authentication-Results
 * value: TRUE when it is METHOD=pass with PROP equal to DOMAIN. */
static gboolean
resinfo_pass(const char *resinfo, const char *method, const char *prop, const char *domain)
{
	g_autofree char *r = g_ascii_strdown(resinfo, -1);
	g_strstrip(r);
	g_autofree char *want = g_strdup_printf("%s=pass", method);
	if (!g_str_has_prefix(r, want))
		return FALSE;
	g_autofree char *key = g_strdup_printf("%s=", prop);
	for (char *p = strstr(r, key); p; p = strstr(p + 1, key)) {
		if (p != r && !g_ascii_isspace(p[-1]))
			continue;
		char *v = p + strlen(key);
		gsize n = strcspn(v, " \t;()");
		/* header.i=@example.org counts as the domain too. */
		if (*v == '@') {
			v++;
			n--;
		}
		if (n == strlen(domain) && g_ascii_strncasecmp(v, domain, n) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean
dm_screen_authenticated(const struct dm_message *msg, const char *authserv_id, const char *domain)
{
	if (authserv_id == NULL || *authserv_id == '\0' || domain == NULL || *domain == '\0')
		return FALSE;
	for (guint i = 0; i < msg->headers->len; i++) {
		const struct dm_header *h = msg->headers->pdata[i];
		if (g_ascii_strcasecmp(h->name, "Authentication-Results") != 0)
			continue;
		g_auto(GStrv) parts = g_strsplit(h->value, ";", 64);
		/* authserv-id [version] */
		g_autofree char *id = g_strstrip(g_strdup(parts[0] ? parts[0] : ""));
		char *sp = strpbrk(id, " \t");
		if (sp)
			*sp = '\0';
		if (g_ascii_strcasecmp(id, authserv_id) != 0)
			continue;
		/* Only the topmost header of our own MTA counts. */
		for (char **r = parts + 1; *r; r++)
			if (resinfo_pass(*r, "dkim", "header.d", domain) ||
			    resinfo_pass(*r, "dkim", "header.i", domain) ||
			    resinfo_pass(*r, "dmarc", "header.from", domain))
				return TRUE;
		return FALSE;
	}
	return FALSE;
}
