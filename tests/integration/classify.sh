#!/bin/bash
# classify.sh - topic, language and urgency: eval on the labelled mail,
# train -> deliver -> topic in export, and an agent's #topic correction
# changing the next classification.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
dm_setup
# The project's labelled mail, one file per language, as one file for
# train and eval.
LABELLED=$T/labelled.jsonl
cat "$TOP_SRCDIR"/tests/data/labelled/*.jsonl >"$LABELLED"
N=$(grep -c . "$LABELLED")
per_topic() { jq -r --arg t "$1" 'select(.topic == $t) | .id' "$LABELLED" | wc -l; }
ok "$([ "$N" -ge 440 ]; echo $?)" "the project's labelled mail is there ($N mails)"

# eval_check FILE ACCURACY RECALL PRECISION: 5-fold figures at least these.
eval_check() {
	local E RC acc rec pre
	E=$("$DESKMAIL" eval "$1"); RC=$?
	is "$RC" 0 "eval $(basename "$1") exits 0"
	diag "$(head -6 <<<"$E" | tail -4 | tr -s ' ' | paste -sd';')"
	acc=$(sed -n 's/^topic accuracy *\([0-9.]*\).*/\1/p' <<<"$E")
	rec=$(sed -n 's/^urgent recall *\([0-9.]*\)/\1/p' <<<"$E")
	pre=$(sed -n 's/^urgent precision *\([0-9.]*\)/\1/p' <<<"$E")
	ok "$(awk "BEGIN { exit !($acc >= $2) }"; echo $?)" "5-fold topic accuracy $acc >= $2"
	ok "$(awk "BEGIN { exit !($rec >= $3) }"; echo $?)" "urgent recall $rec >= $3"
	ok "$(awk "BEGIN { exit !($pre >= $4) }"; echo $?)" "urgent precision $pre >= $4"
	is "$(grep -c '^[0-9 ][0-9] [a-z-]* ' <<<"$E")" 11 "eval prints the confusion matrix, 11 rows"
	EVAL_OUT=$E
}
# The project's set holds hurried mail that is not urgent ("today",
# "tänään", "ma"), which the urgency phrases take for urgent.
eval_check "$LABELLED" 0.84 0.85 0.65
like "$EVAL_OUT" "login-password +[0-9.]+ +[0-9.]+ +$(per_topic login-password)" "eval prints per-topic precision and recall"
# A second set as an extra check, when there is one (see tests/labelled.h).
EXTRA=${DM_LABELLED_DATA:-$TOP_SRCDIR/../shared/data/labelled-dev.jsonl}
if [ -n "${DM_LABELLED_DATA:-}" ] || [ -f "$EXTRA" ]; then
	eval_check "$EXTRA" 0.90 0.85 0.80
fi

# eval --train A --test B: the project's set split by language, the
# model trained in memory on sl, fi and hu and tested on the English mail.
cat "$TOP_SRCDIR"/tests/data/labelled/{sl,fi,hu}.jsonl >"$T/train.jsonl"
NE=$(grep -c . "$TOP_SRCDIR/tests/data/labelled/en.jsonl")
E=$("$DESKMAIL" eval --train "$T/train.jsonl" --test "$TOP_SRCDIR/tests/data/labelled/en.jsonl"); RC=$?
is "$RC" 0 "eval --train --test exits 0"
diag "$(head -6 <<<"$E" | tail -4 | tr -s ' ' | paste -sd';')"
like "$E" "^trained on $((N - NE)) examples .*, tested on $NE " "eval --train --test says what it trained and tested on"
acc=$(sed -n 's/^topic accuracy *\([0-9.]*\).*/\1/p' <<<"$E")
ok "$(awk "BEGIN { exit !($acc >= 0.5) }"; echo $?)" "topic accuracy on English mail from a model of the other languages: $acc >= 0.5"
like "$E" "^topic accuracy +[0-9.]+ +\([0-9]+ of $NE\)" "... counted over the test file"
like "$E" "^urgent precision +[0-9.]+" "eval --train --test prints urgent precision"
like "$E" "^urgent recall +[0-9.]+" "... and recall"
like "$E" "^en +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+ +$NE\$" "... and the figures of the test file's language"
is "$(grep -c '^[0-9 ][0-9] [a-z-]* ' <<<"$E")" 11 "... and the confusion matrix, 11 rows"
is "$(awk '/^confusion/ { on = 1; next } on && $2 ~ /^[a-z]/ { for (i = 3; i <= NF; i++) s += $i } END { print s }' <<<"$E")" "$NE" \
	"the confusion matrix counts every test mail once"
