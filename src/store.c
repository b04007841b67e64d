/* store.c - the SQL of one delivery: threading lookups, tickets,
 * contacts, participants, messages, events and acknowledgement
 * bookkeeping.  Every statement is a named constant with parameters. */
#include "dm-autoconf.h"

#include <string.h>

#include "log.h"
#include "store.h"
#include "thread.h"
#include "route.h"

/* Ids are hashed to 64-bit advisory lock keys; sorted, so every delivery
 * takes its locks in the same order. */
static const char SQL_LOCK_IDS[] =
	"SELECT pg_advisory_xact_lock(h) FROM ("
	" SELECT DISTINCT hashtextextended(x, 0) AS h FROM unnest($1::text[]) AS x ORDER BY h) s";
/* Everything routing needs, in one round trip: a stored copy of this
 * message, the stored messages it references, a stored reply to it (a
 * late parent), a sibling sharing a reference, the outgoing mail a bounce
 * names, every candidate ticket (locked, with whether the sender takes
 * part in it), and the agents the reply key and the From address name.
 * $1 Message-ID, $2 referenced ids, $3 key and tag tickets, $4 From,
 * $5 the bounced Message-ID, $6 the key's agent, $7 the To and Cc. */
static const char SQL_ROUTE_FACTS[] =
	"WITH refs AS (SELECT message_id, ticket_id, direction FROM messages WHERE message_id = ANY($2::text[])),"
	" late AS (SELECT m.ticket_id, min(m.id) AS first FROM message_refs r JOIN messages m ON m.id = r.message_id"
	"          WHERE r.ref = $1 GROUP BY m.ticket_id ORDER BY first LIMIT 20),"
	" shared AS (SELECT m.ticket_id, min(m.id) AS first FROM message_refs r JOIN messages m ON m.id = r.message_id"
	"            WHERE r.ref = ANY($2::text[]) GROUP BY m.ticket_id ORDER BY first LIMIT 20),"
	" bounce AS (SELECT ticket_id FROM messages WHERE message_id = $5 AND direction = 'out'"
	"            ORDER BY id LIMIT 1),"
	" cand AS (SELECT unnest($3::bigint[]) AS id UNION SELECT ticket_id FROM refs"
	"          UNION SELECT ticket_id FROM late UNION SELECT ticket_id FROM shared"
	"          UNION SELECT ticket_id FROM bounce),"
	" tk AS (SELECT t.id, t.status,"
	"         extract(epoch FROM now() - coalesce(t.closed_at, t.resolved_at, t.updated_at))::bigint AS idle,"
	"         EXISTS (SELECT 1 FROM participants p JOIN contacts c ON c.id = p.contact_id"
	"                 WHERE p.ticket_id = t.id AND c.address = $4) AS part,"
	"         EXISTS (SELECT 1 FROM participants p JOIN contacts c ON c.id = p.contact_id"
	"                 WHERE p.ticket_id = t.id AND c.address = ANY($7::text[])) AS addressed"
	"        FROM tickets t WHERE t.id IN (SELECT id FROM cand) ORDER BY t.id FOR UPDATE OF t) "
	"SELECT 'dup'::text, m.id, m.ticket_id, NULL::text, NULL::text, NULL::text, NULL::boolean FROM messages m"
	" WHERE m.message_id = $1 AND m.direction = 'in' "
	"UNION ALL SELECT 'ref', NULL, ticket_id, message_id, direction, NULL, NULL FROM refs "
	"UNION ALL SELECT 'late', first, ticket_id, NULL, NULL, NULL, NULL FROM late "
	"UNION ALL SELECT 'shared', first, ticket_id, NULL, NULL, NULL, NULL FROM shared "
	"UNION ALL SELECT 'bounce', NULL, ticket_id, NULL, NULL, NULL, NULL FROM bounce "
	"UNION ALL SELECT 'ticket', idle, id, status, NULL, CASE WHEN addressed THEN 't' ELSE 'f' END, part FROM tk "
	"UNION ALL SELECT 'key-agent', a.id, NULL, a.address, a.name, coalesce(tm.name, ''), a.active"
	" FROM agents a LEFT JOIN teams tm ON tm.id = a.team_id WHERE a.id = $6::bigint "
	"UNION ALL SELECT 'from-agent', a.id, NULL, a.address, a.name, coalesce(tm.name, ''), a.active"
	" FROM agents a LEFT JOIN teams tm ON tm.id = a.team_id WHERE a.address = $4";
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
	" flags, size, envelope_from, recipient, agent_id) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[], $11,"
	" to_timestamp($12::double precision), $13, $14, $15, $16, $17, $18, $19) RETURNING id";
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
	/* Queued: the facts query that follows reports its failure. */
	return dm_db_write(db, SQL_LOCK_IDS, 1, p);
}

