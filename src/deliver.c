/* deliver.c - the delivery core: one message from raw bytes to COMMIT.
 *
 *   parse -> screen -> prepare (recipient, queue, reply key, tag,
 *   language) -> facts (one look-up) -> route (pure) -> apply (one
 *   transaction, outgoing mail in the outbox) -> COMMIT
 *
 * The path runs forward.  The result is typed: success only after COMMIT
 * (or for a duplicate); "rejected" only for input that can never be
 * stored; everything else is temporary, so the MTA keeps the message and
 * retries.  Nothing here prints, exits or handles signals. */
#include "dm-autoconf.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "deliver-private.h"
#include "deliver.h"
#include "langid.h"
#include "log.h"
#include "store.h"
#include "thread.h"

void
dm_delivery_result_init(struct dm_delivery_result *r)
{
	memset(r, 0, sizeof *r);
	r->outbox_ids = g_array_new(FALSE, FALSE, sizeof(gint64));
}

void
dm_delivery_result_clear(struct dm_delivery_result *r)
{
	g_free(r->text);
	g_free(r->message_id);
	if (r->outbox_ids)
		g_array_unref(r->outbox_ids);
	memset(r, 0, sizeof *r);
}

/* Set R's outcome, status code and line. */
static enum dm_outcome
result_set(struct dm_delivery_result *r, enum dm_outcome outcome, const char *code, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);
static enum dm_outcome
result_set(struct dm_delivery_result *r, enum dm_outcome outcome, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_free(r->text);
	r->text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	r->outcome = outcome;
	r->code = code;
	return outcome;
}

enum dm_status
dm_deliver_read_input(int fd, gsize max, GBytes **out)
{
	GByteArray *buf = g_byte_array_sized_new(64 * 1024);
	/* MAX is at most 1 GiB (config.c), so the guint length cannot wrap. */
	for (;;) {
		guint old = buf->len;
		g_byte_array_set_size(buf, old + 65536);
		ssize_t n = read(fd, buf->data + old, 65536);
		if (n < 0) {
			g_byte_array_set_size(buf, old);
			if (errno == EINTR)
				continue;
			g_byte_array_unref(buf);
			return DM_TEMPFAIL;
		}
		g_byte_array_set_size(buf, old + (guint) n);
		if (n == 0)
			break;
		if (buf->len > max) {
			g_byte_array_unref(buf);
			return DM_REJECT;
		}
	}
	*out = g_byte_array_free_to_bytes(buf);
	return DM_OK;
}

void
dm_delivery_result_input(const struct dm_desk *desk, enum dm_status st, struct dm_delivery_result *r)
{
	gsize limit = desk->cfg->limits.max_message_bytes;
	if (st == DM_REJECT) {
		result_set(r, DM_OUTCOME_REJECTED, "5.3.4", "deskmail: message too large (limit %" G_GSIZE_FORMAT " bytes)",
			   limit);
		r->action = "reject";
		dm_log_info("action=reject reason=too-large limit=%" G_GSIZE_FORMAT, limit);
	} else {
		result_set(r, DM_OUTCOME_TEMPFAIL, "4.3.0", "deskmail: cannot read the message: %s", g_strerror(errno));
		r->action = "defer";
	}
}

/* The envelope recipient: from the MTA, else the headers Postfix and
 * others add (X-Original-To, Delivered-To). */
static char *
find_recipient(const struct dm_envelope *env, const struct dm_message *msg)
{
	if (env->recipient && *env->recipient)
		return dm_address_normalise(env->recipient);
	const char *h = dm_message_header(msg, "X-Original-To");
	if (h == NULL)
		h = dm_message_header(msg, "Delivered-To");
	return h ? dm_address_normalise(h) : NULL;
}

/* Reply keys: the envelope recipient first, then the addresses the mail
 * was written to.  A key with a wrong MAC is remembered (an event records
 * it) and otherwise ignored. */
