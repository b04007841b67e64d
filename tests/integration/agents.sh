#!/bin/bash
# agents.sh - agents run the desk from their mail client: notifications,
# replies relayed to customers, commands, notes, opening tickets for
# customers, and nobody else acting as an agent.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
EXTRA_AGENTS="[agents]
trusted_authserv_id = mx.example.org
default_team = first-line"
DM_OUTGOING_EXTRA="retry_delay = 1s" dm_setup
dm_write_config
printf '%s\n' "$EXTRA_AGENTS" >>"$DESKMAIL_CONFIG"
dm_config_changed

"$DESKMAIL" agent add mojca@desk.example.org --name "Mojca Zupan" --team it-support >/dev/null
is "$?" 0 "agent add"
"$DESKMAIL" agent add janne@desk.example.org --name "Janne Virtanen" --team it-support >/dev/null
"$DESKMAIL" agent add gabor@desk.example.org --name "Gábor Kiss" --team network >/dev/null
OUT=$("$DESKMAIL" agent list)
like "$OUT" 'mojca@desk\.example\.org +Mojca Zupan +it-support +active' "agent list shows name, team, state"
"$DESKMAIL" agent add temp@desk.example.org --name Temp --team first-line >/dev/null
"$DESKMAIL" agent disable temp@desk.example.org >/dev/null
like "$("$DESKMAIL" agent list)" 'temp@desk\.example\.org +Temp +first-line +disabled' "agent disable"
"$DESKMAIL" agent disable nobody@desk.example.org >/dev/null 2>&1
is "$?" 67 "disabling an unknown agent: exit 67"
MOJCA=$(pg_sql "SELECT id FROM agents WHERE address = 'mojca@desk.example.org'")
JANNE=$(pg_sql "SELECT id FROM agents WHERE address = 'janne@desk.example.org'")