static GPtrArray *address_strings(GPtrArray *addresses);

static struct dm_agent *
agent_from_row(const PGresult *res, int r)
{
	struct dm_agent *a = g_new0(struct dm_agent, 1);
	a->id = to_i64(PQgetvalue(res, r, 1));
	a->address = g_strdup(PQgetvalue(res, r, 3));
	a->name = g_strdup(PQgetvalue(res, r, 4));
	a->team = g_strdup(PQgetvalue(res, r, 5));
	a->active = strcmp(PQgetvalue(res, r, 6), "t") == 0;
	return a;
}

/* One row of SQL_ROUTE_FACTS into F. */
static void
route_fact(const PGresult *res, int r, struct dm_route_facts *f)
{
	const char *kind = PQgetvalue(res, r, 0);
	gint64 ticket = to_i64(PQgetvalue(res, r, 2));
	if (strcmp(kind, "dup") == 0) {
		f->duplicate_row = to_i64(PQgetvalue(res, r, 1));
		f->duplicate_ticket = ticket;
	} else if (strcmp(kind, "ref") == 0) {
		struct dm_route_ref ref = { g_strdup(PQgetvalue(res, r, 3)), ticket,
					    strcmp(PQgetvalue(res, r, 4), "out") == 0 };
		g_array_append_val(f->refs, ref);
	} else if (strcmp(kind, "late") == 0) {
		g_array_append_val(f->late_parents, ticket);
	} else if (strcmp(kind, "shared") == 0) {
		g_array_append_val(f->shared_refs, ticket);
	} else if (strcmp(kind, "bounce") == 0) {
		f->bounce_ticket = ticket;
	} else if (strcmp(kind, "ticket") == 0) {
		struct dm_route_ticket t = { .id = ticket, .idle_seconds = to_i64(PQgetvalue(res, r, 1)),
					     .sender_participant = strcmp(PQgetvalue(res, r, 6), "t") == 0,
					     .addressed = strcmp(PQgetvalue(res, r, 5), "t") == 0 };
		g_strlcpy(t.status, PQgetvalue(res, r, 3), sizeof t.status);
		g_array_append_val(f->tickets, t);
	} else if (strcmp(kind, "key-agent") == 0 && f->key_agent == NULL) {
		f->key_agent = agent_from_row(res, r);
	} else if (strcmp(kind, "from-agent") == 0 && f->from_agent == NULL) {
		f->from_agent = agent_from_row(res, r);
	}
}

enum dm_status
dm_store_route_facts(struct dm_db *db, const struct dm_route_query *q, struct dm_route_facts *f)
{
	char b1[24], b2[24], b3[24];
	g_autoptr(GPtrArray) ids = referenced_ids(q->msg);
	g_autofree char *ids_lit = dm_db_array_literal(ids);
	g_autofree char *tickets_lit = g_strdup_printf("{%s,%s}", I64(b1, q->key_ticket), I64(b2, q->tag_ticket));
	g_autoptr(GPtrArray) to = address_strings(q->msg->to);
	g_autoptr(GPtrArray) cc = address_strings(q->msg->cc);
	g_ptr_array_extend_and_steal(to, g_steal_pointer(&cc));
	g_autofree char *to_lit = dm_db_array_literal(to);
	const char *p[] = { q->msg->message_id, ids_lit, tickets_lit, q->msg->from.addr,
			    q->bounced_id ? q->bounced_id : "", I64(b3, q->key_agent), to_lit };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_ROUTE_FACTS, 7, p, &res);
	if (st != DM_OK)
		return st;
	for (int r = 0; r < PQntuples(res); r++)
		route_fact(res, r, f);
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
	return dm_db_write(db, SQL_INSERT_PARTICIPANT, 3, p);
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

