#!/bin/bash
# deliver.sh - the happy path against a real PostgreSQL: new tickets,
# idempotency, what is stored, and export key by key.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
dm_setup

# --- a new ticket
dm_mail first@example.si "Tiskalnik ne tiska" >"$T/m1.eml"
dm_deliver "$T/m1.eml"
is "$RC" 0 "new mail: exit 0"
like "$OUT" 'action=new ticket=1 message_id=<first@example.si> size=[0-9]+ attachments=0 kind=customer threaded_by=new ack=sent mails=1( sent=1)? ms=[0-9]+' \
	"one summary line per delivery"
is "$(dm_count tickets)" 1 "one ticket"
is "$(dm_count "messages WHERE direction = 'in'")" 1 "one incoming message"
is "$(dm_count "messages WHERE direction = 'out' AND kind = 'auto'")" 1 "one acknowledgement stored"
is "$(pg_sql "SELECT status FROM tickets")" new "status new"
is "$(pg_sql "SELECT address || '|' || name FROM contacts")" "ana@example.si|Ana Novak" \
	"requester contact stored, address normalised"

# --- duplicate: an MTA retry stores nothing new and still exits 0
dm_deliver "$T/m1.eml"
is "$RC" 0 "duplicate: exit 0"
like "$OUT" 'action=duplicate ticket=1' "duplicate logged as such"
is "$(dm_count tickets)" 1 "duplicate: still one ticket"
is "$(dm_count "messages WHERE direction = 'in'")" 1 "duplicate: still one message"
is "$(dm_sent_count)" 1 "duplicate: still one acknowledgement sent"

# --- the same mail, concurrently, ten times: still one ticket
dm_mail race@example.si "Race" >"$T/race.eml"
for i in $(seq 10); do "$DESKMAIL" deliver <"$T/race.eml" 2>/dev/null & done
fails=0
for j in $(jobs -p); do wait "$j" || fails=$((fails + 1)); done
is "$fails" 0 "ten concurrent deliveries of one message all exit 0"
is "$(dm_count "messages WHERE message_id = 'race@example.si'")" 1 "... and store it once"

# --- no Message-ID: the raw digest is the key
sed '/^Message-ID:/d' "$T/m1.eml" | sed 's/Subject: .*/Subject: Brez ID/' >"$T/noid.eml"
dm_deliver "$T/noid.eml"
is "$RC" 0 "mail without Message-ID: exit 0"
dm_deliver "$T/noid.eml"
is "$(dm_count "messages WHERE subject = 'Brez ID'")" 1 "without Message-ID, redelivery is still stored once"
like "$(pg_sql "SELECT message_id FROM messages WHERE subject = 'Brez ID'")" '^[0-9a-f]{64}@sha256\.deskmail\.invalid$' \
	"synthesised Message-ID from the digest"

# --- the raw message is kept byte for byte
is "$(pg_sql "SELECT encode(sha256(r.raw), 'hex') FROM raw_messages r JOIN messages m ON m.id = r.message_id WHERE m.message_id = 'first@example.si'")" \
	"$(sha256sum <"$T/m1.eml" | cut -d' ' -f1)" "raw message stored byte for byte"

# --- attachments: decoded, hashed, stored
att=$T/report.bin
head -c 3000 /dev/urandom >"$att"
b64=$(base64 -w 76 "$att")
cat >"$T/att.eml" <<MAIL
From: =?iso-8859-2?q?Szab=F3_Katalin?= <Szabo.Katalin@EXAMPLE.hu>
To: support@example.org, Kovacs <kovacs@example.hu>
Cc: peter@example.hu
Subject: =?iso-8859-2?q?Hib=E1s_sz=E1mla_=F5=FB?=
Date: Tue, 24 Nov 2026 10:00:00 +0100
Message-ID: <att@example.hu>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=iso-8859-2
Content-Transfer-Encoding: quoted-printable

J=F3 napot, a sz=E1mla hib=E1s.
--b1
Content-Type: application/octet-stream
Content-Disposition: attachment;
 filename*=utf-8''sz%C3%A1mla%20%C5%91.bin
Content-Transfer-Encoding: base64