sent_to() { # the newest sent mail whose argv names ADDRESS
	local f
	for f in $(ls -1t "$DM_SENDMAIL_DIR"/*.argv 2>/dev/null); do
		grep -qx "$1" "$f" && { echo "${f%.argv}.eml"; return; }
	done
}
count_to() { grep -lx "$1" "$DM_SENDMAIL_DIR"/*.argv 2>/dev/null | wc -l; }

# --- a customer's mail: ack to the customer, notification to the team
att=$(printf 'PRN-4F-0231 error E-052\n' | base64)
cat >"$T/c1.eml" <<MAIL
From: Ana Novak <ana@example.si>
To: support@example.org
Cc: Bor Kos <bor@example.si>
Subject: Tiskalnik v čitalnici ne tiska
Message-ID: <c1@example.si>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Dober dan,

tiskalnik v čitalnici že od jutra ne tiska. Napaka je v priponki.

Lep pozdrav,
Ana
--b
Content-Type: text/plain; name="napaka.txt"
Content-Disposition: attachment; filename="napaka.txt"
Content-Transfer-Encoding: base64

$att
--b--
MAIL
dm_deliver "$T/c1.eml"
is "$RC" 0 "customer mail stored"
T1=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'c1@example.si'")
is "$(pg_sql "SELECT t.name || ' ' || k.topic FROM tickets k JOIN teams t ON t.id = k.team_id WHERE k.id = $T1")" \
	"it-support hardware-printing" "the printer mail is classified and goes to its topic's team"
is "$(count_to mojca@desk.example.org)" 1 "Mojca (it-support) is notified"
is "$(count_to janne@desk.example.org)" 1 "Janne (it-support) is notified"
is "$(count_to gabor@desk.example.org)" 0 "Gábor (network) is not"
is "$(count_to temp@desk.example.org)" 0 "a disabled agent is not"
N=$(sent_to mojca@desk.example.org)
is "$(dm_header "$N" To)" "Mojca Zupan <mojca@desk.example.org>" "notification: To the agent"
like "$(dm_header "$N" Reply-To)" "support\\+t${T1}a${MOJCA}-[0-9a-f]{20}@example\\.org" "notification: Reply-To with the agent's own key"
is "$(dm_header "$N" References)" "<ticket-$T1.deskmail@example.org>" "notification: a stable per-ticket References root"
is "$(dm_header "$N" Auto-Submitted)" auto-generated "notification: Auto-Submitted: auto-generated"
like "$(dm_header "$N" Subject)" "^\\[Support #$T1\\] Tiskalnik v čitalnici ne tiska\$" "notification: Subject"
body=$(dm_body "$N")
like "$body" '^##- Odgovorite nad to črto / Reply above this line -##' "notification: the marker in Slovenian and English, first"
like "$body" 'tiskalnik v čitalnici že od jutra ne tiska' "notification: the customer's text"
like "$body" "new ticket: \\[Support #$T1\\] from Ana Novak <ana@example.si>" "notification: what and from whom"
like "$body" 'Status: new +Priority: urgent +Team: it-support +Topic: hardware-printing' "notification: ticket facts"
like "$body" 'Language: sl +Answer due: ' "notification: language and due time"
like "$body" 'Attachments: napaka\.txt' "notification: attachments listed"
like "$(grep -c 'filename="\?napaka.txt' "$N")" '^[1-9]' "notification: the attachment attached"
ackid=$(pg_sql "SELECT message_id FROM messages WHERE ticket_id = $T1 AND kind = 'auto' AND direction = 'out'")
like "$ackid" '^dm\.' "the customer got an acknowledgement too"

# --- the agent's reply: Thunderbird, top-posted, with commands
KEY=$(dm_header "$N" Reply-To | sed 's/.*<\(.*\)>.*/\1/')
cat >"$T/r1.eml" <<MAIL
From: Mojca Zupan <mojca@desk.example.org>
To: Example Service Desk <$KEY>
Subject: Re: [Support #$T1] Tiskalnik v čitalnici ne tiska
Message-ID: <r1@desk.example.org>
In-Reply-To: $(dm_header "$N" Message-ID)
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

#priority high
#assign me

Pozdravljeni,

tiskalnik smo ponovno zagnali, zdaj bi moral delovati.

Mojca

On 24/11/2026 10:00, Example Service Desk wrote:
> ##- Odgovorite nad to črto / Reply above this line -##
>
> new ticket: [Support #$T1] from Ana Novak <ana@example.si>

-- 
Mojca Zupan, podpora
MAIL
dm_deliver "$T/r1.eml" --recipient "$KEY"
is "$RC" 0 "agent reply stored"
like "$OUT" 'kind=agent threaded_by=reply-key' "recognised by the agent's key"
R=$(sent_to ana@example.si)
is "$(dm_body "$R")" "$(printf 'Pozdravljeni,\n\ntiskalnik smo ponovno zagnali, zdaj bi moral delovati.\n\nMojca')" \
	"relayed text: exactly the agent's words, no commands, quote or signature"
is "$(dm_header "$R" From)" "Example Service Desk <support@example.org>" "relayed: From the support address"
is "$(dm_header "$R" To)" "Ana Novak <ana@example.si>" "relayed: To the requester"
is "$(dm_header "$R" Cc)" "bor@example.si" "relayed: Cc the CC participants"
is "$(dm_header "$R" Subject)" "[Support #$T1] Tiskalnik v čitalnici ne tiska" "relayed: Subject with the tag"
is "$(dm_header "$R" In-Reply-To)" "<c1@example.si>" "relayed: In-Reply-To the customer's mail"
like "$(dm_header "$R" Reply-To)" "support\\+t$T1-[0-9a-f]{20}@example\\.org" "relayed: Reply-To the ticket's key"
is "$(dm_header "$R" Auto-Submitted)" "" "relayed: a person's answer is not marked automatic"
rid=$(dm_header "$R" Message-ID | tr -d '<>')
is "$(dm_count "messages WHERE message_id = '$rid' AND direction = 'out' AND kind = 'agent'")" 1 "relayed: its Message-ID is stored"
is "$(sed -n 3p "${R%.eml}.argv")" "support@example.org" "relayed: envelope sender is the desk, not <>"
J=$("$DESKMAIL" export --ticket "$T1")
is "$(jq -r '.priority + " " + .team + " " + .assignee' <<<"$J")" "high it-support mojca@desk.example.org" "export: priority, team, assignee"
is "$(pg_sql "SELECT priority || ' ' || status FROM tickets WHERE id = $T1")" "high open" "#priority high applied; the first answer opens the ticket"
is "$(pg_sql "SELECT a.address FROM tickets t JOIN agents a ON a.id = t.assignee_id WHERE t.id = $T1")" mojca@desk.example.org "#assign me"
is "$(jq -r '[.events[] | select(.kind == "priority" or .kind == "assign" or .kind == "status") | "\(.actor) \(.kind) \(.old)>\(.new)"] | join(";")' <<<"$J")" \
	"mojca@desk.example.org priority urgent>high;mojca@desk.example.org assign null>mojca@desk.example.org;mojca@desk.example.org status new>open" \
	"every change is an event: who, what, from what to what"
is "$(jq -r '[.messages[] | select(.direction == "in") | .kind] | join(",")' <<<"$J")" "customer,agent" "the reply is stored as kind agent"
first=$(pg_sql "SELECT first_response_at FROM tickets WHERE id = $T1")
ok "$([ -n "$first" ]; echo $?)" "the first agent reply sets the first-response time"

# --- the customer answers: only the assignee is notified now
before=$(count_to janne@desk.example.org)
cat >"$T/c2.eml" <<MAIL
From: Ana Novak <ana@example.si>
To: Example Service Desk <$(dm_header "$R" Reply-To | sed 's/.*<\(.*\)>.*/\1/')>
Subject: Re: [Support #$T1] Tiskalnik v čitalnici ne tiska
Message-ID: <c2@example.si>
In-Reply-To: <$rid>
Content-Type: text/plain; charset=utf-8

Hvala, zdaj dela!
MAIL
dm_deliver "$T/c2.eml"
is "$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'c2@example.si'")" "$T1" "the customer's answer joins the ticket"
is "$(count_to janne@desk.example.org)" "$before" "an assigned ticket notifies only its assignee"
body=$(dm_body "$(sent_to mojca@desk.example.org)")
like "$body" "^customer reply: \\[Support #$T1\\]" "the assignee is told it is the customer's reply"
like "$body" '^Hvala, zdaj dela!$' "... with the customer's text"

# --- each remaining command; #note relays nothing to the customer
N=$(sent_to mojca@desk.example.org)
KEY=$(dm_header "$N" Reply-To | sed 's/.*<\(.*\)>.*/\1/')
agent_mail() { # agent_mail ID BODY [FROM]
	cat <<MAIL
From: ${3:-Mojca Zupan <mojca@desk.example.org>}
To: $KEY
Subject: Re: [Support #$T1] Tiskalnik
Message-ID: <$1>
Content-Type: text/plain; charset=utf-8

$2
MAIL
}
before_ana=$(count_to ana@example.si)
agent_mail n1@desk "#note
#topic facilities
#escalate network

Preverite gonilnik na strežniku." >"$T/n1.eml"
dm_deliver "$T/n1.eml" --recipient "$KEY"
is "$(count_to ana@example.si)" "$before_ana" "#note: nothing to the customer"
is "$(pg_sql "SELECT kind FROM messages WHERE message_id = 'n1@desk'")" note "#note: stored as kind note"
is "$(pg_sql "SELECT coalesce(topic, '') || ' ' || (SELECT name FROM teams WHERE id = team_id) FROM tickets WHERE id = $T1")" \
	"facilities network" "#topic and #escalate applied"
# Janne was never on the ticket (Mojca is the assignee and the only agent who wrote).
is "$(count_to gabor@desk.example.org)" 0 "#note copies go to agents on the ticket only"
agent_mail n2@desk "#status pending

Počakajmo na serviserja." "Mojca Zupan <mojca@desk.example.org>" >"$T/n2.eml"
dm_deliver "$T/n2.eml" --recipient "$KEY"
is "$(pg_sql "SELECT status FROM tickets WHERE id = $T1")" pending "#status pending"
is "$(count_to ana@example.si)" $((before_ana + 1)) "... and the text after it is relayed"
# The note by another agent is copied to Mojca.
"$DESKMAIL" agent add janne@desk.example.org >/dev/null
before=$(count_to mojca@desk.example.org)
cat >"$T/n3.eml" <<MAIL
From: Janne Virtanen <janne@desk.example.org>
To: support@example.org
Subject: Re: [Support #$T1] Tiskalnik
Message-ID: <n3@desk>
Authentication-Results: mx.example.org; dkim=pass header.d=desk.example.org; spf=pass
Content-Type: text/plain; charset=utf-8

#note
Serviser pride jutri.
MAIL
dm_deliver "$T/n3.eml"
like "$OUT" 'kind=note' "an agent authenticated by DKIM (trusted authserv-id) is recognised"
is "$(count_to mojca@desk.example.org)" $((before + 1)) "a note is copied to the other agents on the ticket"
like "$(dm_body "$(sent_to mojca@desk.example.org)")" 'Serviser pride jutri\.' "... with the note's text"

# --- a reply of which stripping leaves nothing (written below the marker):
# nothing relayed, kept as an internal note, the agent told
before_ana=$(count_to ana@example.si)
before=$(count_to mojca@desk.example.org)
agent_mail empty@desk "##- Odgovorite nad to črto / Reply above this line -##

new ticket: [Support #$T1] from Ana Novak <ana@example.si>

Sem ga že popravila.
Mojca" >"$T/empty.eml"
dm_deliver "$T/empty.eml" --recipient "$KEY"
is "$RC" 0 "a reply with nothing left after stripping: stored, exit 0"
is "$(count_to ana@example.si)" "$before_ana" "... nothing relayed to the customer"
is "$(pg_sql "SELECT kind FROM messages WHERE message_id = 'empty@desk'")" note "... kept on the ticket as an internal note"
like "$(pg_sql "SELECT body_text FROM messages WHERE message_id = 'empty@desk'")" "Sem ga že popravila" "... with the whole mail's text"
is "$(count_to mojca@desk.example.org)" $((before + 1)) "... the agent is told"
like "$(dm_header "$(sent_to mojca@desk.example.org)" Subject)" "Not sent: nothing was left of your reply" "... in a mail that says so"
is "$(dm_count "events WHERE kind = 'nothing-relayed'")" 1 "... and an event records it"

# --- an invalid command changes nothing, relays nothing, and tells the agent
state=$(pg_sql "SELECT status || priority || coalesce(topic,'') FROM tickets WHERE id = $T1")
before_ana=$(count_to ana@example.si)
before=$(count_to mojca@desk.example.org)
agent_mail bad@desk "#status done
#priority high

To naj ne gre stranki." >"$T/bad.eml"
dm_deliver "$T/bad.eml" --recipient "$KEY"
is "$RC" 0 "invalid command: stored, exit 0"
is "$(pg_sql "SELECT status || priority || coalesce(topic,'') FROM tickets WHERE id = $T1")" "$state" "invalid command: nothing changes"
is "$(count_to ana@example.si)" "$before_ana" "invalid command: nothing relayed"
is "$(count_to mojca@desk.example.org)" $((before + 1)) "invalid command: the agent gets an error reply"
E=$(sent_to mojca@desk.example.org)
like "$(dm_body "$E")" "#status: 'done' is not one of open, pending, resolved, closed" "the error reply says what was wrong"
is "$(dm_header "$E" Auto-Submitted)" auto-replied "the error reply is automatic"
agent_mail bad2@desk "#assign nobody@desk.example.org

x" >"$T/bad2.eml"
dm_deliver "$T/bad2.eml" --recipient "$KEY"
like "$(dm_body "$(sent_to mojca@desk.example.org)")" '#assign: nobody@desk\.example\.org is not an active agent' "assigning to an unknown agent is an error"

# --- forged agent From: handled as customer mail, recorded
state=$(pg_sql "SELECT status || priority FROM tickets WHERE id = $T1")
before_ana=$(count_to ana@example.si)
cat >"$T/forged.eml" <<MAIL
From: Mojca Zupan <mojca@desk.example.org>
To: support@example.org
Subject: Re: [Support #$T1] Tiskalnik
Message-ID: <forged@evil.example>
Authentication-Results: mx.example.org; dkim=fail header.d=desk.example.org
Authentication-Results: mx.example.org; dkim=pass header.d=desk.example.org
Content-Type: text/plain

#status closed
#priority low

Zaprto.
MAIL
dm_deliver "$T/forged.eml"
is "$RC" 0 "forged agent From: stored"
is "$(pg_sql "SELECT status || priority FROM tickets WHERE id = $T1")" "$state" "forged agent From: no command runs"
is "$(count_to ana@example.si)" "$before_ana" "forged agent From: nothing relayed"
TF=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'forged@evil.example'")
is "$(dm_count "events WHERE ticket_id = $TF AND kind = 'spoofed-agent'")" 1 "forged agent From: an event records the attempt"
is "$(pg_sql "SELECT kind FROM messages WHERE message_id = 'forged@evil.example'")" customer "forged agent From: kind customer"
# The wrong authserv-id is no better.
sed -e 's/forged@evil/forged2@evil/' -e 's/^Authentication-Results: mx.example.org; dkim=fail.*$/Authentication-Results: evil.example; dkim=pass header.d=desk.example.org/' \
	-e '/dkim=pass header.d=desk.example.org$/{/evil/!d}' "$T/forged.eml" >"$T/forged2.eml"
dm_deliver "$T/forged2.eml"
is "$(pg_sql "SELECT kind FROM messages WHERE message_id = 'forged2@evil.example'")" customer "another host's authentication result is ignored"
# A key for another agent (agent number changed, MAC kept) is invalid.
WRONG=$(sed "s/a${MOJCA}-/a${JANNE}-/" <<<"$KEY")
agent_mail wrongkey@desk "#status closed

x" "Janne Virtanen <janne@desk.example.org>" | sed "s/^To: .*/To: $WRONG/" >"$T/wrong.eml"
dm_deliver "$T/wrong.eml" --recipient "$WRONG"
is "$(pg_sql "SELECT status FROM tickets WHERE id = $T1")" pending "a wrong agent's key runs no command"
is "$(dm_count "events WHERE kind = 'reply-key-invalid' AND message_id = (SELECT id FROM messages WHERE message_id = 'wrongkey@desk')")" 1 \
	"... and is recorded as an invalid key"

# --- #requester: a phone call becomes a ticket for the customer
cat >"$T/phone.eml" <<MAIL
From: Janne Virtanen <janne@desk.example.org>
To: support@example.org
Subject: Puhelu: kirjastokortti kadonnut
Message-ID: <phone@desk>
Authentication-Results: mx.example.org; dmarc=pass header.from=desk.example.org
Content-Type: text/plain; charset=utf-8

#requester Aino.Lehtonen@example.fi

Asiakas soitti: kirjastokortti on kadonnut, pyytää uutta korttia.
MAIL
dm_deliver "$T/phone.eml"
is "$RC" 0 "#requester: stored"
TP=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'phone@desk'")
J=$("$DESKMAIL" export --ticket "$TP")
is "$(jq -r .requester <<<"$J")" aino.lehtonen@example.fi "#requester: the ticket is the customer's"
is "$(jq -r .subject <<<"$J")" "Puhelu: kirjastokortti kadonnut" "#requester: the subject"
like "$(jq -r '.messages[0].text' <<<"$J")" '^Asiakas soitti' "#requester: the agent's text, without the command"
is "$(jq -r '.events[0].actor + " " + .events[0].detail' <<<"$J")" "janne@desk.example.org opened by an agent" "#requester: opened by the agent"
like "$(dm_header "$(sent_to aino.lehtonen@example.fi)" Subject)" "^\\[Support #$TP\\]" "#requester: the customer gets the acknowledgement"

# --- a customer's mail forwarded by an agent: the customer's ticket
cat >"$T/fwd.eml" <<MAIL
From: Mojca Zupan <mojca@desk.example.org>
To: support@example.org
Subject: Fwd: Zamudnina
Message-ID: <fwd@desk>
Authentication-Results: mx.example.org; dkim=pass header.d=desk.example.org
Content-Type: text/plain; charset=utf-8

Prosim, uredite.

---------- Forwarded message ---------
From: Cene Kranjc <cene@example.si>
Date: Mon, 23 Nov 2026 at 09:00
Subject: Zamudnina
To: Mojca Zupan <mojca@desk.example.org>

Pozdravljeni, zaračunali ste mi zamudnino, čeprav sem knjige vrnil pravočasno.

Cene
MAIL
dm_deliver "$T/fwd.eml"
is "$RC" 0 "forwarded customer mail: stored"
TW=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'fwd@desk'")
J=$("$DESKMAIL" export --ticket "$TW")
is "$(jq -r .requester <<<"$J")" cene@example.si "forward: the ticket is the customer's"
is "$(jq -r '.messages[0].from' <<<"$J")" mojca@desk.example.org "forward: the raw mail came from the agent"
like "$(jq -r '.messages[0].text' <<<"$J")" '^Pozdravljeni, zaračunali ste mi zamudnino' "forward: the customer's own text"
is "$(jq -r '.messages[0].kind' <<<"$J")" customer "forward: stored as the customer's message"

# --- the first-response time is set once
first2=$(pg_sql "SELECT first_response_at FROM tickets WHERE id = $T1")
is "$first2" "$first" "first-response time is set once, by the first reply"

tap_done