/* Values above this size are streamed with COPY (see dm_db_copy_begin):
 * below it one INSERT is one round trip less. */
#define STREAM_MIN (256 * 1024)
static const char SQL_COPY_RAW[] = "COPY raw_messages (message_id, raw) FROM STDIN (FORMAT binary)";
static const char SQL_COPY_ATTACHMENT[] =
	"COPY attachments (message_id, position, filename, content_type, disposition,"
	" content_id, size, sha256, from_tnef, content) FROM STDIN (FORMAT binary)";

#define TEXT_FIELD(s) ((struct dm_copy_field) { (s), (s) ? strlen(s) : 0 })

/* One row through COPY: FIELDS in the binary format of their columns. */
static enum dm_status
copy_one(struct dm_db *db, const char *sql, const struct dm_copy_field *fields, int n)
{
	enum dm_status st = dm_db_copy_begin(db, sql);
	if (st != DM_OK)
		return st;
	st = dm_db_copy_row(db, fields, n);
	enum dm_status end = dm_db_copy_end(db, st == DM_OK);
	return st != DM_OK ? st : end;
}

static enum dm_status
store_attachments(struct dm_db *db, gint64 row, const struct dm_message *msg)
{
	char b1[24], b2[24], b3[24];
	for (guint i = 0; i < msg->attachments->len; i++) {
		struct dm_attachment *a = msg->attachments->pdata[i];
		gsize len;
		const char *data = g_bytes_get_data(a->content, &len);
		enum dm_status st;
		if (len > STREAM_MIN) {
			gint64 be_row = GINT64_TO_BE(row), be_size = GINT64_TO_BE((gint64) len);
			gint32 be_pos = GINT32_TO_BE((gint32) i);
			guint8 tnef = a->from_tnef ? 1 : 0;
			struct dm_copy_field f[] = {
				{ &be_row, 8 }, { &be_pos, 4 }, TEXT_FIELD(a->filename), TEXT_FIELD(a->content_type),
				TEXT_FIELD(a->disposition), TEXT_FIELD(a->content_id), { &be_size, 8 },
				TEXT_FIELD(a->sha256), { &tnef, 1 }, { data, len },
			};
			st = copy_one(db, SQL_COPY_ATTACHMENT, f, G_N_ELEMENTS(f));
		} else {
			const char *p[] = { I64(b1, row), I64(b2, i), a->filename, a->content_type,
					    a->disposition, a->content_id, I64(b3, len), a->sha256,
					    a->from_tnef ? "true" : "false", data ? data : "" };
			int lens[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, (int) len };
			int fmts[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
			st = dm_db_write_bin(db, SQL_INSERT_ATTACHMENT, 10, p, lens, fmts);
		}
		if (st != DM_OK)
			return st;
	}
	return DM_OK;
}

enum dm_status
dm_store_message(struct dm_db *db, const struct dm_stored_message *m, gint64 *row)
{
	const struct dm_message *msg = m->msg;
	char b1[24], b2[24], b3[24], b4[24], b5[24], b6[24];
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
			    msg ? msg->in_reply_to : m->in_reply_to,
			    m->text_override ? m->text_override : msg ? msg->text : m->text,
			    I64(b4, msg ? msg->flags : 0), I64(b5, size), m->envelope_from, m->recipient,
			    m->agent ? I64(b6, m->agent) : NULL };
	g_autoptr(PGresult) res = NULL;
	if ((st = dm_db_query(db, SQL_INSERT_MESSAGE, 19, p, &res)) != DM_OK)
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
		if ((st = dm_db_write(db, SQL_INSERT_REFS, 2, q)) != DM_OK)
			return st;
	}
	if (raw) {
		gsize raw_len;
		const char *data = g_bytes_get_data(raw, &raw_len);
		if (raw_len > STREAM_MIN) {
			gint64 be_row = GINT64_TO_BE(*row);
			struct dm_copy_field f[] = { { &be_row, 8 }, { data, raw_len } };
			st = copy_one(db, SQL_COPY_RAW, f, 2);
		} else {
			const char *q[] = { I64(b1, *row), data ? data : "" };
			int lens[] = { 0, (int) raw_len };
			int fmts[] = { 0, 1 };
			st = dm_db_write_bin(db, SQL_INSERT_RAW, 2, q, lens, fmts);
		}
		if (st != DM_OK)
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
	return dm_db_write(db, SQL_INSERT_EVENT, 7, p);
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
	return dm_db_write(db, SQL_ACK_SENT, 1, p);
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

static const char SQL_TICKET_FACTS[] =
	"SELECT t.subject, t.status, t.priority, coalesce(t.language, ''), coalesce(tm.name, ''),"
	" coalesce(t.topic, ''), t.queue, coalesce(c.address, ''), coalesce(c.name, ''),"
	" coalesce(t.team_id, 0), coalesce(t.assignee_id, 0),"
	" coalesce(extract(epoch FROM t.due_at)::bigint, 0), t.first_response_at IS NOT NULL "
	"FROM tickets t LEFT JOIN teams tm ON tm.id = t.team_id LEFT JOIN contacts c ON c.id = t.requester_id "
	"WHERE t.id = $1";
static const char SQL_NOTIFY_RECIPIENTS[] =
	"SELECT a.address, a.name, a.id FROM agents a JOIN tickets t ON t.id = $1 "
	"WHERE a.active AND a.id <> $2 AND CASE WHEN t.assignee_id IS NOT NULL"
	" AND EXISTS (SELECT 1 FROM agents x WHERE x.id = t.assignee_id AND x.active)"
	" THEN a.id = t.assignee_id ELSE a.team_id = t.team_id END ORDER BY a.address";
static const char SQL_NOTE_RECIPIENTS[] =
	"SELECT a.address, a.name, a.id FROM agents a WHERE a.active AND a.id <> $2 AND"
	" (a.id = (SELECT assignee_id FROM tickets WHERE id = $1)"
	"  OR a.id IN (SELECT agent_id FROM messages WHERE ticket_id = $1 AND agent_id IS NOT NULL)) "
	"ORDER BY a.address";
static const char SQL_CUSTOMER_RECIPIENTS[] =
	"SELECT c.address, c.name, 0 FROM participants p JOIN contacts c ON c.id = p.contact_id "
	"WHERE p.ticket_id = $1 AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.address = c.address) "
	"ORDER BY p.role = 'requester' DESC, p.added_at, c.address";
static const char SQL_CUSTOMER_IDS[] =
	"SELECT message_id FROM (SELECT id, message_id FROM messages WHERE ticket_id = $1"
	" AND direction = 'in' AND kind = 'customer' ORDER BY id DESC LIMIT 20) s ORDER BY id";
static const char SQL_FIRST_RESPONSE[] =
	"UPDATE tickets SET first_response_at = now() WHERE id = $1 AND first_response_at IS NULL";
static const char SQL_SET_TEAM[] = "UPDATE tickets SET team_id = $2 WHERE id = $1";
/* Each field: read the old value as text, then set the new one. */
static const char SQL_OLD_FIELDS[] =
	"SELECT t.status, t.priority, coalesce(t.topic, ''), coalesce(tm.name, ''), coalesce(a.address, '') "
	"FROM tickets t LEFT JOIN teams tm ON tm.id = t.team_id LEFT JOIN agents a ON a.id = t.assignee_id "
	"WHERE t.id = $1 FOR UPDATE OF t";
static const char SQL_SET_PRIORITY[] = "UPDATE tickets SET priority = $2, updated_at = now() WHERE id = $1";
static const char SQL_SET_TOPIC[] = "UPDATE tickets SET topic = $2, updated_at = now() WHERE id = $1";
static const char SQL_SET_TEAM_BY_NAME[] =
	"UPDATE tickets SET team_id = (SELECT id FROM teams WHERE name = $2), updated_at = now() WHERE id = $1";
static const char SQL_SET_ASSIGNEE[] =
	"UPDATE tickets SET assignee_id = $2::bigint, updated_at = now() WHERE id = $1";
static const char SQL_SET_STATUS_FULL[] =
	"UPDATE tickets SET status = $2, updated_at = now(),"
	" resolved_at = CASE WHEN $2 IN ('resolved', 'closed') THEN coalesce(resolved_at, now()) END,"
	" closed_at = CASE WHEN $2 = 'closed' THEN coalesce(closed_at, now()) END "
	"WHERE id = $1";

void
dm_ticket_facts_clear(struct dm_ticket_facts *f)
{
	g_free(f->subject);
	g_free(f->status);
	g_free(f->priority);
	g_free(f->language);
	g_free(f->team);
	g_free(f->topic);
	g_free(f->queue);
	g_free(f->requester);
	g_free(f->requester_name);
	memset(f, 0, sizeof *f);
}

enum dm_status
dm_store_ticket_facts(struct dm_db *db, gint64 ticket, struct dm_ticket_facts *f)
{
	char b[24];
	const char *p[] = { I64(b, ticket) };
	g_autoptr(PGresult) res = NULL;
	memset(f, 0, sizeof *f);
	enum dm_status st = dm_db_query(db, SQL_TICKET_FACTS, 1, p, &res);
	if (st != DM_OK)
		return st;
	if (PQntuples(res) == 0)
		return DM_NOTFOUND;
	f->id = ticket;
	f->subject = g_strdup(PQgetvalue(res, 0, 0));
	f->status = g_strdup(PQgetvalue(res, 0, 1));
	f->priority = g_strdup(PQgetvalue(res, 0, 2));
	f->language = g_strdup(PQgetvalue(res, 0, 3));
	f->team = g_strdup(PQgetvalue(res, 0, 4));
	f->topic = g_strdup(PQgetvalue(res, 0, 5));
	f->queue = g_strdup(PQgetvalue(res, 0, 6));
	f->requester = g_strdup(PQgetvalue(res, 0, 7));
	f->requester_name = g_strdup(PQgetvalue(res, 0, 8));
	f->team_id = to_i64(PQgetvalue(res, 0, 9));
	f->assignee_id = to_i64(PQgetvalue(res, 0, 10));
	f->due_at = to_i64(PQgetvalue(res, 0, 11));
	f->first_response = strcmp(PQgetvalue(res, 0, 12), "t") == 0;
	return DM_OK;
}

void
dm_recipient_free(struct dm_recipient *r)
{
	if (r == NULL)
		return;
	g_free(r->address);
	g_free(r->name);
	g_free(r);
}

static enum dm_status
recipients(struct dm_db *db, const char *sql, int n, const char *const *p, GPtrArray **out)
{
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, sql, n, p, &res);
	if (st != DM_OK)
		return st;
	*out = g_ptr_array_new_with_free_func((GDestroyNotify) dm_recipient_free);
	for (int r = 0; r < PQntuples(res); r++) {
		struct dm_recipient *x = g_new0(struct dm_recipient, 1);
		x->address = g_strdup(PQgetvalue(res, r, 0));
		x->name = g_strdup(PQgetvalue(res, r, 1));
		x->agent = to_i64(PQgetvalue(res, r, 2));
		g_ptr_array_add(*out, x);
	}
	return DM_OK;
}

