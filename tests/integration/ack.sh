#!/bin/bash
# ack.sh - acknowledgements: one per new ticket, in the customer's
# language, with the right headers, never to machines; bounces; the
# outbox when sendmail fails; concurrent flushes.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
DM_OUTGOING_EXTRA="retry_delay = 1s" dm_setup
DM_OUTGOING_EXTRA="retry_delay = 1s" dm_write_config

mail() { # mail ID FROM SUBJECT BODY [EXTRA-HEADERS]
	cat <<MAIL
From: $2
To: Service Desk <support@example.org>
Subject: $3
Date: Tue, 24 Nov 2026 10:00:00 +0100
Message-ID: <$1>
${5:+$5
}MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

$4
MAIL
}
ticket_of() { pg_sql "SELECT ticket_id FROM messages WHERE message_id = '$1' AND direction = 'in'"; }
ack_of() { "$DESKMAIL" export --ticket "$(ticket_of "$1")" | jq -r .ack; }

# --- one real acknowledgement per language
declare -A BODY SUBJ FROM
SUBJ[sl]="Čitalnica: tiskalnik ne tiska"
BODY[sl]="Dober dan, tiskalnik v čitalnici že od jutra ne tiska. Prosim za pomoč, ker uporabniki čakajo."
FROM[sl]="Špela Žagar <spela@example.si>"
SUBJ[fi]="Lainojen uusiminen ei onnistu"
BODY[fi]="Hei! Yritin uusia lainojani verkossa, mutta järjestelmä antaa virheilmoituksen. Voisitteko auttaa?"
FROM[fi]="Päivi Mäkelä <paivi@example.fi>"
SUBJ[hu]="Késedelmi díj tévedésből"
BODY[hu]="Jó napot kívánok! A könyveket határidőre visszavittem, mégis késedelmi díjat számoltak fel. Kérem, nézzék meg."
FROM[hu]="Szőke Ödön <odon@example.hu>"
SUBJ[en]="Cannot log in to the catalogue"
BODY[en]="Hello, since this morning I cannot log in to the library catalogue. It says my account is locked. Could you help?"
FROM[en]="Daniel Wright <daniel@example.org.uk>"
for lang in sl fi hu en; do
	before=$(dm_sent_count)
	mail "lang-$lang@example" "${FROM[$lang]}" "${SUBJ[$lang]}" "${BODY[$lang]}" >"$T/$lang.eml"
	dm_deliver "$T/$lang.eml"
	is "$RC" 0 "$lang: stored"
	is "$(dm_sent_count)" $((before + 1)) "$lang: one acknowledgement submitted"
	f=$(dm_sent | tail -1)
	t=$(ticket_of "lang-$lang@example")
	J=$("$DESKMAIL" export --ticket "$t")
	is "$(jq -r .language <<<"$J")" "$lang" "$lang: language identified and stored"
	is "$(jq -r .ack <<<"$J")" sent "$lang: export says the ack was sent"
	is "$(dm_header "$f" From)" "Example Service Desk <support@example.org>" "$lang: From the support address with its name"
	addr=$(sed 's/.*<\(.*\)>/\1/' <<<"${FROM[$lang]}")
	like "$(dm_header "$f" To)" "<$addr>\$" "$lang: To the requester"
	like "$(dm_header "$f" Reply-To)" "<support\\+t$t-[0-9a-f]{20}@example\\.org>\$" "$lang: Reply-To the signed reply address"
	like "$(dm_header "$f" Subject)" "^\\[Support #$t\\] .*${SUBJ[$lang]}" "$lang: Subject has the tag and the original subject (decoded)"
	if [ "$lang" != en ]; then
		raw_subject=$(sed -n '1,/^$/p' "$f" | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n[ \t]/ /g' | grep -i '^Subject:')
		like "$raw_subject" '=\?(utf-8|UTF-8)\?[QqBb]\?' "$lang: the raw Subject is RFC 2047 encoded"
	fi
	is "$(dm_header "$f" In-Reply-To)" "<lang-$lang@example>" "$lang: In-Reply-To the customer's mail"
	is "$(dm_header "$f" References)" "<lang-$lang@example>" "$lang: References the customer's mail"
	is "$(dm_header "$f" Auto-Submitted)" auto-replied "$lang: Auto-Submitted: auto-replied"
	is "$(dm_header "$f" X-Auto-Response-Suppress)" All "$lang: X-Auto-Response-Suppress: All"
	is "$(dm_header "$f" X-Deskmail-Loop)" example.org "$lang: our loop marker"
	like "$(dm_header "$f" Date)" '^[A-Z][a-z]{2}, [0-9]' "$lang: Date"
	is "$(dm_header "$f" Content-Language)" "$lang" "$lang: Content-Language"
	mid=$(dm_header "$f" Message-ID | tr -d '<>')
	is "$(dm_count "messages WHERE message_id = '$mid' AND direction = 'out' AND ticket_id = $t")" 1 \
		"$lang: the ack's Message-ID is stored on the ticket"
	body=$(dm_body "$f")
	like "$body" "\\[Support #$t\\]" "$lang: the body names the ticket"
	due=$(pg_sql "SELECT due_at > created_at FROM tickets WHERE id = $t")
	is "$due" t "$lang: due_at is set after creation"
	like "$(grep -i '^Content-Type' "$f" | head -1)" 'multipart/alternative' "$lang: text and HTML alternatives"
	is "$(sed -n "s/^-i -f //p" "${f%.eml}.argv")" "" "$lang: sendmail argv is argv, not a shell line"
	is "$(tr '\n' ' ' <"${f%.eml}.argv")" "-i -f <> -- $addr " "$lang: sendmail -i -f <> -- recipient (null envelope sender)"
	diag "---- acknowledgement in $lang, as sent:"
	while IFS= read -r line; do diag "$line"; done < <("$MAILINFO" "$f" | grep -v -i '^\(MIME-Version\|Content-Type\):')
done
like "$(dm_body "$(dm_sent | sed -n 1p)")" 'ob [0-9]+\.[0-9]{2}' "sl: the answer time is written the Slovenian way"

# --- mail that must not be answered: stored, no mail, reason in export
# Called as: suppressed ... < <(mail ...), never in a pipeline: a pipeline
# would run it in a subshell and lose the TAP count.
suppressed() { # suppressed ID REASON DESCRIPTION [deliver args] < mail
	cat >"$T/$1.eml"
	local before
	before=$(dm_sent_count)
	dm_deliver "$T/$1.eml" "${@:4}"
	is "$RC" 0 "$3: stored"
	is "$(dm_sent_count)" "$before" "$3: nothing sent"
	is "$(ack_of "$1")" "suppressed: $2" "$3: export says why"
}
B="Dober dan, prosim za pomoč pri prijavi v sistem."
suppressed s1@x auto-submitted "Auto-Submitted: auto-replied" < <(mail s1@x "Ana <ana1@example.si>" "Odsoten" "$B" "Auto-Submitted: auto-replied")
suppressed s2@x precedence "Precedence: bulk" < <(mail s2@x "Ana <ana2@example.si>" "Novice" "$B" "Precedence: bulk")
suppressed s3@x list "List-Id" < <(mail s3@x "Ana <ana3@example.si>" "Lista" "$B" "List-Id: <knjiznice.lists.example.si>")
suppressed s4@x x-auto-response-suppress "X-Auto-Response-Suppress: All" < <(mail s4@x "Ana <ana4@example.si>" "Exchange" "$B" "X-Auto-Response-Suppress: All")
suppressed s5@x robot-sender "MAILER-DAEMON" < <(mail s5@x "Mail Delivery System <MAILER-DAEMON@example.si>" "Undelivered" "$B")
suppressed s6@x null-sender "null envelope sender" --sender "" < <(mail s6@x "Ana <ana6@example.si>" "Null" "$B")
suppressed s7@x robot-sender "noreply sender" < <(mail s7@x "Shop <noreply@shop.example>" "Naročilo" "$B")
suppressed s8@x own-address "our own address" < <(mail s8@x "Desk <support@example.org>" "Loop" "$B")
suppressed s9@x loop "another desk's loop marker" < <(mail s9@x "Other desk <help@other.example>" "Loop" "$B" "X-Deskmail-Loop: other.example")
suppressed s10@x null-sender "Return-Path: <>" < <(mail s10@x "Ana <ana10@example.si>" "Return path" "$B" "Return-Path: <>")
suppressed s16@x loop "X-Loop naming our address" < <(mail s16@x "Ana <ana16@example.si>" "Preusmerjeno" "$B" "X-Loop: support@example.org")
suppressed s17@x loop "X-Loop naming our plus-address" < <(mail s17@x "Ana <ana17@example.si>" "Preusmerjeno" "$B" "X-Loop: SUPPORT+t1-abc@example.org")
report() { # report ID FROM REPORT-TYPE PART-TYPE [EXTRA-HEADERS]
	cat <<MAIL
From: $2
To: support@example.org
Subject: Report
Date: Tue, 24 Nov 2026 10:00:00 +0100
Message-ID: <$1>
${5:+$5
}MIME-Version: 1.0
Content-Type: multipart/report; report-type=$3; boundary="R"

--R
Content-Type: text/plain

A report about your message.
--R
Content-Type: $4

Version: 1
Original-Message-ID: <lang-fi@example>

--R--
MAIL
}
suppressed s18@x feedback-report "abuse feedback report (RFC 5965)" < <(report s18@x "Abuse desk <abuse@isp.example.net>" feedback-report message/feedback-report)
suppressed s19@x receipt "read receipt (RFC 8098)" < <(report s19@x "Ana <ana19@example.si>" disposition-notification message/disposition-notification)
# A receipt for our acknowledgement names it in In-Reply-To: routing
# threads it onto the ticket by references, and it is not answered.
t=$(ticket_of lang-fi@example)
ackid=$(pg_sql "SELECT message_id FROM messages WHERE ticket_id = $t AND direction = 'out' ORDER BY id LIMIT 1")
report s20@x "${FROM[fi]}" disposition-notification message/disposition-notification "In-Reply-To: <$ackid>
References: <$ackid>" >"$T/s20.eml"
before=$(dm_sent_count)
dm_deliver "$T/s20.eml"
is "$RC" 0 "read receipt of our acknowledgement: stored"
is "$(ticket_of s20@x)" "$t" "read receipt of our acknowledgement: joins the acknowledged ticket"
is "$(dm_sent_count)" "$before" "read receipt of our acknowledgement: nothing sent"
is "$(pg_sql "SELECT kind FROM messages WHERE message_id = 's20@x'")" auto "read receipt of our acknowledgement: kind auto"
# postmaster@ is read as a person (RFC 5230 4.6).
before=$(dm_sent_count)
mail s21@x "Postmaster <postmaster@example.si>" "Vaš strežnik" "$B" >"$T/s21.eml"
dm_deliver "$T/s21.eml"
is "$(dm_sent_count)" $((before + 1)) "postmaster@ is a person: answered"
before=$(dm_sent_count)
mail s11@x "Ana <ana11@example.si>" "Človek" "$B" "Auto-Submitted: no" >"$T/s11.eml"
dm_deliver "$T/s11.eml"
is "$(dm_sent_count)" $((before + 1)) "Auto-Submitted: no is answered"
# A From that starts with "-" never reaches sendmail's argv.
before=$(dm_sent_count)
mail s12@x "<-oQ/tmp/evil@example.com>" "Option" "$B" >"$T/s12.eml"
dm_deliver "$T/s12.eml"
is "$RC" 0 "From beginning with '-': stored"
is "$(dm_sent_count)" "$before" "From beginning with '-': nothing sent"
ok "$(grep -l -- '-oQ' "$DM_SENDMAIL_DIR"/*.argv >/dev/null 2>&1; [ $? != 0 ]; echo $?)" "... and never in any sendmail argv"
# CRLF hidden in an encoded subject cannot add a header to the ack.
before=$(dm_sent_count)
mail s13@x "Ana <ana13@example.si>" "=?utf-8?q?Hello=0D=0ABcc:_victim@example.com=0D=0AX-Evil:_1?=" "$B" >"$T/s13.eml"
dm_deliver "$T/s13.eml"
f=$(dm_sent | tail -1)
is "$(dm_sent_count)" $((before + 1)) "CRLF in the subject: acknowledged"
is "$(grep -ci '^\(Bcc\|X-Evil\):' "$f")" 0 "... without an injected header"
# A display name that decodes to header-like text or an address is
# dropped: the acknowledgement goes to the bare address.
before=$(dm_sent_count)
mail s14@x "=?utf-8?b?RXZhDQpCY2M6IHZpY3RpbUBleGFtcGxlLmNvbQ0KWC1JbmplY3RlZDogeWVz?= <eva14@example.si>" "Pomoč" "$B" >"$T/s14.eml"
dm_deliver "$T/s14.eml"
f=$(dm_sent | tail -1)
is "$(dm_sent_count)" $((before + 1)) "a name with CRLF and a Bcc: acknowledged"
is "$(sed -n '/^$/q; /^To:/p' "$f" | tr -d '\r')" "To: eva14@example.si" "... To the bare address, no name"
is "$(grep -ci 'victim\|X-Injected' "$f")" 0 "... the injected text appears nowhere in the mail, nor in its greeting"
mail s15@x "=?utf-8?q?Eva_=3Cother@example.com=3E?= <eva15@example.si>" "Pomoč" "$B" >"$T/s15.eml"
dm_deliver "$T/s15.eml"
f=$(dm_sent | tail -1)
is "$(sed -n '/^$/q; /^To:/p' "$f" | tr -d '\r')" "To: eva15@example.si" "a name holding another address: the bare address"

# --- follow-ups on an open ticket get no new acknowledgement
t=$(ticket_of lang-sl@example)
before=$(dm_sent_count)
mail follow@x "${FROM[sl]}" "Re: [Support #$t] ${SUBJ[sl]}" "Še vedno ne dela." >"$T/follow.eml"
dm_deliver "$T/follow.eml"
is "$(ticket_of follow@x)" "$t" "follow-up joins its ticket"
is "$(dm_sent_count)" "$before" "follow-up: no acknowledgement"
is "$(dm_count "events WHERE ticket_id = $t AND kind = 'ack' AND detail = 'follow-up'")" 0 \
	"follow-up: no ack event either (only new tickets are acknowledged)"

# --- the rate limit per sender, kept in PostgreSQL
DM_ACK_EXTRA="rate_limit = 2
rate_period = 1h" DM_OUTGOING_EXTRA="retry_delay = 1s" dm_write_config
before=$(dm_sent_count)
for i in 1 2 3; do
	mail "rate$i@x" "Rok <rok@example.si>" "Vprašanje $i" "$B" >"$T/rate$i.eml"
	dm_deliver "$T/rate$i.eml"
done
is "$(dm_sent_count)" $((before + 2)) "rate limit: two acknowledgements, not three"
is "$(ack_of rate3@x)" "suppressed: rate-limit" "rate limit: the third is suppressed, and says why"
DM_OUTGOING_EXTRA="retry_delay = 1s" dm_write_config

# --- a bounce of our acknowledgement
t=$(ticket_of lang-en@example)
ackid=$(pg_sql "SELECT message_id FROM messages WHERE ticket_id = $t AND direction = 'out'")
cat >"$T/bounce.eml" <<MAIL
From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: support@example.org
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.example.org>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; daniel@example.org.uk
Action: failed
Status: 5.1.1

--B
Content-Type: text/rfc822-headers

From: Example Service Desk <support@example.org>
To: daniel@example.org.uk
Subject: [Support #$t] Cannot log in
Message-ID: <$ackid>

--B--
MAIL
before=$(dm_sent_count)
dm_deliver "$T/bounce.eml" --sender ""
is "$RC" 0 "bounce: stored"
is "$(ticket_of bounce-1@mx.example.org)" "$t" "bounce: attached to the ticket of the mail that bounced"
is "$(pg_sql "SELECT kind FROM messages WHERE message_id = 'bounce-1@mx.example.org'")" bounce "bounce: kind bounce"
is "$(dm_sent_count)" "$before" "bounce: triggers no mail"
is "$(pg_sql "SELECT failing_since IS NOT NULL FROM contacts WHERE address = 'daniel@example.org.uk'")" t \
	"bounce: the recipient is marked failing"
is "$(pg_sql "SELECT status FROM tickets WHERE id = $t")" new "bounce: the ticket's status is unchanged"
mail after-bounce@x "${FROM[en]}" "Another question" "${BODY[en]}" >"$T/ab.eml"
dm_deliver "$T/ab.eml"
is "$(dm_sent_count)" "$before" "an address marked failing gets no acknowledgement"
is "$(ack_of after-bounce@x)" "suppressed: failing-address" "... and export says why"

# --- sendmail failing: the mail is safe, the ack waits in the outbox
touch "$DM_SENDMAIL_DIR/FAIL"
mail queued@x "Maja <maja@example.si>" "Ne dela" "$B" >"$T/queued.eml"
dm_deliver "$T/queued.eml"
is "$RC" 0 "sendmail failing: deliver still exits 0"
is "$(dm_count "messages WHERE message_id = 'queued@x'")" 1 "sendmail failing: the mail is stored"
is "$(pg_sql "SELECT status || ' ' || attempts FROM outbox o JOIN messages m ON m.id = o.message_id WHERE m.ticket_id = $(ticket_of queued@x)")" \
	"queued 1" "sendmail failing: the row stays queued, with its attempt counted"
like "$("$DESKMAIL" outbox list)" 'queued .*recording-sendmail exited 75' "outbox list shows the row and its error"
rm "$DM_SENDMAIL_DIR/FAIL"
sleep 1.2
before=$(dm_sent_count)
OUT=$("$DESKMAIL" outbox flush); RC=$?
is "$RC" 0 "outbox flush exits 0"
is "$OUT" "1 sent, 0 failed" "outbox flush sends it"
is "$(dm_sent_count)" $((before + 1)) "... once"
OUT=$("$DESKMAIL" outbox flush)
is "$OUT" "0 sent, 0 failed" "a second flush sends nothing"
is "$(dm_sent_count)" $((before + 1)) "... still once"

# --- two concurrent flushes send every row once (a host without the
# service: its sender would take part in the race)
dm_serve_stop
DM_FRONT_END=deliver
touch "$DM_SENDMAIL_DIR/FAIL"
for i in $(seq 1 8); do
	mail "conc$i@x" "Oseba $i <oseba$i@example.si>" "Vprašanje" "$B" >"$T/conc$i.eml"
	dm_deliver "$T/conc$i.eml"
done
rm "$DM_SENDMAIL_DIR/FAIL"
sleep 1.2
before=$(dm_sent_count)
"$DESKMAIL" outbox flush >"$T/f1.out" 2>&1 & p1=$!
"$DESKMAIL" outbox flush >"$T/f2.out" 2>&1 & p2=$!
wait $p1; wait $p2
is "$(dm_sent_count)" $((before + 8)) "two concurrent flushes: 8 rows, 8 mails"
is "$(cat "$T"/f1.out "$T"/f2.out | sed 's/ sent.*//' | paste -sd+ | bc)" 8 "... split between them"
is "$(dm_count "outbox WHERE status = 'queued'")" 0 "... nothing left queued"

# --- the answer-by line of the desk's promise ([hours] answer_*), with
# the clock set by faketime.  The Finnish and Hungarian mails are normal:
# Monday 22:13 is outside opening hours, so the end of the next working
# day (Tuesday 20:00, not the Thursday 11:00 that 24 opening hours gave);
# Friday 19:30 is inside, and 24 hours later the short Saturday is over,
# so Monday 09:00.  The Slovenian (users are waiting) and English (locked
# out) mails are urgent: 4 opening hours.
declare -A WANT PRIO
PRIO=([sl]=urgent [fi]=normal [hu]=normal [en]=urgent)
WANT[sl-mon]="torek, 24. novembra 2026 ob 13.00"
WANT[fi-mon]="tiistaina 24. marraskuuta 2026 klo 20.00"
WANT[hu-mon]="2026. november 24., kedd 20:00"
WANT[en-mon]="Tuesday, 24 November 2026 at 13:00"
WANT[sl-fri]="sobota, 21. novembra 2026 ob 12.30"
WANT[fi-fri]="maanantaina 23. marraskuuta 2026 klo 9.00"
WANT[hu-fri]="2026. november 23., hétfő 9:00"
WANT[en-fri]="Saturday, 21 November 2026 at 12:30"
if command -v faketime >/dev/null; then
	for when in "mon 2026-11-23 22:13:00" "fri 2026-11-20 19:30:00"; do
		day=${when%% *}
		for lang in sl fi hu en; do
			addr="due-$day-$lang@example.net"
			mail "due-$day-$lang@example" "$addr" "${SUBJ[$lang]}" "${BODY[$lang]}" >"$T/due.eml"
			before=$(dm_sent_count)
			dm_sent >"$T/sent-before"
			# faketime reads the time in its TZ; deskmail itself never uses TZ.
			OUT=$(TZ=Europe/Ljubljana faketime "${when#* }" "$DESKMAIL" deliver <"$T/due.eml" 2>&1)
			is "$?" 0 "$lang, $day: stored at the faked time"
			is "$(dm_sent_count)" $((before + 1)) "$lang, $day: acknowledged"
			is "$(pg_sql "SELECT priority FROM tickets WHERE id = $(ticket_of "due-$day-$lang@example")")" \
				"${PRIO[$lang]}" "$lang, $day: priority ${PRIO[$lang]}"
			# The recording sendmail names its files by the (faked) clock.
			f=$(dm_sent | grep -vxFf "$T/sent-before")
			line=$(dm_body "$f" | grep -F "${WANT[$lang-$day]}")
			ok "$([ -n "$line" ]; echo $?)" "$lang, $day: answer by ${WANT[$lang-$day]}"
			diag "$lang, $day: $line"
		done
	done
else
	ok 1 "faketime is installed (apt-get install faketime)"
fi

tap_done
