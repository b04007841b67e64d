#!/bin/bash
# threading.sh - every reply lands on its ticket, and only there: each
# rule, replies before parents, strangers, forged keys, reopening, and a
# 50-message thread delivered in parallel in shuffled order.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
DM_ACK_EXTRA="rate_limit = 1000" dm_setup
DM_ACK_EXTRA="rate_limit = 1000" dm_write_config

msg() { # msg ID SUBJECT FROM [EXTRA-HEADERS]
	cat <<MAIL
From: $3
To: support@example.org
Subject: $2
Date: Tue, 24 Nov 2026 10:00:00 +0100
Message-ID: <$1>
${4:+$4
}MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Pozdravljeni, to je sporočilo $1.
MAIL
}
ticket_of() { pg_sql "SELECT ticket_id FROM messages WHERE message_id = '$1' AND direction = 'in'"; }
rule_of() { pg_sql "SELECT threaded_by FROM messages WHERE message_id = '$1' AND direction = 'in'"; }

# --- a new ticket and its acknowledgement
msg root@example.si "Izposoja ne deluje" "Ana Novak <ana@example.si>" "Cc: Bor Kos <bor@example.si>, support+x@example.org" >"$T/root.eml"
dm_deliver "$T/root.eml"
is "$RC" 0 "new ticket"
T1=$(ticket_of root@example.si)
ack=$(dm_sent | tail -1)
ack_id=$(dm_header "$ack" Message-ID | tr -d '<>')
reply_to=$(dm_header "$ack" Reply-To)
like "$ack_id" '^dm\.[0-9a-f]{32}@example\.org$' "the acknowledgement has a random Message-ID"
like "$reply_to" "support\\+t$T1-[0-9a-f]{20}@example\\.org" "Reply-To carries the signed reply key"
is "$(pg_sql "SELECT string_agg(c.address || ':' || p.role, ',' ORDER BY c.address) FROM participants p JOIN contacts c ON c.id = p.contact_id WHERE p.ticket_id = $T1")" \
	"ana@example.si:requester,bor@example.si:cc" "Cc becomes a participant; our own addresses do not"

# --- rule 1: the reply key, whatever the subject says
key_addr=$(sed 's/.*<\(.*\)>.*/\1/' <<<"$reply_to")
msg key@example.si "Nekaj čisto drugega" "Ana Novak <ana@example.si>" | sed "s/^To: .*/To: $key_addr/" >"$T/key.eml"
dm_deliver "$T/key.eml" --recipient "$key_addr"
is "$(ticket_of key@example.si)" "$T1" "reply key: joins the ticket"
is "$(rule_of key@example.si)" reply-key "reply key: threaded_by reply-key"

# --- rule 2: a reply to the acknowledgement without the tag
msg noTag@example.si "Re: Izposoja ne deluje" "Ana Novak <ana@example.si>" "In-Reply-To: <$ack_id>
References: <root@example.si> <$ack_id>" >"$T/notag.eml"
dm_deliver "$T/notag.eml"
is "$(ticket_of noTag@example.si)" "$T1" "reply to the ack without the tag: same ticket"
is "$(rule_of noTag@example.si)" references "... threaded_by references"

# --- rule 3: the tag, through Slovenian, Finnish and Hungarian prefixes
i=0
for subj in "Odg: [Support #$T1] Izposoja" "VS: Vs: [Support #$T1] Izposoja" "Vá: [support #$T1]" "Továbbítás: Re[2]: [Support #$T1] x"; do
	i=$((i + 1))
	msg "tag$i@example.si" "$subj" "Bor Kos <bor@example.si>" >"$T/tag$i.eml"
	dm_deliver "$T/tag$i.eml"
	is "$(ticket_of tag$i@example.si)" "$T1" "tag through '$subj': same ticket"
	is "$(rule_of tag$i@example.si)" tag "... threaded_by tag"
done
msg other@example.si "Re: [Ticket #$T1] from another system" "Ana Novak <ana@example.si>" >"$T/other.eml"
dm_deliver "$T/other.eml"
ok "$([ "$(ticket_of other@example.si)" != "$T1" ]; echo $?)" "another system's tag is left alone"