enum dm_status
dm_store_notify_recipients(struct dm_db *db, gint64 ticket, gint64 exclude_agent, GPtrArray **out)
{
	char b1[24], b2[24];
	const char *p[] = { I64(b1, ticket), I64(b2, exclude_agent) };
	return recipients(db, SQL_NOTIFY_RECIPIENTS, 2, p, out);
}

enum dm_status
dm_store_note_recipients(struct dm_db *db, gint64 ticket, gint64 exclude_agent, GPtrArray **out)
{
	char b1[24], b2[24];
	const char *p[] = { I64(b1, ticket), I64(b2, exclude_agent) };
	return recipients(db, SQL_NOTE_RECIPIENTS, 2, p, out);
}

enum dm_status
dm_store_customer_recipients(struct dm_db *db, gint64 ticket, GPtrArray **out)
{
	char b1[24];
	const char *p[] = { I64(b1, ticket) };
	return recipients(db, SQL_CUSTOMER_RECIPIENTS, 1, p, out);
}

enum dm_status
dm_store_customer_ids(struct dm_db *db, gint64 ticket, GPtrArray **out)
{
	char b1[24];
	const char *p[] = { I64(b1, ticket) };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_CUSTOMER_IDS, 1, p, &res);
	if (st != DM_OK)
		return st;
	*out = g_ptr_array_new_with_free_func(g_free);
	for (int r = 0; r < PQntuples(res); r++)
		g_ptr_array_add(*out, g_strdup(PQgetvalue(res, r, 0)));
	return DM_OK;
}