static void
find_reply_key(struct delivery *d)
{
	const struct dm_config *cfg = d->cfg;
	g_autoptr(GPtrArray) candidates = g_ptr_array_new();
	if (d->recipient)
		g_ptr_array_add(candidates, d->recipient);
	GPtrArray *lists[] = { d->msg->to, d->msg->cc };
	for (gsize l = 0; l < G_N_ELEMENTS(lists); l++)
		for (guint i = 0; i < lists[l]->len; i++)
			g_ptr_array_add(candidates, ((struct dm_address *) lists[l]->pdata[i])->addr);
	for (guint i = 0; i < candidates->len; i++) {
		g_autofree char *key = dm_reply_key_from_address(candidates->pdata[i],
								 (const char *const *) cfg->own_addresses,
								 dm_config_separator(cfg));
		if (key == NULL)
			continue;
		gint64 ticket, agent;
		switch (dm_reply_key_verify(cfg->secret, key, &ticket, &agent)) {
		case DM_REPLY_KEY_VALID:
			d->key_ticket = ticket;
			d->key_agent = agent;
			return;
		case DM_REPLY_KEY_INVALID:
			d->key_invalid = TRUE;
			if (d->bad_key == NULL)
				d->bad_key = dm_log_sanitize(key, 80);
			break;
		case DM_REPLY_KEY_NONE:
			break;
		}
	}
}

/* The queue: the support address the mail came to, when it is ours (a
 * plus-addressed reply address counts as its base address). */
static char *
find_queue(const struct delivery *d)
{
	const struct dm_config *cfg = d->cfg;
	struct dm_screen_config sc = { .own_addresses = (const char *const *) cfg->own_addresses,
				       .reply_separator = dm_config_separator(cfg) };
	if (d->recipient && dm_screen_is_own_address(&sc, d->recipient)) {
		for (char **own = cfg->own_addresses; *own; own++) {
			const char *at = strrchr(*own, '@');
			gsize local = at ? (gsize) (at - *own) : 0;
			if (g_ascii_strcasecmp(d->recipient, *own) == 0 ||
			    (g_ascii_strncasecmp(d->recipient, *own, local) == 0 &&
			     d->recipient[local] == dm_config_separator(cfg)))
				return g_strdup(*own);
		}
	}
	return g_strdup(cfg->support_address);
}

/* Everything a delivery knows before it touches the database. */
static void
prepare(struct delivery *d, const struct dm_envelope *env)
{
	const struct dm_config *cfg = d->cfg;
	d->recipient = find_recipient(env, d->msg);
	d->sender = env->sender ? dm_address_normalise(env->sender) : NULL;
	d->queue = find_queue(d);
	struct dm_screen_config sc = { .own_addresses = (const char *const *) cfg->own_addresses,
				       .reply_separator = dm_config_separator(cfg),
				       .loop_value = cfg->hostname };
	dm_screen_message(d->msg, d->sender, &sc, &d->screen);
	find_reply_key(d);
	d->tag_ticket = dm_thread_find_tag(d->msg->subject, cfg->tag_format);
	if (!d->screen.automatic)
		d->language = dm_langid_detect(d->desk->langid, d->msg->text,
					       dm_message_header(d->msg, "Content-Language"));
}

static void
delivery_clear(struct delivery *d)
{
	g_free(d->recipient);
	g_free(d->sender);
	g_free(d->queue);
	g_free(d->bad_key);
	if (d->cmds)
		dm_commands_free(d->cmds);
	g_free(d->agent_text);
	g_free(d->fwd_from);
	g_free(d->fwd_name);
	g_free(d->fwd_subject);
	g_free(d->fwd_body);
}

/* The facts name an active agent, so the text may hold commands. */
static gboolean
may_be_agent(const struct delivery *d, const struct dm_route_facts *f)
{
	if (d->screen.automatic)
		return FALSE;
	return (f->key_agent && f->key_agent->active) || (f->from_agent && f->from_agent->active);
}

/* The input of the routing decision. */
static void
route_input(struct delivery *d, const struct dm_route_facts *f, struct dm_route_input *in)
{
	const struct dm_message *msg = d->msg;
	memset(in, 0, sizeof *in);
	in->msg = msg;
	in->key_ticket = d->key_ticket;
	in->key_agent = d->key_agent;
	in->tag_ticket = d->tag_ticket;
	in->automatic = d->screen.automatic;
	in->bounce = d->screen.bounce;
	in->reopen_days = d->cfg->reopen_days;
	if (f->from_agent && f->from_agent->active) {
		const char *domain = strrchr(f->from_agent->address, '@');
		in->from_authenticated = domain && dm_screen_authenticated(msg, d->cfg->trusted_authserv_id, domain + 1);
	}
	if (may_be_agent(d, f)) {
		dm_deliver_read_agent_mail(d);
		gboolean requester = FALSE;
		for (guint i = 0; i < d->cmds->list->len; i++)
			requester |= ((struct dm_command *) d->cmds->list->pdata[i])->kind == DM_CMD_REQUESTER;
		in->requester_command = requester && d->cmds->errors == NULL;
		in->forwarded_customer = d->fwd_from != NULL;
	}
}

/* Look up the facts, decide, and apply the plan: the body of one
 * transaction. */
