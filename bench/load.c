/* load.c - rows for a preloaded deskmail database, in COPY text format.
 *
 *   load -t TABLE -n TICKETS [-s SEED] [-j labelled-dev.jsonl]
 *
 * prints the rows of TABLE (contacts, tickets, participants, messages,
 * message_refs, events, outbox, ack_log) for a desk that has handled
 * TICKETS tickets over three years, with explicit ids 1..; bench/run pipes
 * each table into its own "COPY TABLE (COLUMNS) FROM STDIN" (the columns
 * are printed by "load -t TABLE -c").  Every ticket's shape (messages,
 * events, status, times, requester) derives from SEED and its number only,
 * so the tables can be produced one at a time and still agree.
 *
 * A ticket: the customer's mail, the acknowledgement, usually an agent's
 * answer, often a customer's reply with In-Reply-To/References, sometimes
 * more; events for every change; most old tickets closed.  Sizes follow
 * what deliver stores (body texts of a few hundred bytes to a few KB, the
 * acknowledgement as sent in the outbox).  Raw messages and attachments
 * are not preloaded: they are keyed by message id only and never read
 * by deliver. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One writer: the unlocked stdio calls are several times faster. */
#define putchar putchar_unlocked
#define fputs fputs_unlocked

static uint64_t seed = 20261123;
static uint64_t st;
static uint64_t
rnd(void)
{
	uint64_t z = (st += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static unsigned
rndn(unsigned n)
{
	return (unsigned) (rnd() % n);
}

/* ---- texts: subjects and bodies of the labelled set, or built-ins */
struct text {
	char lang[4];
	char *subject, *body, *from;
};
static struct text *texts;
static size_t ntexts;

static char *
json_get(const char *line, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(line, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p++ != '"')
		return NULL;
	char *out = malloc(strlen(p) + 1), *o = out;
	while (*p && *p != '"') {
		if (*p == '\\') {
			p++;
			if (*p == 'n')
				*o++ = '\n';
			else if (*p == 't')
				*o++ = '\t';
			else if (*p == 'u') {
				/* Rare in the set: keep a placeholder. */
				*o++ = '?';
				p += 4;
			} else
				*o++ = *p;
			p++;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static void
load_texts(const char *file)
{
	FILE *f = file ? fopen(file, "r") : NULL;
	if (f) {
		char *line = NULL;
		size_t len = 0;
		while (getline(&line, &len, f) > 0) {
			char *lang = json_get(line, "language"), *subject = json_get(line, "subject");
			char *body = json_get(line, "body"), *from = json_get(line, "from");
			if (!lang || !subject || !body || !from)
				continue;
			texts = realloc(texts, (ntexts + 1) * sizeof *texts);
			snprintf(texts[ntexts].lang, 4, "%s", lang);
			texts[ntexts].subject = subject;
			texts[ntexts].body = body;
			texts[ntexts].from = from;
			ntexts++;
			free(lang);
		}
		free(line);
		fclose(f);
	}
	if (ntexts == 0) {
		static struct text builtin[] = {
			{ "en", "Printer in the reading room does not print", "Hello,\n\nthe printer in the reading room has not printed since this morning. We restarted it twice.\n\nRegards,\nAnn", "ann.smith@example.com" },
			{ "sl", "Tiskalnik ne tiska", "Dober dan,\n\ntiskalnik v čitalnici ne tiska že od jutra. Dvakrat smo ga ponovno zagnali.\n\nLep pozdrav,\nAna", "ana.novak@example.si" },
			{ "fi", "Tulostin ei toimi", "Hei,\n\nlukusalin tulostin ei ole tulostanut aamusta asti. Käynnistimme sen kahdesti uudelleen.\n\nTerveisin\nAino", "aino.virtanen@example.fi" },
			{ "hu", "Nem nyomtat a nyomtató", "Jó napot!\n\nAz olvasóterem nyomtatója reggel óta nem nyomtat. Kétszer újraindítottuk.\n\nÜdvözlettel,\nAnna", "kovacs.anna@example.hu" },
		};
		texts = builtin;
		ntexts = 4;
	}
}

/* ---- COPY text format */
static void
esc(const char *s)
{
	if (s == NULL) {
		fputs("\\N", stdout);
		return;
	}
	for (; *s; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		default: putchar(*s);
		}
	}
}
static void
tab(void)
{
	putchar('\t');
}
static void
ts(long long t)
{
	if (t == 0) {
		fputs("\\N", stdout);
		return;
	}
	time_t tt = (time_t) t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	char b[40];
	strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S+00", &tm);
	fputs(b, stdout);
}
static void
bytea(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	fputs("\\\\x", stdout);
	for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
		putchar(hex[*p >> 4]);
		putchar(hex[*p & 15]);
	}
}

/* ---- the shape of one ticket */
#define MAXM 8
struct msg {
	int in;            /* direction in (customer) or out */
	const char *kind;  /* customer, auto, agent */
	long long at;
	char id[96];
};
struct shape {
	long long created;
	const struct text *tx;
	long long contact, cc_contact;
	const char *status;
	int nmsg;
	struct msg m[MAXM];
	long long first_response, resolved, closed, due;
};

static long long n_tickets, n_contacts;
static long long now_t;

static void
contact_addr(long long c, char *out, size_t n, char *name, size_t nn)
{
	const struct text *tx = &texts[(size_t) (c % (long long) ntexts)];
	const char *at = strchr(tx->from, '@');
	int local = at ? (int) (at - tx->from) : (int) strlen(tx->from);
	snprintf(out, n, "%.*s.%lld%s", local, tx->from, c, at ? at : "@example.com");
	if (name) {
		size_t j = 0;
		int up = 1;
		for (int i = 0; i < local && j + 1 < nn; i++) {
			char ch = tx->from[i];
			if (ch == '.' || ch == '_') {
				name[j++] = ' ';
				up = 1;
			} else {
				name[j++] = up && ch >= 'a' && ch <= 'z' ? (char) (ch - 32) : ch;
				up = 0;
			}
		}
		name[j] = '\0';
	}
}

static void
shape_of(long long t, struct shape *s)
{
	st = seed * 0x100000001b3ULL ^ (uint64_t) t * 0x9e3779b97f4a7c15ULL;
	rnd();
	memset(s, 0, sizeof *s);
	long long span = 3LL * 365 * 86400;
	s->created = now_t - span + (long long) ((double) span * (double) (t - 1) / (double) n_tickets) + rndn(600);
	s->tx = &texts[rndn((unsigned) ntexts)];
	s->contact = 1 + (long long) (rnd() % (uint64_t) n_contacts);
	s->cc_contact = rndn(10) == 0 ? 1 + (long long) (rnd() % (uint64_t) n_contacts) : 0;
	if (s->cc_contact == s->contact)
		s->cc_contact = 0;
	long long age = now_t - s->created;
	unsigned r = rndn(100);
	if (age > 30LL * 86400)
		s->status = r < 88 ? "closed" : r < 97 ? "resolved" : r < 99 ? "pending" : "open";
	else
		s->status = r < 30 ? "closed" : r < 55 ? "resolved" : r < 70 ? "pending" : r < 90 ? "open" : "new";
	long long at = s->created;
	int k = 0;
	s->m[k].in = 1, s->m[k].kind = "customer", s->m[k].at = at, k++;
	s->m[k].in = 0, s->m[k].kind = "auto", s->m[k].at = at + 1, k++;
	s->due = at + 86400;
	if (strcmp(s->status, "new") != 0) {
		at += 600 + rndn(86400);
		s->m[k].in = 0, s->m[k].kind = "agent", s->m[k].at = at, k++;
		s->first_response = at;
		int more = rndn(100) < 45 ? 1 + (int) rndn(3) : 0;
		for (int i = 0; i < more && k + 2 <= MAXM; i++) {
			at += 1800 + rndn(172800);
			s->m[k].in = 1, s->m[k].kind = "customer", s->m[k].at = at, k++;
			if (rndn(100) < 80) {
				at += 600 + rndn(86400);
				s->m[k].in = 0, s->m[k].kind = "agent", s->m[k].at = at, k++;
			}
		}
	}
	s->nmsg = k;
	for (int i = 0; i < k; i++) {
		if (s->m[i].in)
			snprintf(s->m[i].id, sizeof s->m[i].id, "%llx.%d.%08x@mail%u.%s", (long long) t, i,
				 (unsigned) (rnd() & 0xffffffff), (unsigned) (t % 97), strchr(s->tx->from, '@') ? strchr(s->tx->from, '@') + 1 : "example.com");
		else
			snprintf(s->m[i].id, sizeof s->m[i].id, "deskmail.%016llx%08x@example.org",
				 (unsigned long long) rnd(), (unsigned) (rnd() & 0xffffffff));
	}
	if (!strcmp(s->status, "resolved") || !strcmp(s->status, "closed"))
		s->resolved = at + 3600 + rndn(86400 * 3);
	if (!strcmp(s->status, "closed"))
		s->closed = s->resolved + 86400 * 7;
}

static const char *
ack_text(const char *lang)
{
	if (!strcmp(lang, "sl"))
		return "Spoštovani,\n\nzahvaljujemo se vam za sporočilo. Vašo zahtevo smo prejeli in jo evidentirali. "
		       "Odgovorili vam bomo najkasneje do naslednjega delovnega dne.\n\nČe želite karkoli dodati, "
		       "preprosto odgovorite na to sporočilo in ohranite oznako v zadevi.\n\nTo sporočilo je bilo "
		       "poslano samodejno.\n\nLep pozdrav,\nExample Service Desk\n";
	if (!strcmp(lang, "fi"))
		return "Hei,\n\nkiitos yhteydenotostasi. Olemme vastaanottaneet pyyntösi ja kirjanneet sen. "
		       "Vastaamme viimeistään seuraavana arkipäivänä.\n\nJos haluat lisätä jotain, vastaa tähän "
		       "viestiin ja säilytä tunniste otsikossa.\n\nTämä viesti on lähetetty automaattisesti.\n\n"
		       "Ystävällisin terveisin\nExample Service Desk\n";
	if (!strcmp(lang, "hu"))
		return "Tisztelt Ügyfelünk!\n\nKöszönjük megkeresését. Kérését megkaptuk és nyilvántartásba vettük. "
		       "Legkésőbb a következő munkanapon válaszolunk.\n\nHa bármit hozzá szeretne tenni, válaszoljon "
		       "erre az üzenetre, és a tárgysorban hagyja meg az azonosítót.\n\nEz az üzenet automatikusan "
		       "készült.\n\nÜdvözlettel,\nExample Service Desk\n";
	return "Hello,\n\nThank you for contacting us. We have received your request and registered it. "
	       "We will reply by the next working day.\n\nIf you would like to add anything, simply reply to "
	       "this message. Please keep the tag in the subject line so that your reply is added to the same "
	       "request.\n\nThis message was sent automatically.\n\nKind regards,\nExample Service Desk\n";
}

static const char *const agent_lines[] = {
	"thank you for your patience. We have looked into the problem and found the cause.",
	"the account has been unlocked and the password reset link sent to your address.",
	"we have restarted the print server; the queue in the reading room is working again.",
	"the invoice has been corrected and a new copy is attached to this message.",
	"please clear the browser cache and sign in again; the session cookie had expired.",
};

static void
agent_text(char *out, size_t n, unsigned r)
{
	snprintf(out, n, "Hello,\n\n%s %s\n\nIf anything else comes up, just reply to this message.\n\n"
		 "Best regards,\nMaja Kovač\nExample Service Desk\n",
		 agent_lines[r % 5], agent_lines[(r / 5) % 5]);
}

/* ---- tables */
static void
t_contacts(void)
{
	char addr[160], name[128];
	for (long long c = 1; c <= n_contacts; c++) {
		contact_addr(c, addr, sizeof addr, name, sizeof name);
		long long created = now_t - 3LL * 365 * 86400 + c % (3LL * 365 * 86400);
		const struct text *tx = &texts[(size_t) (c % (long long) ntexts)];
		printf("%lld\t", c);
		esc(addr), tab(), esc(name), tab(), esc(tx->lang), tab();
		fputs(c % 500 == 0 ? "2025-06-01 00:00:00+00" : "\\N", stdout);
		printf("\t%d\t", c % 500 == 0 ? 1 : 0);
		ts(created), tab(), ts(created), putchar('\n');
	}
}

static void
t_tickets(void)
{
	struct shape s;
	for (long long t = 1; t <= n_tickets; t++) {
		shape_of(t, &s);
		printf("%lld\t", t);
		esc(s.tx->subject), tab(), esc(s.status);
		printf("\t%s\t\\N\t\\N\t%s\tsupport@example.org\t%lld\t\\N\t\\N\t\\N\t", rndn(10) ? "normal" : "high",
		       s.tx->lang, s.contact);
		ts(s.created), tab(), ts(s.m[s.nmsg - 1].at), tab(), ts(s.due), tab(), ts(s.first_response), tab(),
			ts(s.resolved), tab(), ts(s.closed), putchar('\n');
	}
}

static void
t_participants(void)
{
	struct shape s;
	for (long long t = 1; t <= n_tickets; t++) {
		shape_of(t, &s);
		printf("%lld\t%lld\trequester\t", t, s.contact), ts(s.created), putchar('\n');
		if (s.cc_contact)
			printf("%lld\t%lld\tcc\t", t, s.cc_contact), ts(s.created), putchar('\n');
	}
}

static void
t_messages(void)
{
	struct shape s;
	long long id = 0;
	char addr[160], name[128], subj[600], body[8192];
	for (long long t = 1; t <= n_tickets; t++) {
		shape_of(t, &s);
		contact_addr(s.contact, addr, sizeof addr, name, sizeof name);
		for (int i = 0; i < s.nmsg; i++) {
			const struct msg *m = &s.m[i];
			id++;
			const char *text;
			if (m->in && i == 0) {
				text = s.tx->body;
			} else if (m->in) {
				snprintf(body, sizeof body, "Thank you, but it still does not work.\n\n%s\n\n> %.*s\n",
					 name, 1500, s.tx->body);
				text = body;
			} else if (!strcmp(m->kind, "auto")) {
				text = ack_text(s.tx->lang);
			} else {
				agent_text(body, sizeof body, rndn(25));
				text = body;
			}
			if (i == 0)
				snprintf(subj, sizeof subj, "%s", s.tx->subject);
			else
				snprintf(subj, sizeof subj, "%s[Support #%lld] %s", m->in ? "Re: " : "", t, s.tx->subject);
			const char *ref = i > 0 ? s.m[i - 1].id : NULL;
			size_t size = strlen(text) + 900 + rndn(1500);
			/* id ticket message_id direction kind threaded_by contact agent from from_name to cc subject
			 * sent_at in_reply_to body flags size envelope_from recipient created_at */
			printf("%lld\t%lld\t", id, t);
			esc(m->id);
			printf("\t%s\t%s\t%s\t", m->in ? "in" : "out", m->kind, i == 0 ? "new" : m->in ? "reply-key" : "new");
			if (m->in)
				printf("%lld\t\\N\t", s.contact), esc(addr), tab(), esc(name);
			else
				fputs("\\N\t\\N\tsupport@example.org\tExample Service Desk", stdout);
			tab();
			if (m->in)
				fputs("{support@example.org}", stdout);
			else
				putchar('{'), esc(addr), putchar('}');
			fputs("\t{}\t", stdout);
			esc(subj), tab(), ts(m->at), tab(), esc(ref), tab(), esc(text);
			printf("\t0\t%zu\t", size);
			if (m->in)
				esc(addr), fputs("\tsupport@example.org\t", stdout);
			else
				fputs("\\N\t\\N\t", stdout);
			ts(m->at), putchar('\n');
		}
	}
}

static void
t_message_refs(void)
{
	struct shape s;
	long long id = 0;
	for (long long t = 1; t <= n_tickets; t++) {
		shape_of(t, &s);
		for (int i = 0; i < s.nmsg; i++) {
			id++;
			if (i == 0)
				continue;
			/* In-Reply-To, then References: the thread from its root. */
			printf("%lld\t", id), esc(s.m[i - 1].id), fputs("\t0\n", stdout);
			for (int j = 0; j < i; j++)
				printf("%lld\t", id), esc(s.m[j].id), printf("\t%d\n", j + 1);
		}
	}
}

static void
event(long long *id, long long t, long long msg, const char *actor, const char *kind, const char *old,
      const char *new, const char *detail, long long at)
{
	printf("%lld\t%lld\t", ++*id, t);
	if (msg)
		printf("%lld", msg);
	else
		fputs("\\N", stdout);
	tab(), esc(actor), tab(), esc(kind), tab(), esc(old), tab(), esc(new), tab(), esc(detail), tab(), ts(at),
		putchar('\n');
}

static void
t_events(void)
{
	struct shape s;
	long long mid = 0, eid = 0;
	char addr[160];
	for (long long t = 1; t <= n_tickets; t++) {
		shape_of(t, &s);
		contact_addr(s.contact, addr, sizeof addr, NULL, 0);
		long long m0 = mid + 1;
		event(&eid, t, m0, addr, "created", NULL, "new", NULL, s.created);
		event(&eid, t, m0 + 1, "deskmail", "ack", NULL, "sent", s.tx->lang, s.created + 1);
		if (s.first_response)
			event(&eid, t, m0 + 2, "maja.kovac@example.org", "status", "new", "open", NULL, s.first_response);
		if (!strcmp(s.status, "pending"))
			event(&eid, t, 0, "maja.kovac@example.org", "status", "open", "pending", NULL, s.m[s.nmsg - 1].at);
		if (s.resolved)
			event(&eid, t, 0, "maja.kovac@example.org", "status", "open", "resolved", NULL, s.resolved);
		if (s.closed)
			event(&eid, t, 0, "deskmail", "status", "resolved", "closed", "closed after 7 days", s.closed);
		mid += s.nmsg;
	}
}

static void
t_outbox(void)
{
	struct shape s;
	long long mid = 0, oid = 0;
	char addr[160], name[128], msg[4096], date[64];
	for (long long t = 1; t <= n_tickets; t++) {
		shape_of(t, &s);
		contact_addr(s.contact, addr, sizeof addr, name, sizeof name);
		time_t tt = (time_t) s.created;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
		/* The acknowledgement as handed to sendmail (agents' answers
		 * go the same way but are left out: same rows, same sizes). */
		snprintf(msg, sizeof msg,
			 "From: Example Service Desk <support@example.org>\r\nTo: %s <%s>\r\n"
			 "Reply-To: support+t%lld-%016llx%04x@example.org\r\nSubject: [Support #%lld] Request received\r\n"
			 "Date: %s\r\nMessage-ID: <%s>\r\nIn-Reply-To: <%s>\r\nReferences: <%s>\r\n"
			 "Auto-Submitted: auto-replied\r\nPrecedence: bulk\r\nX-Auto-Response-Suppress: All\r\n"
			 "Content-Language: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: 8bit\r\n\r\n%s",
			 name, addr, t, (unsigned long long) rnd(), rndn(65536), t, date, s.m[1].id, s.m[0].id,
			 s.m[0].id, s.tx->lang, ack_text(s.tx->lang));
		printf("%lld\t%lld\t%lld\tack\t\t{", ++oid, t, mid + 2);
		esc(addr);
		fputs("}\t", stdout);
		bytea(msg);
		fputs("\tsent\t1\t", stdout);
		ts(s.created + 1), fputs("\t\\N\t", stdout), ts(s.created + 1), tab(), ts(s.created + 2), putchar('\n');
		mid += s.nmsg;
	}
}

static void
t_ack_log(void)
{
	struct shape s;
	char addr[160];
	for (long long t = 1; t <= n_tickets; t++) {
		shape_of(t, &s);
		contact_addr(s.contact, addr, sizeof addr, NULL, 0);
		esc(addr), tab(), ts(s.created + 1), putchar('\n');
	}
}

static const struct {
	const char *name, *columns;
	void (*fn)(void);
} tables[] = {
	{ "contacts", "id, address, name, language, failing_since, bounce_count, created_at, updated_at", t_contacts },
	{ "tickets", "id, subject, status, priority, topic, team_id, language, queue, requester_id, assignee_id,"
		     " related_id, relation, created_at, updated_at, due_at, first_response_at, resolved_at, closed_at",
	  t_tickets },
	{ "participants", "ticket_id, contact_id, role, added_at", t_participants },
	{ "messages", "id, ticket_id, message_id, direction, kind, threaded_by, contact_id, agent_id, from_addr,"
		      " from_name, to_addrs, cc_addrs, subject, sent_at, in_reply_to, body_text, flags, size,"
		      " envelope_from, recipient, created_at",
	  t_messages },
	{ "message_refs", "message_id, ref, position", t_message_refs },
	{ "events", "id, ticket_id, message_id, actor, kind, old_value, new_value, detail, created_at", t_events },
	{ "outbox", "id, ticket_id, message_id, kind, envelope_from, recipients, body, status, attempts,"
		    " next_attempt_at, last_error, created_at, sent_at",
	  t_outbox },
	{ "ack_log", "address, sent_at", t_ack_log },
};

int
main(int argc, char **argv)
{
	const char *table = NULL, *jsonl = NULL;
	int columns = 0, c;
	n_tickets = 0;
	now_t = 1795000000LL - 86400;
	while ((c = getopt(argc, argv, "t:n:s:j:c")) != -1) {
		switch (c) {
		case 't': table = optarg; break;
		case 'n': n_tickets = atoll(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'j': jsonl = optarg; break;
		case 'c': columns = 1; break;
		default:
			fprintf(stderr, "usage: load -t TABLE -n TICKETS [-s SEED] [-j JSONL] [-c]\n");
			return 2;
		}
	}
	if (table == NULL) {
		for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
			printf("%s\n", tables[i].name);
		return 0;
	}
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		if (strcmp(tables[i].name, table) != 0)
			continue;
		if (columns) {
			printf("%s\n", tables[i].columns);
			return 0;
		}
		if (n_tickets < 1) {
			fprintf(stderr, "load: -n TICKETS must be at least 1\n");
			return 2;
		}
		load_texts(jsonl);
		/* Customers come back: about 0.4 contacts per ticket. */
		n_contacts = n_tickets * 2 / 5 + 1;
		static char obuf[1 << 20];
		setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
		tables[i].fn();
		return fflush(stdout) == 0 ? 0 : 1;
	}
	fprintf(stderr, "load: no table %s\n", table);
	return 2;
}
