/* store.c - the SQL of one delivery: threading lookups, tickets,
 * contacts, participants, messages, events and acknowledgement
 * bookkeeping.  Every statement is a named constant with parameters. */
#include "dm-autoconf.h"

#include <string.h>

#include "log.h"
#include "store.h"
#include "thread.h"

/* Ids are hashed to 64-bit advisory lock keys; sorted, so every delivery
 * takes its locks in the same order. */
static const char SQL_LOCK_IDS[] =
	"SELECT pg_advisory_xact_lock(h) FROM ("
	" SELECT DISTINCT hashtextextended(x, 0) AS h FROM unnest($1::text[]) AS x ORDER BY h) s";
static const char SQL_FIND_MESSAGE[] =
	"SELECT id, ticket_id FROM messages WHERE message_id = $1 AND direction = $2";
static const char SQL_FIND_REFERENCED[] =
	"SELECT message_id, ticket_id, direction FROM messages WHERE message_id = ANY($1::text[])";
static const char SQL_FIND_LATE_PARENT[] =
	"SELECT m.ticket_id FROM message_refs r JOIN messages m ON m.id = r.message_id "
	"WHERE r.ref = $1 ORDER BY m.id LIMIT 1";
static const char SQL_FIND_SHARED_REF[] =
	"SELECT m.ticket_id FROM message_refs r JOIN messages m ON m.id = r.message_id "
	"WHERE r.ref = ANY($1::text[]) ORDER BY m.id LIMIT 1";
static const char SQL_LOCK_TICKET[] =
	"SELECT status, extract(epoch FROM now() - coalesce(closed_at, resolved_at, updated_at))::bigint "
	"FROM tickets WHERE id = $1 FOR UPDATE";
static const char SQL_MAY_JOIN[] =
	"SELECT EXISTS (SELECT 1 FROM participants p JOIN contacts c ON c.id = p.contact_id"
	"               WHERE p.ticket_id = $1 AND c.address = $2)"
	"    OR EXISTS (SELECT 1 FROM agents WHERE address = $2 AND active)";
static const char SQL_UPSERT_CONTACT[] =
	"WITH old AS (SELECT language FROM contacts WHERE address = $1) "
	"INSERT INTO contacts (address, name, language) VALUES ($1, $2, $3) "
	"ON CONFLICT (address) DO UPDATE SET "
	" name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE contacts.name END,"
	" language = coalesce(EXCLUDED.language, contacts.language),"
	" updated_at = now() "
	"RETURNING id, (SELECT language FROM old)";
static const char SQL_INSERT_TICKET[] =
	"INSERT INTO tickets (subject, requester_id, queue, language, related_id, relation, due_at) "
	"VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::double precision)) RETURNING id";
static const char SQL_SET_STATUS[] =
	"UPDATE tickets SET status = $2, updated_at = now(),"
	" resolved_at = CASE WHEN $2 IN ('resolved', 'closed') THEN resolved_at END,"
	" closed_at = CASE WHEN $2 = 'closed' THEN closed_at END "
	"WHERE id = $1";
static const char SQL_TOUCH_TICKET[] = "UPDATE tickets SET updated_at = now() WHERE id = $1";
static const char SQL_SET_DUE[] =
	"UPDATE tickets SET due_at = to_timestamp($2::double precision) WHERE id = $1";
static const char SQL_INSERT_PARTICIPANT[] =
	"INSERT INTO participants (ticket_id, contact_id, role) VALUES ($1, $2, $3) "
	"ON CONFLICT DO NOTHING";
static const char SQL_INSERT_MESSAGE[] =
	"INSERT INTO messages (ticket_id, message_id, direction, kind, threaded_by, contact_id,"
	" from_addr, from_name, to_addrs, cc_addrs, subject, sent_at, in_reply_to, body_text,"
	" flags, size, envelope_from, recipient) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[], $11,"
	" to_timestamp($12::double precision), $13, $14, $15, $16, $17, $18) RETURNING id";
static const char SQL_INSERT_REFS[] =
	"INSERT INTO message_refs (message_id, ref, position) "
	"SELECT $1, r.ref, r.ord - 1 FROM unnest($2::text[]) WITH ORDINALITY AS r(ref, ord) "
	"WHERE r.ref <> '' ON CONFLICT DO NOTHING";