like "$EVAL_OUT" "^(sl|fi|hu|en) +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+\$" "cross-validation prints the figures per language too"
OUT=$("$DESKMAIL" eval --train "$T/train.jsonl" 2>&1); RC=$?
is "$RC" 64 "eval --train without --test: exit 64"
is "$(wc -l <<<"$OUT")" 1 "... with one line"
OUT=$("$DESKMAIL" eval --test "$T/train.jsonl" "$LABELLED" 2>&1); RC=$?
is "$RC" 64 "eval --test with a file and no --train: exit 64"
is "$(dm_count model_classes)" 0 "eval does not touch the stored model"

# Before training: a mail with no rule phrase and no known word is triage.
mail() { # mail ID SUBJECT BODY [FROM]
	printf 'From: %s\nTo: support@example.org\nSubject: %s\nMessage-ID: <%s>\nContent-Type: text/plain; charset=utf-8\n\n%s\n' \
		"${4:-Zala <zala@example.si>}" "$2" "$1" "$3"
}
mail q1@x "Zorbulator" "Zorbulator flimflam quuxification ne dela pravilno." >"$T/q1.eml"
dm_deliver "$T/q1.eml"
J=$("$DESKMAIL" export --ticket 1)
is "$(jq -r .topic <<<"$J")" triage "an unknown kind of mail goes to triage"

OUT=$("$DESKMAIL" train "$LABELLED"); RC=$?
is "$RC" 0 "train exits 0"
like "$OUT" "^$N examples added; the topic model now holds $N documents" "train reports what it stored"
is "$(dm_count model_classes)" 11 "the model has the 11 topics"

# After training: delivered mail gets topic, priority, team and language.
mail r1@x "Knjige ne morem podaljšati" "Dober dan, v spletnem katalogu ne morem podaljšati izposoje knjig, rok vrnitve je jutri." >"$T/r1.eml"
dm_deliver "$T/r1.eml"
J=$("$DESKMAIL" export --ticket 2)
is "$(jq -r .topic <<<"$J")" loans-reservations "a renewal question: loans-reservations"
is "$(jq -r .team <<<"$J")" first-line "... routed to its team"
is "$(jq -r .language <<<"$J")" sl "... language sl"
is "$(jq -r .priority <<<"$J")" normal "... priority normal"
mail u1@x "Sistem ne dela" "Nihče v knjižnici se ne more prijaviti, izposoja stoji, ne moremo delati." "Mirko <mirko@example.si>" >"$T/u1.eml"
dm_deliver "$T/u1.eml"
is "$("$DESKMAIL" export --ticket 3 | jq -r .priority)" urgent "\"nobody can log in, we cannot work\": urgent"
mail f1@x "Kirjaston tulostin" "Hei, kirjaston tulostin ei tulosta, paperi juuttuu koko ajan." "Mikko <mikko@example.fi>" >"$T/f1.eml"
dm_deliver "$T/f1.eml"
is "$("$DESKMAIL" export --ticket 4 | jq -r '.topic + " " + .language + " " + .team')" "hardware-printing fi it-support" \
	"a Finnish printer problem: hardware-printing, fi, it-support"

# classify prints the decision and stores nothing.
before=$(dm_count tickets)
OUT=$("$DESKMAIL" classify <"$T/r1.eml"); RC=$?
is "$RC" 0 "classify exits 0"
like "$OUT" '^topic +loans-reservations$' "classify: topic"
like "$OUT" '^confidence +[0-9.]+' "classify: confidence"
like "$OUT" '^language +sl$' "classify: language"
like "$OUT" '^priority +normal' "classify: priority"
like "$OUT" '^tokens +.+\([0-9.-]+\)' "classify: the deciding tokens"
is "$(dm_count tickets)" "$before" "classify stores nothing"