static enum dm_status
route_and_apply(struct dm_db *db, struct delivery *d)
{
	struct dm_route_facts facts;
	struct dm_route_input in;
	struct dm_route_query q = { .msg = d->msg, .key_ticket = d->key_ticket, .key_agent = d->key_agent,
				    .tag_ticket = d->tag_ticket,
				    .bounced_id = d->screen.bounce ? d->msg->dsn_original_id : NULL };
	dm_route_facts_init(&facts);
	enum dm_status st = dm_store_route_facts(db, &q, &facts);
	if (st == DM_OK) {
		route_input(d, &facts, &in);
		dm_route_decide(&in, &facts, &d->plan);
		switch (d->plan.action) {
		case DM_ROUTE_DUPLICATE:
			d->ticket = d->plan.match.ticket;
			d->message_row = facts.duplicate_row;
			st = DM_DUPLICATE;
			break;
		case DM_ROUTE_CUSTOMER:
		case DM_ROUTE_BOUNCE:
			st = dm_deliver_customer(db, d);
			break;
		default:
			st = dm_deliver_agent(db, d);
			break;
		}
	}
	/* The plan borrows the facts' agent: it ends with this attempt. */
	d->plan.agent = NULL;
	dm_route_facts_clear(&facts);
	return st;
}

/* One attempt at the whole transaction. */
static enum dm_status
attempt(struct dm_db *db, struct delivery *d)
{
	d->ticket = d->message_row = 0;
	d->new_ticket = FALSE;
	d->ack = d->role = NULL;
	d->threaded_by = DM_THREADED_NEW;
	g_array_set_size(d->outbox_ids, 0);

	enum dm_status st = dm_store_begin(db, d->msg);
	if (st == DM_OK)
		st = route_and_apply(db, d);
	if (st == DM_OK)
		st = dm_db_commit(db);
	if (st != DM_OK)
		dm_db_rollback(db);
	return st;
}

/* A warm connection when there is one, else a new one in *DB. */
static enum dm_status
connection(const struct dm_config *cfg, struct dm_db **db)
{
	if (*db && dm_db_usable(*db))
		return DM_OK;
	g_clear_pointer(db, dm_db_free);
	return dm_db_connect(cfg->conninfo, NULL, cfg->connect_timeout, cfg->statement_timeout, cfg->lock_timeout,
			     db);
}

/* Run the transaction, retrying deadlocks and serialization failures;
 * only a repeated failure reaches the MTA, as a temporary one. */
static enum dm_status
run_transaction(struct dm_db *db, struct delivery *d)
{
	enum dm_status st = DM_INTERNAL;
	for (int i = 0; i < 3; i++) {
		st = attempt(db, d);
		if (st == DM_OK || st == DM_DUPLICATE || !dm_db_retryable(db))
			break;
		dm_log_warn("retrying after %s: %s", dm_db_sqlstate(db), dm_db_error(db));
	}
	return st;
}

static gboolean
deadline_passed(gint64 deadline)
{
	return deadline && g_get_monotonic_time() >= deadline;
}

/* The outcome of the transaction's status ST, with the line for the MTA. */
static void
transaction_result(struct dm_db *db, struct delivery *d, enum dm_status st, gint64 deadline,
		   struct dm_delivery_result *r, const char *msgid_log)
{
	r->ticket = d->ticket;
	r->message_row = d->message_row;
	if (st == DM_OK || st == DM_DUPLICATE) {
		result_set(r, st == DM_OK ? DM_OUTCOME_STORED : DM_OUTCOME_DUPLICATE, "2.0.0", "deskmail: %s ticket %" G_GINT64_FORMAT,
			   st == DM_OK ? "stored on" : "already stored on", d->ticket);
		r->action = st == DM_DUPLICATE ? "duplicate" : d->new_ticket ? "new" : "append";
		r->kind = d->role;
		r->threaded_by = st == DM_DUPLICATE ? NULL : d->threaded_by;
		r->ack = d->ack;
		g_array_append_vals(r->outbox_ids, d->outbox_ids->data, d->outbox_ids->len);
		return;
	}
	r->action = "defer";
	if (deadline_passed(deadline)) {
		result_set(r, DM_OUTCOME_TEMPFAIL, "4.3.0", "deskmail: delivery deadline exceeded");
		dm_log_error("action=defer reason=deadline message_id=<%s>", msgid_log);
	} else if (st == DM_CONFIG) {
		result_set(r, DM_OUTCOME_TEMPFAIL, "4.3.0", "deskmail: cannot build the acknowledgement; see the log");
	} else {
		g_autofree char *err = dm_log_sanitize(dm_db_error(db), 200);
		result_set(r, DM_OUTCOME_TEMPFAIL, "4.3.0", "deskmail: database error, will retry: %s", err);
		dm_log_error("action=defer reason=db message_id=<%s> sqlstate=%s error=\"%s\"", msgid_log,
			     dm_db_sqlstate(db), err);
	}
}