static const char SQL_INSERT_RAW[] = "INSERT INTO raw_messages (message_id, raw) VALUES ($1, $2)";
static const char SQL_INSERT_ATTACHMENT[] =
	"INSERT INTO attachments (message_id, position, filename, content_type, disposition,"
	" content_id, size, sha256, from_tnef, content) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
static const char SQL_INSERT_EVENT[] =
	"INSERT INTO events (ticket_id, message_id, actor, kind, old_value, new_value, detail) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7)";
static const char SQL_ACK_COUNT[] =
	"SELECT count(*) FROM ack_log WHERE address = $1 "
	"AND sent_at > now() - make_interval(secs => $2::double precision)";
static const char SQL_ACK_SENT[] = "INSERT INTO ack_log (address) VALUES ($1)";
static const char SQL_CONTACT_FAILING[] =
	"SELECT failing_since IS NOT NULL FROM contacts WHERE address = $1";
static const char SQL_MARK_FAILING[] =
	"INSERT INTO contacts (address, failing_since, bounce_count) VALUES ($1, now(), 1) "
	"ON CONFLICT (address) DO UPDATE SET failing_since = coalesce(contacts.failing_since, now()),"
	" bounce_count = contacts.bounce_count + 1, updated_at = now()";

#define I64(buf, v) (g_snprintf((buf), sizeof(buf), "%" G_GINT64_FORMAT, (gint64) (v)), (buf))

static gint64
to_i64(const char *s)
{
	return s ? g_ascii_strtoll(s, NULL, 10) : 0;
}

/* The ids a message names: In-Reply-To, then References (at most 200). */
static GPtrArray *
referenced_ids(const struct dm_message *msg)
{
	GPtrArray *ids = g_ptr_array_new();
	if (msg->in_reply_to)
		g_ptr_array_add(ids, msg->in_reply_to);
	for (guint i = 0; i < msg->references->len && ids->len < 200; i++)
		g_ptr_array_add(ids, msg->references->pdata[i]);
	return ids;
}

enum dm_status
dm_store_begin(struct dm_db *db, const struct dm_message *msg)
{
	enum dm_status st = dm_db_begin(db);
	if (st != DM_OK)
		return st;
	g_autoptr(GPtrArray) ids = referenced_ids(msg);
	g_ptr_array_add(ids, msg->message_id);
	g_autofree char *lit = dm_db_array_literal(ids);
	const char *p[] = { lit };
	st = dm_db_query(db, SQL_LOCK_IDS, 1, p, NULL);
	if (st != DM_OK)
		dm_db_rollback(db);
	return st;
}

enum dm_status
dm_store_find_message(struct dm_db *db, const char *message_id, const char *direction, gint64 *row,
		      gint64 *ticket)
{
	const char *p[] = { message_id, direction };
	g_autoptr(PGresult) res = NULL;
	*row = *ticket = 0;
	enum dm_status st = dm_db_query(db, SQL_FIND_MESSAGE, 2, p, &res);
	if (st == DM_OK && PQntuples(res) > 0) {
		*row = to_i64(PQgetvalue(res, 0, 0));
		*ticket = to_i64(PQgetvalue(res, 0, 1));
	}
	return st;
}

/* Rule 2: references.  The parent (In-Reply-To), then References from the
 * newest back; then a stored message that references this one (a reply
 * that arrived before its parent); then one that shares a reference (a
 * sibling whose parent has not arrived). */