# --- a stranger with a valid tag: a new ticket, linked, not a participant
msg eve@evil.example "Re: [Support #$T1] Izposoja" "Eve <eve@evil.example>" >"$T/eve.eml"
dm_deliver "$T/eve.eml"
TE=$(ticket_of eve@evil.example)
ok "$([ "$TE" != "$T1" ]; echo $?)" "stranger with a valid tag: a new ticket"
J=$("$DESKMAIL" export --ticket "$TE")
is "$(jq -r '.related' <<<"$J")" "$T1" "... linked to the matched ticket (related)"
is "$(jq -r '.relation' <<<"$J")" related "... relation related"
is "$(dm_count "participants p JOIN contacts c ON c.id = p.contact_id WHERE p.ticket_id = $T1 AND c.address = 'eve@evil.example'")" 0 \
	"... and is not a participant of the matched ticket"
# A stranger quoting a customer's Message-ID is no better.
msg eve2@evil.example "Re: Izposoja" "Eve <eve@evil.example>" "In-Reply-To: <root@example.si>" >"$T/eve2.eml"
dm_deliver "$T/eve2.eml"
ok "$([ "$(ticket_of eve2@evil.example)" != "$T1" ]; echo $?)" "stranger quoting a customer's Message-ID: a new ticket"
# Whoever quotes a Message-ID that deskmail sent has received that mail.
msg fwd@partner.example "Re: Izposoja" "Partner <fwd@partner.example>" "In-Reply-To: <$ack_id>" >"$T/fwd.eml"
dm_deliver "$T/fwd.eml"
is "$(ticket_of fwd@partner.example)" "$T1" "a non-participant replying to our own Message-ID joins"

