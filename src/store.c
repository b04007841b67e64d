/* store.c - write one incoming message in one transaction.
 *
 * The order inside the transaction matters: an advisory lock on the
 * Message-ID first, so two deliveries of the same message (an MTA retry
 * racing the first attempt) serialise and the second sees the first's
 * rows; then the duplicate check; then the rows. */
#include "dm-autoconf.h"

#include <string.h>

#include "log.h"
#include "store.h"

static const char SQL_LOCK_MSGID[] = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
static const char SQL_FIND_DUPLICATE[] =
	"SELECT id, ticket_id FROM messages WHERE message_id = $1 AND direction = 'in'";
static const char SQL_UPSERT_CONTACT[] =
	"INSERT INTO contacts (address, name) VALUES ($1, $2) "
	"ON CONFLICT (address) DO UPDATE SET "
	" name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE contacts.name END,"
	" updated_at = now() "
	"RETURNING id";
static const char SQL_INSERT_TICKET[] =
	"INSERT INTO tickets (subject, requester_id, queue) VALUES ($1, $2, $3) RETURNING id";
static const char SQL_INSERT_PARTICIPANT[] =
	"INSERT INTO participants (ticket_id, contact_id, role) VALUES ($1, $2, $3) "
	"ON CONFLICT DO NOTHING";
static const char SQL_INSERT_MESSAGE[] =
	"INSERT INTO messages (ticket_id, message_id, direction, kind, threaded_by, contact_id,"
	" from_addr, from_name, to_addrs, cc_addrs, subject, sent_at, in_reply_to, body_text,"
	" flags, size, envelope_from, recipient) "
	"VALUES ($1, $2, 'in', $3, $4, $5, $6, $7, $8::text[], $9::text[], $10,"
	" to_timestamp($11::double precision), $12, $13, $14, $15, $16, $17) RETURNING id";
static const char SQL_INSERT_REFS[] =
	"INSERT INTO message_refs (message_id, ref, position) "
	"SELECT $1, r.ref, r.ord - 1 FROM unnest($2::text[]) WITH ORDINALITY AS r(ref, ord) "
	"ON CONFLICT DO NOTHING";
static const char SQL_INSERT_RAW[] = "INSERT INTO raw_messages (message_id, raw) VALUES ($1, $2)";
static const char SQL_INSERT_ATTACHMENT[] =
	"INSERT INTO attachments (message_id, position, filename, content_type, disposition,"
	" content_id, size, sha256, from_tnef, content) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
static const char SQL_INSERT_EVENT[] =
	"INSERT INTO events (ticket_id, message_id, actor, kind, old_value, new_value, detail) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7)";

#define I64(buf, v) (g_snprintf((buf), sizeof(buf), "%" G_GINT64_FORMAT, (gint64) (v)), (buf))

static enum dm_status
insert_event(struct dm_db *db, gint64 ticket, gint64 message, const char *actor, const char *kind,
	     const char *old_value, const char *new_value, const char *detail)
{
	char t[24], m[24];
	const char *p[] = { I64(t, ticket), message ? I64(m, message) : NULL, actor, kind,
			    old_value, new_value, detail };
	return dm_db_query(db, SQL_INSERT_EVENT, 7, p, NULL);
}

static GPtrArray *
address_strings(GPtrArray *addresses)
{
	GPtrArray *out = g_ptr_array_new();
	for (guint i = 0; i < addresses->len; i++) {
		struct dm_address *a = addresses->pdata[i];
		if (a->addr[0])
			g_ptr_array_add(out, a->addr);
	}
	return out;
}

/* One attempt at the whole transaction. */
static enum dm_status
store_once(struct dm_db *db, const struct dm_config *cfg, const struct dm_delivery *d,
	   struct dm_store_result *out)
{
	const struct dm_message *msg = d->msg;
	g_autoptr(PGresult) res = NULL;
	enum dm_status st;
	char b1[24], b2[24], b3[24], b4[24], b5[24];

	memset(out, 0, sizeof *out);
	if ((st = dm_db_begin(db)) != DM_OK)
		return st;

	const char *idp[] = { msg->message_id };
	if ((st = dm_db_query(db, SQL_LOCK_MSGID, 1, idp, NULL)) != DM_OK)
		goto fail;
	if ((st = dm_db_query(db, SQL_FIND_DUPLICATE, 1, idp, &res)) != DM_OK)
		goto fail;
	if (PQntuples(res) > 0) {
		out->duplicate = TRUE;
		out->message_row = g_ascii_strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		out->ticket_id = g_ascii_strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		dm_db_rollback(db);
		return DM_OK;
	}
	g_clear_pointer(&res, PQclear);