static enum dm_status
match_references(struct dm_db *db, const struct dm_message *msg, gint64 *ticket, const char **rule,
		 gboolean *proven)
{
	g_autoptr(GPtrArray) ids = referenced_ids(msg);
	g_autoptr(PGresult) res = NULL;
	enum dm_status st;

	*ticket = 0;
	*proven = FALSE;
	if (ids->len > 0) {
		g_autofree char *lit = dm_db_array_literal(ids);
		const char *p[] = { lit };
		if ((st = dm_db_query(db, SQL_FIND_REFERENCED, 1, p, &res)) != DM_OK)
			return st;
		/* Preference: In-Reply-To first, then the last References id. */
		int best = -1;
		guint best_rank = G_MAXUINT;
		for (int r = 0; r < PQntuples(res); r++) {
			const char *id = PQgetvalue(res, r, 0);
			if (strcmp(PQgetvalue(res, r, 2), "out") == 0)
				*proven = TRUE;
			for (guint i = 0; i < ids->len; i++) {
				if (strcmp(ids->pdata[i], id) != 0)
					continue;
				guint rank = (msg->in_reply_to && i == 0) ? 0 : ids->len - i;
				if (rank < best_rank) {
					best_rank = rank;
					best = r;
				}
			}
		}
		if (best >= 0) {
			*ticket = to_i64(PQgetvalue(res, best, 1));
			*rule = DM_THREADED_REFERENCES;
			return DM_OK;
		}
	}
	g_clear_pointer(&res, PQclear);
	const char *own[] = { msg->message_id };
	if ((st = dm_db_query(db, SQL_FIND_LATE_PARENT, 1, own, &res)) != DM_OK)
		return st;
	if (PQntuples(res) > 0) {
		*ticket = to_i64(PQgetvalue(res, 0, 0));
		*rule = DM_THREADED_LATE_PARENT;
		return DM_OK;
	}
	if (ids->len > 0) {
		g_clear_pointer(&res, PQclear);
		g_autofree char *lit = dm_db_array_literal(ids);
		const char *p[] = { lit };
		if ((st = dm_db_query(db, SQL_FIND_SHARED_REF, 1, p, &res)) != DM_OK)
			return st;
		if (PQntuples(res) > 0) {
			*ticket = to_i64(PQgetvalue(res, 0, 0));
			*rule = DM_THREADED_REFERENCES;
		}
	}
	return DM_OK;
}

/* Lock ticket ID; *EXISTS false when there is no such ticket. */
static enum dm_status
lock_ticket(struct dm_db *db, gint64 id, gboolean *exists, char status[16], gint64 *idle_seconds)
{
	char b[24];
	const char *p[] = { I64(b, id) };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_LOCK_TICKET, 1, p, &res);
	*exists = FALSE;
	if (st == DM_OK && PQntuples(res) > 0) {
		*exists = TRUE;
		g_strlcpy(status, PQgetvalue(res, 0, 0), 16);
		*idle_seconds = to_i64(PQgetvalue(res, 0, 1));
	}
	return st;
}

static enum dm_status
may_join(struct dm_db *db, gint64 ticket, const char *sender, gboolean *ok)
{
	char b[24];
	const char *p[] = { I64(b, ticket), sender ? sender : "" };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_MAY_JOIN, 2, p, &res);
	*ok = st == DM_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	return st;
}

enum dm_status
dm_store_thread(struct dm_db *db, const struct dm_config *cfg, const struct dm_thread_query *q,
		struct dm_thread_match *out)
{
	enum dm_status st;
	gint64 candidate = 0;
	const char *rule = DM_THREADED_NEW;
	gboolean trusted = FALSE; /* joining needs no participant check */
	gboolean exists = FALSE;
	gint64 idle = 0;

	memset(out, 0, sizeof *out);
	out->threaded_by = DM_THREADED_NEW;

	if (q->key_ticket > 0) {
		if ((st = lock_ticket(db, q->key_ticket, &exists, out->status, &idle)) != DM_OK)
			return st;
		if (exists) {
			candidate = q->key_ticket;
			rule = DM_THREADED_REPLY_KEY;
			trusted = TRUE;
		}
	}
	if (candidate == 0) {
		gboolean proven = FALSE;
		if ((st = match_references(db, q->msg, &candidate, &rule, &proven)) != DM_OK)
			return st;
		trusted = proven;
		if (candidate > 0 && (st = lock_ticket(db, candidate, &exists, out->status, &idle)) != DM_OK)
			return st;
		if (candidate > 0 && !exists)
			candidate = 0;
	}
	if (candidate == 0 && q->tag_ticket > 0) {
		if ((st = lock_ticket(db, q->tag_ticket, &exists, out->status, &idle)) != DM_OK)
			return st;
		if (exists) {
			candidate = q->tag_ticket;
			rule = DM_THREADED_TAG;
		}
	}
	if (candidate == 0)
		return DM_OK;

	if (!trusted) {
		gboolean ok = FALSE;
		if ((st = may_join(db, candidate, q->sender, &ok)) != DM_OK)
			return st;
		if (!ok) {
			/* Knowing a ticket number or a Message-ID is not enough to
			 * join a conversation (and be copied on its replies). */
			out->related = candidate;
			out->relation = "related";
			out->refused = "sender is not a participant";
			return DM_OK;
		}
	}
	gboolean closed = strcmp(out->status, "resolved") == 0 || strcmp(out->status, "closed") == 0;
	if (closed && !q->automatic) {
		if (idle > (gint64) cfg->reopen_days * 86400) {
			out->related = candidate;
			out->relation = "follow-up";
			out->refused = "ticket closed too long ago";
			return DM_OK;
		}
		out->reopen = TRUE;
	}
	out->ticket = candidate;
	out->threaded_by = rule;
	return DM_OK;
}