$b64
--b1--
MAIL
dm_deliver "$T/att.eml" --recipient Support@Example.org
is "$RC" 0 "mail with attachment: exit 0"
ticket=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'att@example.hu'")
J=$("$DESKMAIL" export --ticket "$ticket")
is "$(jq -r '.subject' <<<"$J")" "Hibás számla őű" "ISO-8859-2 encoded-word subject decoded"
is "$(jq -r '.requester' <<<"$J")" "szabo.katalin@example.hu" "requester address lower-cased"
is "$(jq -r '.messages[0].from_name' <<<"$J")" "Szabó Katalin" "display name decoded to UTF-8"
is "$(jq -c '.messages[0].to' <<<"$J")" '["support@example.org","kovacs@example.hu"]' "to addresses"
is "$(jq -c '.messages[0].cc' <<<"$J")" '["peter@example.hu"]' "cc addresses"
like "$(jq -r '.messages[0].text' <<<"$J")" 'Jó napot, a számla hibás\.' "body converted from ISO-8859-2"
is "$(jq -r '.messages[0].attachments | length' <<<"$J")" 1 "one attachment"
is "$(jq -r '.messages[0].attachments[0].filename' <<<"$J")" "számla ő.bin" "RFC 2231 filename decoded"
is "$(jq -r '.messages[0].attachments[0].size' <<<"$J")" 3000 "attachment size is the decoded size"
is "$(jq -r '.messages[0].attachments[0].sha256' <<<"$J")" "$(sha256sum <"$att" | cut -d' ' -f1)" \
	"attachment sha256 matches the original file"
is "$(pg_sql "SELECT encode(sha256(content), 'hex') FROM attachments WHERE sha256 = '$(sha256sum <"$att" | cut -d' ' -f1)'")" \
	"$(sha256sum <"$att" | cut -d' ' -f1)" "attachment content stored decoded"
is "$(pg_sql "SELECT queue FROM tickets WHERE id = $ticket")" "support@example.org" \
	"envelope recipient from --recipient selects the queue"

# --- export, key by key, on the first ticket
J=$("$DESKMAIL" export --ticket 1)
is "$(jq -r 'keys_unsorted | join(",")' <<<"$J")" "id,tag,status,subject,requester,created_at,language,due_at,related,relation,priority,team,topic,assignee,first_response_at,ack,messages,events" \
	"ticket keys in order (later issues only add keys)"
is "$(jq -r '.id' <<<"$J")" 1 "id"
is "$(jq -r '.tag' <<<"$J")" "[Support #1]" "tag from the configured format"
is "$(jq -r '.status' <<<"$J")" new "status"
is "$(jq -r '.subject' <<<"$J")" "Tiskalnik ne tiska" "subject"
is "$(jq -r '.requester' <<<"$J")" "ana@example.si" "requester"
like "$(jq -r '.created_at' <<<"$J")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$' \
	"created_at is RFC 3339"
M='.messages[0]'
is "$(jq -r "$M | keys_unsorted | join(\",\")" <<<"$J")" \
	"message_id,kind,direction,threaded_by,from,from_name,to,cc,subject,date,text,attachments" "message keys"
is "$(jq -r "$M.message_id" <<<"$J")" "first@example.si" "message_id without angle brackets"
is "$(jq -r "$M.kind" <<<"$J")" customer "kind customer"
is "$(jq -r "$M.direction" <<<"$J")" in "direction in"
is "$(jq -r "$M.from" <<<"$J")" "ana@example.si" "from"
is "$(jq -r "$M.from_name" <<<"$J")" "Ana Novak" "from_name"
is "$(jq -c "$M.to" <<<"$J")" '["support@example.org"]' "to"
is "$(jq -c "$M.cc" <<<"$J")" '[]' "cc empty"
is "$(jq -r "$M.date" <<<"$J")" "2026-11-23T08:15:00+00:00" "date in RFC 3339, UTC"
like "$(jq -r "$M.text" <<<"$J")" 'tiskalnik v čitalnici ne tiska' "text in UTF-8"
is "$(jq -c "$M.attachments" <<<"$J")" '[]' "no attachments"
is "$(jq -r '.language' <<<"$J")" sl "language identified: Slovenian"
is "$(jq -r '.ack' <<<"$J")" sent "ack sent"
is "$(jq -r '.related' <<<"$J")" null "related: none"
like "$(jq -r '.due_at' <<<"$J")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "due_at set"
is "$(jq -r '.messages[1].direction + " " + .messages[1].kind' <<<"$J")" "out auto" "the acknowledgement is on the ticket"
is "$(jq -r '[.events[].kind] | join(",")' <<<"$J")" "created,classified,ack" "events: created, classified, ack"