/* Parse RAW; a reason to reject it for good when it is not mail. */
static struct dm_message *
parse(const struct dm_config *cfg, GBytes *raw, struct dm_delivery_result *r)
{
	if (g_bytes_get_size(raw) == 0) {
		result_set(r, DM_OUTCOME_REJECTED, "5.6.0", "deskmail: empty input: no message to store");
		r->action = "reject";
		dm_log_info("action=reject reason=empty");
		return NULL;
	}
	struct dm_message *msg = dm_message_parse(raw, &cfg->limits, (const char *const *) cfg->charset_fallback);
	if (msg == NULL) {
		result_set(r, DM_OUTCOME_REJECTED, "5.6.0", "deskmail: input is not a mail message (no header found)");
		r->action = "reject";
		dm_log_info("action=reject reason=not-mail size=%" G_GSIZE_FORMAT, g_bytes_get_size(raw));
	}
	return msg;
}

void
dm_delivery_result_log(const struct dm_delivery_result *r, int sent)
{
	if (r->outcome != DM_OUTCOME_STORED && r->outcome != DM_OUTCOME_DUPLICATE)
		return;
	char sent_field[32] = "";
	if (sent >= 0)
		g_snprintf(sent_field, sizeof sent_field, " sent=%d", sent);
	dm_log_info("action=%s ticket=%" G_GINT64_FORMAT " message_id=<%s> size=%" G_GSIZE_FORMAT
		    " attachments=%u kind=%s threaded_by=%s ack=%s mails=%u%s ms=%" G_GINT64_FORMAT,
		    r->action, r->ticket, r->message_id, r->size, r->attachments, r->kind ? r->kind : "-",
		    r->threaded_by ? r->threaded_by : "-", r->ack ? r->ack : "-", r->outbox_ids->len, sent_field,
		    r->ms);
}

enum dm_outcome
dm_deliver_one(const struct dm_desk *desk, struct dm_db **db, const struct dm_envelope *env, GBytes *raw,
	       gint64 deadline, struct dm_delivery_result *r)
{
	gint64 started = g_get_monotonic_time();
	const struct dm_config *cfg = desk->cfg;
	g_autoptr(DmMessage) msg = parse(cfg, raw, r);
	if (msg == NULL)
		return r->outcome;

	struct delivery d = { .desk = desk, .cfg = cfg, .msg = msg,
			      .outbox_ids = g_array_new(FALSE, FALSE, sizeof(gint64)) };
	prepare(&d, env);
	r->message_id = dm_log_sanitize(msg->message_id, 120);
	r->size = g_bytes_get_size(raw);
	r->attachments = msg->attachments->len;
	const char *msgid_log = r->message_id;

	/* A warm connection (the service's) can have died while idle: the
	 * server restarted, the session was terminated.  Its first use finds
	 * out.  Nothing was committed on it, so connect again and try once
	 * more rather than defer the mail; were a COMMIT lost with the
	 * connection, the second try finds a duplicate. */
	gboolean warm = *db != NULL, connected;
	enum dm_status st;
	for (int round = 0;; round++) {
		st = connection(cfg, db);
		connected = st == DM_OK;
		if (connected) {
			dm_db_set_deadline(*db, deadline);
			st = run_transaction(*db, &d);
		}
		if (round > 0 || !warm || !connected || st == DM_OK || st == DM_DUPLICATE || dm_db_usable(*db) ||
		    deadline_passed(deadline))
			break;
		g_autofree char *err = dm_log_sanitize(dm_db_error(*db), 200);
		dm_log_warn("database connection lost, connecting again: %s", err);
	}
	if (!connected) {
		result_set(r, DM_OUTCOME_TEMPFAIL, "4.3.0", "deskmail: database unavailable");
		r->action = "defer";
		dm_log_info("action=defer reason=db-connect message_id=<%s>", msgid_log);
	} else {
		transaction_result(*db, &d, st, deadline, r, msgid_log);
		dm_db_set_deadline(*db, 0);
	}
	r->ms = (g_get_monotonic_time() - started) / 1000;
	g_array_unref(d.outbox_ids);
	delivery_clear(&d);
	return r->outcome;
}