enum dm_status
dm_store_contact(struct dm_db *db, const char *addr, const char *name, const char *language,
		 gint64 *id, char **known_language)
{
	const char *p[] = { addr, name ? name : "", language };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_UPSERT_CONTACT, 3, p, &res);
	if (st != DM_OK)
		return st;
	*id = to_i64(PQgetvalue(res, 0, 0));
	if (known_language)
		*known_language = g_strdup(dm_db_value(res, 0, 1));
	return DM_OK;
}

enum dm_status
dm_store_create_ticket(struct dm_db *db, const struct dm_new_ticket *t, gint64 *id)
{
	char b1[24], b2[24], b3[24];
	const char *p[] = { t->subject, t->requester ? I64(b1, t->requester) : NULL, t->queue, t->language,
			    t->related ? I64(b2, t->related) : NULL, t->relation,
			    t->due_at ? I64(b3, t->due_at) : NULL };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_INSERT_TICKET, 7, p, &res);
	if (st == DM_OK)
		*id = to_i64(PQgetvalue(res, 0, 0));
	return st;
}

enum dm_status
dm_store_set_due(struct dm_db *db, gint64 ticket, gint64 due_at)
{
	char b1[24], b2[24];
	const char *p[] = { I64(b1, ticket), I64(b2, due_at) };
	return dm_db_query(db, SQL_SET_DUE, 2, p, NULL);
}

enum dm_status
dm_store_touch_ticket(struct dm_db *db, const struct dm_thread_match *m, gboolean automatic,
		      const char *actor, gint64 message_row)
{
	char b[24];
	const char *p[] = { I64(b, m->ticket), NULL };
	/* Automatic mail (out-of-office, bounces) never changes a ticket. */
	if (automatic)
		return DM_OK;
	const char *next = NULL;
	if (m->reopen)
		next = "open";
	else if (strcmp(m->status, "pending") == 0)
		next = "open"; /* the customer answered what we were waiting for */
	if (next == NULL)
		return dm_db_query(db, SQL_TOUCH_TICKET, 1, p, NULL);
	p[1] = next;
	enum dm_status st = dm_db_query(db, SQL_SET_STATUS, 2, p, NULL);
	if (st == DM_OK)
		st = dm_store_event(db, m->ticket, message_row, actor, "status", m->status, next,
				    m->reopen ? "reopened by a reply" : "customer replied");
	return st;
}

enum dm_status
dm_store_participant(struct dm_db *db, gint64 ticket, gint64 contact, const char *role)
{
	char b1[24], b2[24];
	const char *p[] = { I64(b1, ticket), I64(b2, contact), role };
	return dm_db_query(db, SQL_INSERT_PARTICIPANT, 3, p, NULL);
}

static GPtrArray *
address_strings(GPtrArray *addresses)
{
	GPtrArray *out = g_ptr_array_new();
	for (guint i = 0; addresses && i < addresses->len; i++) {
		struct dm_address *a = addresses->pdata[i];
		if (a->addr[0])
			g_ptr_array_add(out, a->addr);
	}
	return out;
}