# --- export of everything: one line per ticket, oldest first
all=$("$DESKMAIL" export)
is "$(wc -l <<<"$all")" "$(dm_count tickets)" "export prints one line per ticket"
is "$(jq -r '.id' <<<"$all" | tr '\n' ' ')" "$(pg_sql "SELECT string_agg(id::text, ' ' ORDER BY id) FROM tickets") " \
	"oldest first"

# --- missing Date: date is null
sed '/^Date:/d; s/^Message-ID: .*/Message-ID: <nodate@example.si>/' "$T/m1.eml" >"$T/nodate.eml"
dm_deliver "$T/nodate.eml"
t=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'nodate@example.si'")
is "$("$DESKMAIL" export --ticket "$t" | jq -r '.messages[0].date')" null "missing Date exports as null"

# --- every fixture that is mail can be stored
for f in "$DATA"/*.eml; do
	case $(basename "$f") in not-mail*|notmail*|empty*) continue ;; esac
	dm_deliver "$f"
	is "$RC" 0 "fixture $(basename "$f") is stored"
done

# --- an empty attachment is stored as an empty bytea, not as NULL (the
# INSERT is queued with a copy of its parameters)
cat >"$T/empty-att.eml" <<'MAIL'
From: Ana Novak <ana@example.si>
To: support@example.org
Subject: Prazna priloga
Message-ID: <empty-att@example.si>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=xx

--xx
Content-Type: text/plain; charset=utf-8

Priloga je prazna.
--xx
Content-Type: application/octet-stream
Content-Disposition: attachment; filename=prazno.bin
Content-Transfer-Encoding: base64

--xx--
MAIL
dm_deliver "$T/empty-att.eml"
is "$RC" 0 "a mail with an empty attachment is stored"
is "$(pg_sql "SELECT a.filename || ' ' || a.size || ' ' || length(a.content) FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = 'empty-att@example.si'")" \
	"prazno.bin 0 0" "... the attachment with its name and no bytes"

# --- a header with any one field is mail; a header without its empty line
# ends where mail readers end it; ids without '@' do not thread
printf 'Content-Type: text/plain; charset=utf-8\n\nSamo vsebina, brez glave.\n' >"$T/ct-only.eml"
dm_deliver "$T/ct-only.eml"
is "$RC" 0 "a mail whose only field is Content-Type is stored"
is "$(pg_sql "SELECT body_text FROM messages WHERE body_text LIKE 'Samo vsebina%'")" "Samo vsebina, brez glave." \
	"... with its body"
printf 'From: Ana Novak <ana@example.si>\r\nSubject: Brez prazne vrstice\r\nMessage-ID: <no-blank@example.si>\r\nTiskalnik ne dela.\r\nAna\r\n' >"$T/no-blank.eml"
dm_deliver "$T/no-blank.eml"
is "$RC" 0 "a header without its empty line: stored"
is "$(pg_sql "SELECT subject || '|' || body_text FROM messages WHERE message_id = 'no-blank@example.si'")" \
	"Brez prazne vrstice|Tiskalnik ne dela.
Ana" "... the first line that is no field starts the body"
printf 'From: Bor <bor@example.si>\nSubject: Prvi\nMessage-ID: <gmane-1@example.si>\nIn-Reply-To: <yes>\n\nPrvo vprasanje.\n' >"$T/gmane1.eml"
printf 'From: Cene <cene@example.si>\nSubject: Drugi\nMessage-ID: <gmane-2@example.si>\nIn-Reply-To: <yes>\nReferences: <yes>\n\nDrugo vprasanje.\n' >"$T/gmane2.eml"
dm_deliver "$T/gmane1.eml"
dm_deliver "$T/gmane2.eml"
is "$(pg_sql "SELECT count(DISTINCT ticket_id) FROM messages WHERE message_id IN ('gmane-1@example.si', 'gmane-2@example.si')")" 2 \
	"two mails that share only In-Reply-To: <yes> stay two tickets"
is "$(pg_sql "SELECT coalesce(in_reply_to, 'none') FROM messages WHERE message_id = 'gmane-2@example.si'")" none \
	"... and <yes> is not stored as In-Reply-To"

tap_done
