#!/bin/bash
# gen-hostile.sh DIR [all|small|large|CASE...] - write the hostile mail of
# tests/integration/hostile.sh into DIR, one file per case, DIR/CASE.eml.
# Without CASE names every case is written (about 210 MB, a few seconds).
# The small cases are committed in tests/data/hostile/; nothing large is
# ever committed.  The output is deterministic (no
# randomness), so a failing case can be regenerated and delivered by hand:
#
#     tests/gen-hostile.sh /tmp/h nested-1000 && deskmail deliver </tmp/h/nested-1000.eml
#
# Every readable case carries Message-ID <hostile-CASE@test.example>
# (except where the Message-ID itself is the attack), so the test can
# count what was stored.
set -eu # no pipefail: `yes | head` ends yes with SIGPIPE
export LC_ALL=C

out=${1:?usage: gen-hostile.sh DIR [CASE...]}
shift
mkdir -p "$out"

# The common headers: hdr CASE [SUBJECT]
hdr() {
	printf 'From: Ana Novak <ana@example.si>\nTo: support@example.org\n'
	printf 'Subject: %s\n' "${2:-hostile $1}"
	printf 'Date: Mon, 23 Nov 2026 09:15:00 +0100\nMessage-ID: <hostile-%s@test.example>\nMIME-Version: 1.0\n' "$1"
}

# N copies of STRING, no separator.
rep() { # rep N STRING
	awk -v n="$1" -v s="$2" 'BEGIN { ORS = ""; for (i = 0; i < n; i++) print s }'
}

# N deterministic bytes that are not all the same (decimal counters).
counter_bytes() { # counter_bytes N
	seq -w 1 99999999 | head -c "$1"
}