static enum dm_status
store_attachments(struct dm_db *db, gint64 row, const struct dm_message *msg)
{
	char b1[24], b2[24], b3[24];
	for (guint i = 0; i < msg->attachments->len; i++) {
		struct dm_attachment *a = msg->attachments->pdata[i];
		gsize len;
		const char *data = g_bytes_get_data(a->content, &len);
		const char *p[] = { I64(b1, row), I64(b2, i), a->filename, a->content_type,
				    a->disposition, a->content_id, I64(b3, len), a->sha256,
				    a->from_tnef ? "true" : "false", data ? data : "" };
		int lens[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, (int) len };
		int fmts[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
		enum dm_status st = dm_db_query_bin(db, SQL_INSERT_ATTACHMENT, 10, p, lens, fmts, NULL);
		if (st != DM_OK)
			return st;
	}
	return DM_OK;
}

enum dm_status
dm_store_message(struct dm_db *db, const struct dm_stored_message *m, gint64 *row)
{
	const struct dm_message *msg = m->msg;
	char b1[24], b2[24], b3[24], b4[24], b5[24];
	enum dm_status st;
	g_autoptr(GPtrArray) to = msg ? address_strings(msg->to) : g_ptr_array_new();
	g_autoptr(GPtrArray) cc = msg ? address_strings(msg->cc) : g_ptr_array_new();
	if (msg == NULL && m->to_addr)
		g_ptr_array_add(to, (gpointer) m->to_addr);
	g_autofree char *to_lit = dm_db_array_literal(to);
	g_autofree char *cc_lit = dm_db_array_literal(cc);
	GBytes *raw = msg ? msg->raw : m->raw;
	gsize size = raw ? g_bytes_get_size(raw) : 0;
	const char *p[] = { I64(b1, m->ticket), m->message_id, m->direction, m->kind, m->threaded_by,
			    m->contact ? I64(b2, m->contact) : NULL,
			    msg ? msg->from.addr : m->from_addr, msg ? msg->from.name : m->from_name,
			    to_lit, cc_lit, msg ? msg->subject : m->subject,
			    msg ? (msg->has_date ? I64(b3, msg->date) : NULL) : I64(b3, g_get_real_time() / G_USEC_PER_SEC),
			    msg ? msg->in_reply_to : m->in_reply_to, msg ? msg->text : m->text,
			    I64(b4, msg ? msg->flags : 0), I64(b5, size), m->envelope_from, m->recipient };
	g_autoptr(PGresult) res = NULL;
	if ((st = dm_db_query(db, SQL_INSERT_MESSAGE, 18, p, &res)) != DM_OK)
		return st;
	*row = to_i64(PQgetvalue(res, 0, 0));

	/* In-Reply-To at position 0 ("" when absent), then References. */
	g_autoptr(GPtrArray) refs = g_ptr_array_new();
	const char *irt = msg ? msg->in_reply_to : m->in_reply_to;
	g_ptr_array_add(refs, (gpointer) (irt ? irt : ""));
	for (guint i = 0; msg && i < msg->references->len; i++)
		g_ptr_array_add(refs, msg->references->pdata[i]);
	if (refs->len > 1 || irt) {
		g_autofree char *lit = dm_db_array_literal(refs);
		const char *q[] = { I64(b1, *row), lit };
		if ((st = dm_db_query(db, SQL_INSERT_REFS, 2, q, NULL)) != DM_OK)
			return st;
	}
	if (raw) {
		gsize raw_len;
		const char *data = g_bytes_get_data(raw, &raw_len);
		const char *q[] = { I64(b1, *row), data ? data : "" };
		int lens[] = { 0, (int) raw_len };
		int fmts[] = { 0, 1 };
		if ((st = dm_db_query_bin(db, SQL_INSERT_RAW, 2, q, lens, fmts, NULL)) != DM_OK)
			return st;
	}
	return msg ? store_attachments(db, *row, msg) : DM_OK;
}

enum dm_status
dm_store_event(struct dm_db *db, gint64 ticket, gint64 message_row, const char *actor, const char *kind,
	       const char *old_value, const char *new_value, const char *detail)
{
	char t[24], m[24];
	const char *p[] = { I64(t, ticket), message_row ? I64(m, message_row) : NULL, actor ? actor : "",
			    kind, old_value, new_value, detail };
	return dm_db_query(db, SQL_INSERT_EVENT, 7, p, NULL);
}

enum dm_status
dm_store_ack_count(struct dm_db *db, const char *addr, int period_seconds, int *count)
{
	char b[24];
	const char *p[] = { addr, I64(b, period_seconds) };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_ACK_COUNT, 2, p, &res);
	*count = st == DM_OK ? (int) to_i64(PQgetvalue(res, 0, 0)) : 0;
	return st;
}

enum dm_status
dm_store_ack_sent(struct dm_db *db, const char *addr)
{
	const char *p[] = { addr };
	return dm_db_query(db, SQL_ACK_SENT, 1, p, NULL);
}

enum dm_status
dm_store_contact_failing(struct dm_db *db, const char *addr, gboolean *failing)
{
	const char *p[] = { addr };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_CONTACT_FAILING, 1, p, &res);
	*failing = st == DM_OK && PQntuples(res) > 0 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	return st;
}

enum dm_status
dm_store_mark_failing(struct dm_db *db, const char *addr)
{
	const char *p[] = { addr };
	return dm_db_query(db, SQL_MARK_FAILING, 1, p, NULL);
}