	/* The requester. */
	gint64 contact = 0;
	if (msg->from.addr[0]) {
		const char *p[] = { msg->from.addr, msg->from.name };
		if ((st = dm_db_query(db, SQL_UPSERT_CONTACT, 2, p, &res)) != DM_OK)
			goto fail;
		contact = g_ascii_strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		g_clear_pointer(&res, PQclear);
	}

	/* A new ticket: threading onto existing tickets comes later. */
	const char *queue = d->recipient && *d->recipient ? d->recipient : cfg->support_address;
	{
		const char *p[] = { msg->subject, contact ? I64(b1, contact) : NULL, queue };
		if ((st = dm_db_query(db, SQL_INSERT_TICKET, 3, p, &res)) != DM_OK)
			goto fail;
		out->ticket_id = g_ascii_strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		out->new_ticket = TRUE;
		g_clear_pointer(&res, PQclear);
	}
	if (contact) {
		const char *p[] = { I64(b1, out->ticket_id), I64(b2, contact), "requester" };
		if ((st = dm_db_query(db, SQL_INSERT_PARTICIPANT, 3, p, NULL)) != DM_OK)
			goto fail;
	}

	/* The message. */
	{
		g_autoptr(GPtrArray) to = address_strings(msg->to);
		g_autoptr(GPtrArray) cc = address_strings(msg->cc);
		g_autofree char *to_lit = dm_db_array_literal(to);
		g_autofree char *cc_lit = dm_db_array_literal(cc);
		gsize size = g_bytes_get_size(msg->raw);
		const char *p[] = { I64(b1, out->ticket_id), msg->message_id, "customer", "new",
				    contact ? I64(b2, contact) : NULL, msg->from.addr, msg->from.name,
				    to_lit, cc_lit, msg->subject,
				    msg->has_date ? I64(b3, msg->date) : NULL, msg->in_reply_to,
				    msg->text, I64(b4, msg->flags), I64(b5, size), d->envelope_from,
				    d->recipient };
		if ((st = dm_db_query(db, SQL_INSERT_MESSAGE, 17, p, &res)) != DM_OK)
			goto fail;
		out->message_row = g_ascii_strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		g_clear_pointer(&res, PQclear);
	}

	/* Threading references: In-Reply-To at position 0, then References. */
	{
		g_autoptr(GPtrArray) refs = g_ptr_array_new();
		g_ptr_array_add(refs, msg->in_reply_to ? msg->in_reply_to : "");
		for (guint i = 0; i < msg->references->len; i++)
			g_ptr_array_add(refs, msg->references->pdata[i]);
		if (refs->len > 1 || msg->in_reply_to) {
			g_autofree char *lit = dm_db_array_literal(refs);
			const char *p[] = { I64(b1, out->message_row), lit };
			if ((st = dm_db_query(db, SQL_INSERT_REFS, 2, p, NULL)) != DM_OK)
				goto fail;
		}
	}

	/* The raw message, as bytes (binary parameter: it may hold NULs). */
	{
		gsize raw_len;
		const char *raw = g_bytes_get_data(msg->raw, &raw_len);
		const char *p[] = { I64(b1, out->message_row), raw };
		int lens[] = { 0, (int) raw_len };
		int fmts[] = { 0, 1 };
		if ((st = dm_db_query_bin(db, SQL_INSERT_RAW, 2, p, lens, fmts, NULL)) != DM_OK)
			goto fail;
	}

	for (guint i = 0; i < msg->attachments->len; i++) {
		struct dm_attachment *a = msg->attachments->pdata[i];
		gsize len;
		const char *data = g_bytes_get_data(a->content, &len);
		const char *p[] = { I64(b1, out->message_row), I64(b2, i), a->filename, a->content_type,
				    a->disposition, a->content_id, I64(b3, len), a->sha256,
				    a->from_tnef ? "true" : "false", data ? data : "" };
		int lens[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, (int) len };
		int fmts[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
		if ((st = dm_db_query_bin(db, SQL_INSERT_ATTACHMENT, 10, p, lens, fmts, NULL)) != DM_OK)
			goto fail;
	}

	if ((st = insert_event(db, out->ticket_id, out->message_row, msg->from.addr, "created", NULL,
			       "new", NULL)) != DM_OK)
		goto fail;

	if ((st = dm_db_commit(db)) != DM_OK)
		goto fail;
	return DM_OK;
fail:
	dm_db_rollback(db);
	return st;
}

enum dm_status
dm_store_incoming(struct dm_db *db, const struct dm_config *cfg, const struct dm_delivery *d,
		  struct dm_store_result *out)
{
	enum dm_status st = DM_OK;
	for (int attempt = 0; attempt < 3; attempt++) {
		st = store_once(db, cfg, d, out);
		if (st == DM_OK || !dm_db_retryable(db))
			break;
		dm_log_warn("retrying after %s: %s", dm_db_sqlstate(db), dm_db_error(db));
	}
	return st;
}