# --- a forged key is ignored, recorded, and the other rules still apply
msg forged@evil.example "Izposoja" "Eve <eve@evil.example>" | sed "s/^To: .*/To: support+t$T1-00000000000000000000@example.org/" >"$T/forged.eml"
dm_deliver "$T/forged.eml" --recipient "support+t$T1-00000000000000000000@example.org"
TF=$(ticket_of forged@evil.example)
ok "$([ "$TF" != "$T1" ]; echo $?)" "forged key: not joined"
is "$(dm_count "events WHERE ticket_id = $TF AND kind = 'reply-key-invalid'")" 1 "forged key: recorded as an event"
good_key=${key_addr#support+}; good_key=${good_key%@*}
msg tampered@example.si "Izposoja" "Ana Novak <ana@example.si>" >"$T/tampered.eml"
dm_deliver "$T/tampered.eml" --recipient "support+t$((T1 + 1))-${good_key#*-}@example.org"
is "$(dm_count "events WHERE kind = 'reply-key-invalid' AND message_id = (SELECT id FROM messages WHERE message_id = 'tampered@example.si')")" 1 \
	"a key moved to another ticket number is invalid"

# --- a reply that arrives before its parent
msg child@example.si "Re: Tiskalnik" "Cene <cene@example.si>" "In-Reply-To: <parent@example.si>
References: <parent@example.si>" >"$T/child.eml"
msg parent@example.si "Tiskalnik" "Cene <cene@example.si>" >"$T/parent.eml"
dm_deliver "$T/child.eml"
dm_deliver "$T/parent.eml"
is "$(ticket_of parent@example.si)" "$(ticket_of child@example.si)" "reply before parent: one ticket"
is "$(rule_of parent@example.si)" late-parent "... the parent is threaded as a late parent"

# --- two unrelated mails with the same subject
msg same1@example.si "Geslo" "Dana <dana@example.si>" >"$T/s1.eml"
msg same2@example.fi "Geslo" "Eino <eino@example.fi>" >"$T/s2.eml"
dm_deliver "$T/s1.eml"; dm_deliver "$T/s2.eml"
ok "$([ "$(ticket_of same1@example.si)" != "$(ticket_of same2@example.fi)" ]; echo $?)" \
	"two unrelated mails with the same subject: two tickets"

# --- closed tickets: reopen within the window, follow-up after it
pg_sql "UPDATE tickets SET status = 'resolved', resolved_at = now() - interval '2 days' WHERE id = $T1" >/dev/null
msg reopen@example.si "Re: [Support #$T1] Izposoja" "Ana Novak <ana@example.si>" >"$T/reopen.eml"
dm_deliver "$T/reopen.eml"
is "$(ticket_of reopen@example.si)" "$T1" "reply to a resolved ticket within 14 days joins it"
is "$(pg_sql "SELECT status FROM tickets WHERE id = $T1")" open "... and reopens it"
is "$(pg_sql "SELECT old_value || '>' || new_value FROM events WHERE ticket_id = $T1 AND kind = 'status' ORDER BY id DESC LIMIT 1")" \
	"resolved>open" "... recorded as an event"
pg_sql "UPDATE tickets SET status = 'closed', closed_at = now() - interval '20 days', resolved_at = now() - interval '20 days', updated_at = now() - interval '20 days' WHERE id = $T1" >/dev/null
msg late@example.si "Re: [Support #$T1] Izposoja" "Ana Novak <ana@example.si>" >"$T/late.eml"
dm_deliver "$T/late.eml"
TL=$(ticket_of late@example.si)
ok "$([ "$TL" != "$T1" ]; echo $?)" "reply to a ticket closed 20 days ago: a new ticket"
is "$("$DESKMAIL" export --ticket "$TL" | jq -r '.relation + " " + (.related|tostring)')" "follow-up $T1" \
	"... linked as a follow-up"
is "$(pg_sql "SELECT status FROM tickets WHERE id = $T1")" closed "... the old ticket stays closed"
msg ooo@example.si "Odsotnost: Re: [Support #$T1]" "Ana Novak <ana@example.si>" "Auto-Submitted: auto-replied
In-Reply-To: <$ack_id>" >"$T/ooo.eml"
dm_deliver "$T/ooo.eml"
is "$(ticket_of ooo@example.si)" "$T1" "an out-of-office reply attaches to the closed ticket"
is "$(pg_sql "SELECT kind FROM messages WHERE message_id = 'ooo@example.si'")" auto "... as kind auto"
is "$(pg_sql "SELECT status FROM tickets WHERE id = $T1")" closed "... and never reopens it"

# --- 50 parallel deliveries of one 50-message thread, shuffled
gen_thread() { # gen_thread PREFIX DIR
	local refs="" i from cc
	for i in $(seq 0 49); do
		if [ $((i % 2)) = 0 ]; then from="Ana Novak <ana@example.si>"; cc="bor@example.si"
		else from="Bor Kos <bor@example.si>"; cc="ana@example.si"; fi
		{
			echo "From: $from"
			echo "To: support@example.org"
			echo "Cc: $cc"
			echo "Subject: ${i:+Re: }Knjižnični sistem $1"
			echo "Message-ID: <$1-$i@example.si>"
			if [ "$i" -gt 0 ]; then
				echo "In-Reply-To: <$1-$((i - 1))@example.si>"
				echo "References:$refs"
			fi
			echo "Content-Type: text/plain; charset=utf-8"
			echo
			echo "Sporočilo številka $i v niti $1."
		} >"$2/$1-$i.eml"
		refs="$refs <$1-$i@example.si>"
	done
}
for round in a b; do
	mkdir -p "$T/thread-$round"
	gen_thread "nit$round" "$T/thread-$round"
	start=$(date +%s.%N)
	pids=()
	for f in $(ls "$T/thread-$round"/*.eml | shuf); do
		"$DESKMAIL" deliver <"$f" >>"$T/thread-$round.log" 2>&1 &
		pids+=($!)
	done
	fails=0
	for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
	end=$(date +%s.%N)
	is "$fails" 0 "round $round: 50 parallel deliveries of a shuffled thread all exit 0"
	is "$(pg_sql "SELECT count(DISTINCT ticket_id) FROM messages WHERE message_id LIKE 'nit$round-%'")" 1 \
		"round $round: one ticket"
	is "$(dm_count "messages WHERE message_id LIKE 'nit$round-%' AND direction = 'in'")" 50 "round $round: 50 messages"
	diag "round $round: 50 messages in $(echo "$end - $start" | bc) s, retries: $(grep -c retrying "$T/thread-$round.log")"
done

tap_done