# An agent's #topic correction teaches the model.
"$DESKMAIL" agent add lead@desk.example.org --name Lead --team first-line >/dev/null
mail q2@x "Zorbulator spet" "Zorbulator flimflam quuxification spet ne dela." >"$T/q2.eml"
dm_deliver "$T/q2.eml"
T5=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'q2@x'")
before_topic=$(pg_sql "SELECT topic FROM tickets WHERE id = $T5")
ok "$([ "$before_topic" != facilities ]; echo $?)" "before the correction the zorbulator is not 'facilities' ($before_topic)"
cat >"$T/fix.eml" <<MAIL
From: Lead <lead@desk.example.org>
To: support@example.org
Subject: Re: [Support #$T5] Zorbulator spet
Message-ID: <fix@desk>
Authentication-Results: localhost; dkim=pass header.d=desk.example.org
Content-Type: text/plain

#topic facilities
#note
Zorbulator je naprava v stavbi.
MAIL
printf '[agents]\ntrusted_authserv_id = localhost\n' >>"$DESKMAIL_CONFIG"
dm_config_changed
dm_deliver "$T/fix.eml"
is "$(pg_sql "SELECT topic FROM tickets WHERE id = $T5")" facilities "#topic corrects the ticket"
nf=$(per_topic facilities)
is "$(pg_sql "SELECT docs FROM model_classes WHERE model = 'topic' AND class = 'facilities'")" $((nf + 1)) \
	"the correction is one more document of 'facilities' ($nf trained + 1)"
ok "$([ "$(pg_sql "SELECT count(*) FROM model_tokens WHERE model = 'topic' AND class = 'facilities' AND token LIKE 'zorbul%'")" -ge 1 ]; echo $?)" \
	"the correction added the ticket's words to the corrected topic"
mail q3@x "Zorbulator" "Zorbulator flimflam quuxification ne dela." "Tine <tine@example.si>" >"$T/q3.eml"
dm_deliver "$T/q3.eml"
is "$(pg_sql "SELECT topic FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'q3@x'")" facilities \
	"the next such mail is classified as the agent said"
"$DESKMAIL" train /dev/null >/dev/null 2>&1
is "$?" 0 "train on an empty file adds nothing and succeeds"
printf '{"subject": "x", "body": "y", "topic": "no-such-topic"}\n' >"$T/bad.jsonl"
OUT=$("$DESKMAIL" train "$T/bad.jsonl" 2>&1); RC=$?
is "$RC" 65 "train with an unknown topic: exit 65"
like "$OUT" "bad\\.jsonl:1: topic 'no-such-topic' is not in the topics file" "... naming the line"

# The starter model: a fresh database, with [desk] starter_model naming
# the project's labelled mail, classifies as soon as db init is done.
printf 'From: Ana <ana@example.org>\nTo: support@example.org\nSubject: The printer does not print\nMessage-ID: <p1@x>\nContent-Type: text/plain\n\nHello, the printer in the reading room does not print my documents, the print queue shows an error.\n' >"$T/print.eml"
DM_CONNINFO="$DM_CONNINFO dbname=deskmail_starter" DM_STARTER_MODEL=$TOP_SRCDIR/tests/data/labelled dm_write_config
OUT=$("$DESKMAIL" db init 2>&1); RC=$?
is "$RC" 0 "db init with a starter model exits 0"
like "$OUT" "^starter model: $N examples from .*labelled; the topic model holds $N documents" "db init trains the starter model"
OUT=$("$DESKMAIL" classify <"$T/print.eml"); RC=$?
is "$RC" 0 "classify after a fresh db init exits 0"
is "$(sed -n 's/^topic *//p' <<<"$OUT")" hardware-printing "a printing mail: hardware-printing"
conf=$(sed -n 's/^confidence *\([0-9.]*\).*/\1/p' <<<"$OUT")
ok "$(awk "BEGIN { exit !($conf > 0.3) }"; echo $?)" "with a real confidence ($conf > 0.3, not 1/11)"
OUT=$("$DESKMAIL" db init 2>&1)
ok "$(grep -q 'starter model' <<<"$OUT"; echo $((!$?)))" "a second db init leaves the trained model alone"
OUT=$("$DESKMAIL" train "$LABELLED")
like "$OUT" "the topic model now holds $((2 * N)) documents" "... which still holds the starter's $N documents"
# A starter_model that is not there: db init still initialises, and says so.
DM_CONNINFO="$DM_CONNINFO dbname=deskmail_nostarter" DM_STARTER_MODEL=$T/no-such-dir dm_write_config
OUT=$("$DESKMAIL" db init 2>&1); RC=$?
is "$RC" 0 "db init with a missing starter model still exits 0"
like "$OUT" "no starter model" "... and warns that the model stays empty"

tap_done