enum dm_status
dm_store_first_response(struct dm_db *db, gint64 ticket)
{
	char b1[24];
	const char *p[] = { I64(b1, ticket) };
	return dm_db_query(db, SQL_FIRST_RESPONSE, 1, p, NULL);
}

enum dm_status
dm_store_set_team(struct dm_db *db, gint64 ticket, gint64 team_id)
{
	char b1[24], b2[24];
	const char *p[] = { I64(b1, ticket), I64(b2, team_id) };
	return dm_db_write(db, SQL_SET_TEAM, 2, p);
}

enum dm_status
dm_store_set_field(struct dm_db *db, gint64 ticket, gint64 message_row, const char *actor, const char *field,
		   const char *value, const char *shown)
{
	char b1[24];
	const char *p[] = { I64(b1, ticket), value };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_OLD_FIELDS, 1, p, &res);
	if (st != DM_OK)
		return st;
	if (PQntuples(res) == 0)
		return DM_NOTFOUND;
	static const char *const fields[] = { "status", "priority", "topic", "team", "assign" };
	static const char *const sql[] = { SQL_SET_STATUS_FULL, SQL_SET_PRIORITY, SQL_SET_TOPIC,
					   SQL_SET_TEAM_BY_NAME, SQL_SET_ASSIGNEE };
	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
		if (strcmp(field, fields[i]) != 0)
			continue;
		const char *old = PQgetvalue(res, 0, (int) i);
		const char *now = shown ? shown : value;
		if (strcmp(old, now ? now : "") == 0)
			return DM_OK; /* no change, no event */
		if ((st = dm_db_query(db, sql[i], 2, p, NULL)) != DM_OK)
			return st;
		return dm_store_event(db, ticket, message_row, actor, field, *old ? old : NULL, now, NULL);
	}
	return DM_INTERNAL;
}