gen() { # gen CASE: write $out/CASE.eml
	local c=$1 f=$out/$1.eml
	case $c in

	# --- MIME structure
	nested-1000) # 1,000 nested multipart/mixed levels (max_depth is 100)
		{
			hdr "$c"
			printf 'Content-Type: multipart/mixed; boundary="b0"\n\nPreamble.\n'
			awk 'BEGIN { for (i = 0; i < 1000; i++)
				printf "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i + 1 }'
			printf -- '--b1000\nContent-Type: text/plain; charset=us-ascii\n\nThe deepest text.\n'
			awk 'BEGIN { for (i = 1000; i >= 0; i--) printf "--b%d--\n", i }'
		} >"$f" ;;
	parts-100000) # 100,000 sibling parts (max_parts is 10,000)
		{
			hdr "$c"
			printf 'Content-Type: multipart/mixed; boundary="p"\n\n--p\nContent-Type: text/plain\n\nA hundred thousand files.\n'
			awk 'BEGIN { for (i = 0; i < 100000; i++)
				printf "--p\nContent-Type: application/octet-stream; name=\"f%d.bin\"\n\n%d\n", i, i }'
			printf -- '--p--\n'
		} >"$f" ;;
	rfc822-200) # 200 nested message/rfc822 levels
		{
			hdr "$c"
			printf 'Content-Type: message/rfc822\n\n'
			awk 'BEGIN { for (i = 1; i < 200; i++)
				printf "From: level%d@example.net\nSubject: level %d\nContent-Type: message/rfc822\n\n", i, i }'
			printf 'From: level200@example.net\nSubject: level 200\nContent-Type: text/plain\n\nThe innermost text.\n'
		} >"$f" ;;
	headers-only) # headers and nothing else, not even the blank line
		{
			hdr "$c"
			printf 'Content-Type: text/plain; charset=utf-8\nX-Last: header'
		} >"$f" ;;
	garbage-8bit) # 8-bit garbage, no header at all (not mail: 65)
		awk 'BEGIN { ORS = ""; for (i = 0; i < 20000; i++) {
			b = 128 + (i * 37) % 128; printf "%c", b; if (i % 97 == 96) printf "\n" } }' >"$f" ;;

	# --- header sizes
	header-10mb) # one 10 MB header line: the Subject
		{
			printf 'From: Ana Novak <ana@example.si>\nTo: support@example.org\nSubject: Help '
			head -c 10485760 /dev/zero | tr '\0' 'a'
			printf '\nDate: Mon, 23 Nov 2026 09:15:00 +0100\nMessage-ID: <hostile-%s@test.example>\n' "$c"
			printf 'Content-Type: text/plain\n\nThe subject is long.\n'
		} >"$f" ;;
	msgid-100k) # a Message-ID of 100 KB
		{
			printf 'From: Ana Novak <ana@example.si>\nTo: support@example.org\nSubject: long id\n'
			printf 'Message-ID: <hostile-msgid-100k-'
			rep 102400 x
			printf '@test.example>\nContent-Type: text/plain\n\nA very long Message-ID.\n'
		} >"$f" ;;
	references-10000) # References with 10,000 ids
		{
			hdr "$c" "many references"
			printf 'In-Reply-To: <ref-9999@refs.example>\nReferences:'
			awk 'BEGIN { for (i = 0; i < 10000; i++) printf " <ref-%d@refs.example>\n", i }'
			printf 'Content-Type: text/plain\n\nTen thousand references.\n'
		} >"$f" ;;

	# --- bytes that should not be there
	nul-bytes) # NUL in headers and body
		{
			printf 'From: Ana\0 Novak <ana@example.si>\nTo: support@example.org\n'
			printf 'Subject: nul\0 in \0the subject\nX-Nul: \0\0\0\n'
			printf 'Message-ID: <hostile-%s@test.example>\nContent-Type: text/plain; charset=utf-8\n\n' "$c"
			printf 'Body with\0 NUL\0\0 bytes.\n\0\n'
		} >"$f" ;;
	bad-base64) # invalid base64 in a text part and an attachment
		{
			hdr "$c"
			printf 'Content-Type: multipart/mixed; boundary="x"\n\n--x\nContent-Type: text/plain; charset=utf-8\n'
			printf 'Content-Transfer-Encoding: base64\n\n!!!!@@@@ not base64 at all ====\nYWJj===ZGVm\n=\n\xff\xfe\n'
			printf -- '--x\nContent-Type: application/pdf; name="x.pdf"\nContent-Transfer-Encoding: base64\n\n'
			printf 'JVBERi0=====\n*&^%%$#@!\nA\n--x--\n'
		} >"$f" ;;
	bad-qp) # invalid quoted-printable
		{
			hdr "$c"
			printf 'Content-Type: text/plain; charset=iso-8859-2\nContent-Transfer-Encoding: quoted-printable\n\n'
			printf 'bad =ZZ escape =4 half =\n=\n=3D=3=\n\xe8rka =C8 =\r\nend=\n=='
		} >"$f" ;;
	charset-klingon) # unknown charsets in the body and in RFC 2047 words
		{
			printf 'From: =?x-klingon?q?Worf?= <worf@example.net>\nTo: support@example.org\n'
			printf 'Subject: =?x-klingon?b?cWFwbGEnIQ==?= =?x-klingon?q?=E8=9A?=\n'
			printf 'Message-ID: <hostile-%s@test.example>\n' "$c"
			printf 'Content-Type: text/plain; charset=x-klingon\nContent-Transfer-Encoding: 8bit\n\n'
			printf 'Qapla\x27! \xe8\x9a\xff\xc3 batlh\n'
		} >"$f" ;;
	charset-injection) # charset="utf-8\" injection"
		{
			hdr "$c"
			printf 'Content-Type: text/plain; charset="utf-8\\" injection"; format=flowed\n\n'
			printf 'Dober dan, \xc4\x8d\xc5\xa1\xc5\xbe \xe8\n'
		} >"$f" ;;
	charset-nul) # a charset name with a NUL in it
		{
			hdr "$c"
			printf 'Content-Type: text/plain; charset=utf\0-8\n\nD\xc3\xa9j\xc3\xa0 vu \xe9\n'
		} >"$f" ;;

	# --- addresses
	from-empty) # From: <>
		{ printf 'From: <>\n'; hdr "$c" | sed 1d; printf 'Content-Type: text/plain\n\nNo sender.\n'; } >"$f" ;;
	from-at) # From: "@"
		{ printf 'From: "@"\n'; hdr "$c" | sed 1d; printf 'Content-Type: text/plain\n\nAt.\n'; } >"$f" ;;
	from-semicolons) # From: ;;;
		{ printf 'From: ;;;\n'; hdr "$c" | sed 1d; printf 'Content-Type: text/plain\n\nSemicolons.\n'; } >"$f" ;;
	to-5000) # To: with 5,000 addresses, Cc with a group
		{
			printf 'From: Ana Novak <ana@example.si>\nTo: support@example.org'
			awk 'BEGIN { for (i = 0; i < 5000; i++) printf ",\n user%d@to.example", i }'
			printf '\nCc: undisclosed-recipients:;\nSubject: many recipients\n'
			printf 'Message-ID: <hostile-%s@test.example>\nContent-Type: text/plain\n\nFive thousand.\n' "$c"
		} >"$f" ;;
	group-undisclosed) # group syntax only
		{
			printf 'From: Ana Novak <ana@example.si>\nTo: undisclosed-recipients:;\n'
			printf 'Cc: friends: a@friends.example, "b" <b@friends.example>;, :;, ;\nSubject: group\n'
			printf 'Message-ID: <hostile-%s@test.example>\nContent-Type: text/plain\n\nGroups.\n' "$c"
		} >"$f" ;;
	from-dash-oq) # a From that would be a sendmail option: -oQ/tmp/x@example.org
		{
			printf 'From: -oQ/tmp/x@example.org\nReply-To: -oQ/tmp/y@example.org\n'
			hdr "$c" | sed 1d
			printf 'Content-Type: text/plain\n\nOptions.\n'
		} >"$f" ;;
	from-dash-f) # From: "-f@evil" <-f@evil>, and a Cc that starts with -
		{
			printf 'From: "-f@evil" <-f@evil>\nCc: -bs@example.org, "-t" <-t@example.org>\n'
			hdr "$c" | sed 1d
			printf 'Content-Type: text/plain\n\nMore options.\n'
		} >"$f" ;;

	# --- header injection through RFC 2047
	crlf-subject) # =?utf-8?q?a=0D=0ABcc:_x@y?= in the Subject
		{
			printf 'From: Ana Novak <ana@example.si>\nTo: support@example.org\n'
			printf 'Subject: =?utf-8?q?a=0D=0ABcc:_x@y?= =?utf-8?b?DQpYLUluamVjdGVkOiB5ZXM=?=\n'
			printf 'Message-ID: <hostile-%s@test.example>\nContent-Type: text/plain\n\nInjected subject.\n' "$c"
		} >"$f" ;;
	crlf-from-name) # the same hidden in the From display name (RFC 2047 phrase rules)
		{
			printf 'From: =?utf-8?q?Eve=0D=0ABcc=3A_x=40y=0D=0AX-Injected=3A_yes?= <eve@example.net>\n'
			printf 'To: support@example.org\nSubject: injected name\n'
			printf 'Message-ID: <hostile-%s@test.example>\nContent-Type: text/plain\n\nInjected name.\n' "$c"
		} >"$f" ;;
	crlf-from-name-loose) # ... and with bare ':' and '@' inside the encoded word
		{
			printf 'From: =?utf-8?q?Eve=0D=0ABcc:_x@y=0D=0AX-Injected:_yes?= <eve@example.net>\n'
			printf 'To: support@example.org\nSubject: injected name, loosely\n'
			printf 'Message-ID: <hostile-%s@test.example>\nContent-Type: text/plain\n\nInjected name.\n' "$c"
		} >"$f" ;;

	# --- SQL metacharacters everywhere
	sql-meta)
		{
			printf '%s\n' "From: \"O'Brien'); DROP TABLE contacts; --\" <o'brien\$\$@example.org>"
			printf '%s\n' "To: support@example.org, \"x'; DELETE FROM messages; --\" <e''x@example.org>"
			printf '%s\n' "Subject: '; DROP TABLE tickets; -- \$\$ \\\\ E'' \\' %s %n"
			printf '%s\n' "Message-ID: <hostile-sql-';DROP_TABLE_tickets;--\$\$\\\\E''@test.example>"
			printf '%s\n' "References: <'); DROP TABLE messages; --@x> <\$\$@x>"
			printf 'Content-Type: multipart/mixed; boundary="s"\n\n--s\nContent-Type: text/plain\n\n'
			printf '%s\n' "'; DROP TABLE tickets; -- \$\$ \\\\ E''" "--s"
			printf '%s\n' "Content-Type: text/plain; name=\"'; DROP TABLE attachments; --\$\$\\\\E''.txt\""
			printf '%s\n' "Content-Disposition: attachment; filename=\"'; DROP TABLE attachments; --\$\$E''.txt\""
			printf '\nfile\n--s--\n'
		} >"$f" ;;

	# --- sizes
	size-60mb) # over the 50 MiB limit: 65
		{
			hdr "$c"
			printf 'Content-Type: text/plain\n\n'
			yes 'sixty megabytes of the same line, over the limit of fifty mebibytes...' | head -c 62914560
		} >"$f" ;;
	size-49mb) # 49 MB, under the limit: stored (36,000,000 bytes of attachment)
		{
			hdr "$c"
			printf 'Content-Type: multipart/mixed; boundary="z"\n\n--z\nContent-Type: text/plain\n\nA large file.\n'
			printf -- '--z\nContent-Type: application/octet-stream; name="big.bin"\nContent-Transfer-Encoding: base64\n\n'
			counter_bytes 36000000 | base64 -w 76
			printf -- '--z--\n'
		} >"$f" ;;
	zeros-40mb) # 40,000,000 zeros, base64 (54 MB encoded: delivered with a 64M limit)
		{
			hdr "$c"
			printf 'Content-Type: multipart/mixed; boundary="z"\n\n--z\nContent-Type: text/plain\n\nZeros.\n'
			printf -- '--z\nContent-Type: application/octet-stream; name="zeros.bin"\nContent-Transfer-Encoding: base64\n\n'
			head -c 40000000 /dev/zero | base64 -w 76
			printf -- '--z--\n'
		} >"$f" ;;
	gzip-bomb) # a gzip of 40 MB of zeros (39 KB): stored as the 39 KB it is
		{
			hdr "$c"
			printf 'Content-Type: multipart/mixed; boundary="z"\n\n--z\nContent-Type: text/plain\n\nA bomb.\n'
			printf -- '--z\nContent-Type: application/gzip; name="zeros.gz"\nContent-Transfer-Encoding: base64\n\n'
			head -c 40000000 /dev/zero | gzip -9 -n | base64 -w 76
			printf -- '--z--\n'
		} >"$f" ;;

	# --- automatic mail and attachments
	dsn-random) # a bounce about a Message-ID deskmail never sent
		{
			printf 'From: MAILER-DAEMON@mx.example.net\nTo: support@example.org\nSubject: Undelivered Mail Returned to Sender\n'
			printf 'Message-ID: <hostile-%s@test.example>\nMIME-Version: 1.0\n' "$c"
			printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="d"\n\n'
			printf -- '--d\nContent-Type: text/plain\n\nYour mail could not be delivered.\n'
			printf -- '--d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n'
			printf 'Final-Recipient: rfc822; victim@example.com\nAction: failed\nStatus: 5.1.1\n\n'
			printf -- '--d\nContent-Type: text/rfc822-headers\n\nFrom: support@example.org\n'
			printf 'Message-ID: <7f3a9c1e5b2d4a60-never-sent@random.example>\nSubject: whatever\n\n--d--\n'
		} >"$f" ;;
	tnef-garbage) # winmail.dat: the TNEF signature, then garbage
		{
			hdr "$c"
			printf 'Content-Type: multipart/mixed; boundary="t"\n\n--t\nContent-Type: text/plain\n\nOutlook.\n'
			printf -- '--t\nContent-Type: application/ms-tnef; name="winmail.dat"\nContent-Transfer-Encoding: base64\n\n'
			{
				printf '\x78\x9f\x3e\x22\x01\x00\x01\x90\x08\x00\xff\xff\xff\x7f'
				awk 'BEGIN { ORS = ""; for (i = 0; i < 4000; i++) printf "%c", (i * 131 + 7) % 256 }'
			} | base64 -w 76
			printf -- '--t--\n'
		} >"$f" ;;
	headers-100000) # 100,000 header fields
		{
			hdr "$c"
			awk 'BEGIN { for (i = 0; i < 100000; i++) printf "X-Junk-%d: %d\n", i % 7, i }'
			printf 'Content-Type: text/plain\n\nMany headers.\n'
		} >"$f" ;;
	parts-tiny-2m) # 2,000,000 empty parts in 12 MB
		{
			hdr "$c"
			printf 'Content-Type: multipart/mixed; boundary="p"\n\n--p\nContent-Type: text/plain\n\nTiny parts.\n'
			rep 2000000 '--p\n\n\n'
			printf -- '--p--\n'
		} >"$f" ;;
	headers-tiny-3m) # 3,300,000 header fields of 6 bytes (20 MB)
		{
			hdr "$c"
			rep 3300000 'X:xxx\n'
			printf 'Content-Type: text/plain\n\nTiny headers.\n'
		} >"$f" ;;
	html-deep) # HTML only: 100,000 nested elements, then text
		{
			hdr "$c"
			printf 'Content-Type: text/html; charset=utf-8\n\n<html><body>'
			rep 100000 '<div><b>'
			printf 'Deep text.'
			rep 100000 '</b></div>'
			printf '</body></html>\n'
		} >"$f" ;;
	envelope-dash) # a plain mail; the test gives --sender/--recipient starting with -
		{ hdr "$c"; printf 'Content-Type: text/plain\n\nEnvelope options.\n'; } >"$f" ;;
	*)
		echo "gen-hostile.sh: unknown case '$c'" >&2
		return 1 ;;
	esac
}

# SMALL is committed in tests/data/hostile/ (each under 300 KB; the test
# checks that this script still writes exactly those bytes); LARGE is
# written at test time.
SMALL="nested-1000 rfc822-200 headers-only garbage-8bit msgid-100k
references-10000 nul-bytes bad-base64 bad-qp charset-klingon charset-injection charset-nul
from-empty from-at from-semicolons to-5000 group-undisclosed from-dash-oq from-dash-f
crlf-subject crlf-from-name crlf-from-name-loose sql-meta gzip-bomb dsn-random
tnef-garbage envelope-dash"
LARGE="parts-100000 header-10mb size-60mb size-49mb zeros-40mb headers-100000 html-deep
parts-tiny-2m headers-tiny-3m"

# shellcheck disable=SC2086
case ${1:-all} in
all) shift $(($# > 0)); set -- $SMALL $LARGE ;;
small) shift; set -- $SMALL ;;
large) shift; set -- $LARGE ;;
esac
for c in "$@"; do
	gen "$c"
done
