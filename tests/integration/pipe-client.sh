#!/bin/bash
# pipe-client.sh - deskmail-deliver, the pipe transports' LMTP client,
# without the service: it must be libc-only, refuse unsafe arguments with
# 75, and, when the socket is absent or refuses, hand the message
# untouched to `deskmail deliver` (or exit 75 with --no-fallback).  The
# tests against the live service come with `deskmail serve`.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
: "${DESKMAIL_DELIVER:=$TOP_BUILDDIR/deskmail-deliver}"
dm_setup

# dm_client FILE [ARGS]: run the client on FILE, setting RC and OUT (stderr).
dm_client() {
	local f=$1
	shift
	OUT=$("$DESKMAIL_DELIVER" "$@" <"$f" 2>&1)
	RC=$?
}
nosock=$T/no-such-dir/lmtp
lines() { printf '%s\n' "$1" | grep -c .; }

# --- linked with libc only (a sanitizer build adds its runtime, never GLib)
libs=$(ldd "$DESKMAIL_DELIVER" | awk '{print $1}' | sed 's|.*/||' | sort)
is "$(printf '%s\n' "$libs" | grep -Ev '^(linux-vdso\.so\.1|libc\.so\.6|ld-linux[-a-z0-9_.]*\.so\.[0-9]+|lib(asan|ubsan|stdc\+\+|gcc_s|m|dl|pthread|rt)\.so\.[0-9.]+)$' | tr '\n' ' ')" "" \
	"ldd: only libc, the loader and the vdso"
like "$libs" '^libc\.so\.6$' "ldd: libc is there"
ldd "$DESKMAIL" | grep -q libglib
is "$?" 0 "... while deskmail itself links GLib (the check can fail)"

# --- help
OUT=$("$DESKMAIL_DELIVER" --help); RC=$?
is "$RC" 0 "--help exits 0"
like "$OUT" '--no-fallback' "--help lists --no-fallback"
like "$OUT" '/run/deskmail/lmtp|--socket PATH' "--help names the socket"

# --- fallback: no socket, the in-process deliver stores it once
dm_mail pipe1@example.si "Prek odjemalca" >"$T/m1.eml"
dm_client "$T/m1.eml" --socket "$nosock" --deskmail "$DESKMAIL" --config "$DESKMAIL_CONFIG" \
	--recipient support@example.org --sender ana@example.si
is "$RC" 0 "no socket: falls back to deskmail deliver, exit 0"
like "$OUT" 'action=new ticket=1 message_id=<pipe1@example.si>' "... which logs its summary line"
is "$(dm_count "messages WHERE message_id = 'pipe1@example.si'")" 1 "... and stores the message once"
is "$(pg_sql "SELECT encode(sha256(r.raw), 'hex') FROM raw_messages r JOIN messages m ON m.id = r.message_id WHERE m.message_id = 'pipe1@example.si'")" \
	"$(sha256sum <"$T/m1.eml" | cut -d' ' -f1)" "... byte for byte (nothing of stdin was read before the exec)"
dm_client "$T/m1.eml" --socket "$nosock" --deskmail "$DESKMAIL" --recipient support@example.org
is "$RC" 0 "the same again: exit 0"
like "$OUT" 'action=duplicate' "... a duplicate"
is "$(dm_count "messages WHERE message_id = 'pipe1@example.si'")" 1 "... still stored once"

# A socket path that is a plain file refuses the connection.
: >"$T/not-a-socket"
dm_mail pipe2@example.si "Datoteka namesto vtičnice" >"$T/m2.eml"
dm_client "$T/m2.eml" --socket "$T/not-a-socket" --deskmail "$DESKMAIL" -r support@example.org -f ana@example.si
is "$RC" 0 "socket refuses: falls back, exit 0"
is "$(dm_count "messages WHERE message_id = 'pipe2@example.si'")" 1 "... stored"

# Without --recipient LMTP cannot be used: deliver reads the headers.
dm_mail pipe3@example.si "Brez prejemnika" >"$T/m3.eml"
dm_client "$T/m3.eml" --socket "$T/not-a-socket" --deskmail="$DESKMAIL"
is "$RC" 0 "no --recipient: deliver in process, exit 0"
is "$(dm_count "messages WHERE message_id = 'pipe3@example.si'")" 1 "... stored"

# The same exit codes as deliver: empty input is 65 with one line.
: >"$T/empty"
dm_client "$T/empty" --socket "$nosock" --deskmail "$DESKMAIL" -r support@example.org
is "$RC" 65 "empty input through the fallback: 65"
like "$OUT" '^5\.6\.0 deskmail: empty input' "... with deliver's line for the bounce"
printf 'not a mail at all\n' >"$T/junk"
"$DESKMAIL" deliver -r support@example.org <"$T/junk" >/dev/null 2>&1
want=$?
dm_client "$T/junk" --socket "$nosock" --deskmail "$DESKMAIL" -r support@example.org
is "$RC" "$want" "non-mail input: the same status as deskmail deliver ($want)"

# --- no fallback: 75 and one line, nothing stored
dm_mail pipe4@example.si "Ne nadomestno" >"$T/m4.eml"
dm_client "$T/m4.eml" --socket "$nosock" --deskmail "$DESKMAIL" -r support@example.org --no-fallback
is "$RC" 75 "--no-fallback without the service: 75"
is "$(lines "$OUT")" 1 "... one line"
like "$OUT" '^4\.3\.0 deskmail-deliver: ' "... a 4.3.0 line"
is "$(dm_count "messages WHERE message_id = 'pipe4@example.si'")" 0 "... nothing stored"
dm_client "$T/m4.eml" --socket "$nosock" --no-fallback
is "$RC" 75 "--no-fallback without --recipient: 75"

# The fallback program missing: 75, never a bounce.
dm_client "$T/m4.eml" --socket "$nosock" --deskmail "$T/no-such-deskmail" -r support@example.org
is "$RC" 75 "fallback program missing: 75"
like "$OUT" '^4\.3\.0 deskmail-deliver: cannot run' "... says so in one line"

# --- bad arguments: 75 and one line, before anything is read or run
for bad in 'a>b@example.org' 'a<b@example.org' $'a@example.org\r\nRCPT TO:<x@y>' $'a\n@x' ''; do
	dm_client "$T/m4.eml" --socket "$nosock" --deskmail "$DESKMAIL" --recipient "$bad"
	is "$RC" 75 "unsafe recipient $(printf '%q' "$bad"): 75"
	is "$(lines "$OUT")" 1 "... one line"
done
dm_client "$T/m4.eml" --socket "$nosock" --deskmail "$DESKMAIL" -r support@example.org --sender $'s@x>\r\nDATA'
is "$RC" 75 "unsafe sender: 75"
dm_client "$T/m4.eml" --socket "$nosock" --deskmail "$DESKMAIL" --bogus
is "$RC" 75 "unknown option: 75"
like "$OUT" "^4\.3\.0 deskmail-deliver: unknown argument '--bogus'" "... named in one line"
dm_client "$T/m4.eml" --socket "$nosock" --deskmail "$DESKMAIL" --recipient
is "$RC" 75 "missing option value: 75"
dm_client "$T/m4.eml" --socket "$nosock" --timeout 0 -r support@example.org
is "$RC" 75 "bad --timeout: 75"
is "$(dm_count "messages WHERE message_id = 'pipe4@example.si'")" 0 "bad arguments stored nothing"

tap_done
