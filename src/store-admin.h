/* store-admin.h - what the admin commands read about tickets, contacts and
 * the database as a whole (`ticket list|show`, `contact show`, `db
 * status`).  Values are text, formatted for display by PostgreSQL in the
 * desk's time zone; "-" stands for none where the command shows it so. */
#ifndef DM_STORE_ADMIN_H
#define DM_STORE_ADMIN_H

#include <glib.h>

#include "db.h"

/* `ticket list` filters; NULL means any.  Borrowed. */
struct dm_ticket_filter {
	const char *status, *topic, *team, *assignee, *since;
	int limit;
};

struct dm_ticket_row {
	char *id, *status, *priority, *topic, *team, *assignee, *requester, *created, *subject;
};
void dm_ticket_row_free(struct dm_ticket_row *row);

/* The newest tickets matching F (struct dm_ticket_row*), times in
 * TIMEZONE.  Caller frees *OUT with g_ptr_array_unref. */
enum dm_status dm_store_ticket_list(struct dm_db *db, const struct dm_ticket_filter *f,
				    const char *timezone, GPtrArray **out);

struct dm_ticket_summary {
	char *id, *subject, *status, *priority, *topic, *team, *assignee, *requester, *requester_name,
		*language, *queue, *created, *due, *first_response, *related;
	char *cc; /* the Cc participants' addresses, ", " between them; "-" when none */
};
void dm_ticket_summary_free(struct dm_ticket_summary *s);
typedef struct dm_ticket_summary DmTicketSummary;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmTicketSummary, dm_ticket_summary_free)

/* Ticket ID as `ticket show` heads it; DM_NOTFOUND when there is none.
 * Caller frees *OUT with dm_ticket_summary_free. */
enum dm_status dm_store_ticket_summary(struct dm_db *db, gint64 id, const char *timezone,
				       struct dm_ticket_summary **out);

/* One line of a ticket's history: a message (with its text) or an event. */
struct dm_timeline_entry {
	char *at; /* YYYY-MM-DD HH:MI:SS... */
	gboolean message;
	char *line;
	char *body; /* the message's text; NULL for events */
};
void dm_timeline_entry_free(struct dm_timeline_entry *e);

/* Messages and events of ticket ID interleaved in time order (struct
 * dm_timeline_entry*).  Caller frees *OUT with g_ptr_array_unref. */
enum dm_status dm_store_ticket_timeline(struct dm_db *db, gint64 id, GPtrArray **out);

/* One attachment of a ticket's mail, as `ticket show` lists it. */
struct dm_attachment_row {
	char *id;      /* the attachments row id */
	char *message; /* the messages row id of the mail that carried it */
	char *name, *type, *size, *sha256;
};
void dm_attachment_row_free(struct dm_attachment_row *a);

/* The attachments of ticket ID's messages (struct dm_attachment_row*) in
 * the order they arrived; only those called NAME when NAME is not NULL.
 * Caller frees *OUT with g_ptr_array_unref. */
enum dm_status dm_store_ticket_attachments(struct dm_db *db, gint64 id, const char *name, GPtrArray **out);

/* The decoded content of attachment ATTACHMENT (a row id as text) of
 * ticket ID; DM_NOTFOUND when the ticket has no such attachment.  Caller
 * frees *OUT with g_bytes_unref. */
enum dm_status dm_store_attachment_content(struct dm_db *db, gint64 id, const char *attachment, GBytes **out);

/* The mail of ticket ID as it arrived, byte for byte (raw_messages).
 * MESSAGE is a messages row id (digits), a Message-ID (with or without
 * <>), or NULL for the ticket's first incoming mail.  DM_NOTFOUND when
 * there is no such message or no stored copy of it.  Caller frees *OUT
 * with g_bytes_unref. */
enum dm_status dm_store_ticket_raw(struct dm_db *db, gint64 id, const char *message, GBytes **out);

struct dm_contact_summary {
	char *address, *name, *language, *failing_since, *bounces, *created;
};
void dm_contact_summary_free(struct dm_contact_summary *c);
typedef struct dm_contact_summary DmContactSummary;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmContactSummary, dm_contact_summary_free)

/* A contact's tickets as requester or cc. */
struct dm_contact_ticket {
	char *id, *role, *status, *created, *subject;
};
void dm_contact_ticket_free(struct dm_contact_ticket *t);

/* The contact ADDRESS (normalised) and its 50 newest tickets (struct
 * dm_contact_ticket*); DM_NOTFOUND when there is no such contact.
 * Caller frees *OUT with dm_contact_summary_free and *TICKETS with
 * g_ptr_array_unref. */
enum dm_status dm_store_contact_show(struct dm_db *db, const char *address,
				     struct dm_contact_summary **out, GPtrArray **tickets);

/* `db status`'s counts: tickets, open tickets, messages, queued mail, and
 * the database size in words.  Caller clears *OUT with dm_db_counts_clear. */
struct dm_db_counts {
	char *tickets, *open, *messages, *queued, *size;
};
void dm_db_counts_clear(struct dm_db_counts *c);
enum dm_status dm_store_db_counts(struct dm_db *db, struct dm_db_counts *out);

#endif