static const char SQL_ENSURE_TEAM[] = "INSERT INTO teams (name) VALUES ($1) ON CONFLICT (name) DO NOTHING";
static const char SQL_CLASSIFY[] =
	"UPDATE tickets SET topic = $2, priority = $3, topic_confidence = $4::real, classified_by = $5,"
	" team_id = coalesce((SELECT id FROM teams WHERE name = $6), team_id) WHERE id = $1";
static const char SQL_FIRST_TEXT[] =
	"SELECT m.subject, m.body_text, coalesce(t.language, '') FROM messages m JOIN tickets t ON t.id = m.ticket_id "
	"WHERE m.ticket_id = $1 AND m.direction = 'in' AND m.kind IN ('customer', 'agent') ORDER BY m.id LIMIT 1";

enum dm_status
dm_store_classification(struct dm_db *db, gint64 ticket, const char *topic, const char *priority, double confidence,
			const char *by, const char *team)
{
	char b1[24], conf[G_ASCII_DTOSTR_BUF_SIZE];
	enum dm_status st;
	if (team) {
		/* The topic's team may not exist yet. */
		const char *pt[] = { team };
		if ((st = dm_db_write(db, SQL_ENSURE_TEAM, 1, pt)) != DM_OK)
			return st;
	}
	const char *p[] = { I64(b1, ticket), topic, priority, g_ascii_dtostr(conf, sizeof conf, confidence), by, team };
	if ((st = dm_db_query(db, SQL_CLASSIFY, 6, p, NULL)) != DM_OK)
		return st;
	g_autofree char *detail = g_strdup_printf("%s, priority %s, confidence %.2f", by, priority, confidence);
	return dm_store_event(db, ticket, 0, "deskmail", "classified", NULL, topic, detail);
}

enum dm_status
dm_store_first_text(struct dm_db *db, gint64 ticket, char **subject, char **text, char **language)
{
	char b1[24];
	const char *p[] = { I64(b1, ticket) };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_FIRST_TEXT, 1, p, &res);
	if (st != DM_OK)
		return st;
	if (PQntuples(res) == 0)
		return DM_NOTFOUND;
	*subject = g_strdup(PQgetvalue(res, 0, 0));
	*text = g_strdup(PQgetvalue(res, 0, 1));
	*language = g_strdup(PQgetvalue(res, 0, 2));
	return DM_OK;
}
