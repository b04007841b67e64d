#!/bin/bash
# serve-limits.sh - the resources of `deskmail serve` under load: 1 GiB of
# DATA streamed into a session with max_message_size = 10M (552 5.3.4,
# the workers' resident size bounded while it streams, nothing stored),
# and a long run sized for CI: one worker delivers 2,000 mails over four
# pipelined sessions while its resident size and open descriptors are
# sampled every 500 mails (descriptors flat, RSS growth under 10 %); and
# a worker replaced after max_deliveries.
# This test starts its own service: dm_setup must not start one.
DM_FRONT_END=deliver
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
DM_DELIVER_EXTRA="max_message_size = 10M"
DM_SERVER_EXTRA="socket_mode = 0666
max_deliveries = 100000
max_rss = 4G
senders = 1
idle_timeout = 60s"
# Under AddressSanitizer freed memory waits in a quarantine of 256 MB by
# default, which a long run fills: keep it small, so that what the RSS
# curve shows is the worker's own memory.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
export ASAN_OPTIONS
dm_setup
SOCK=$T/lmtp
SP=
serve_cleanup() {
	[ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null
	[ -n "$SP" ] && kill -TERM "$SP" 2>/dev/null && wait "$SP"
	dm_cleanup
}
trap serve_cleanup EXIT

# serve_start: the service on $SOCK, pid SP; waits until it listens.
serve_start() {
	rm -f "$SOCK"
	"$DESKMAIL" serve >>"$T/serve.log" 2>&1 </dev/null &
	SP=$!
	local i
	for i in $(seq 100); do
		[ -S "$SOCK" ] && grep -q 'listening' "$T/serve.log" && return 0
		sleep 0.05
	done
	bail "the service did not start: $(tail -5 "$T/serve.log")"
}
serve_stop() {
	kill -TERM "$SP"
	wait "$SP"
	SP=
}

# rss_kb PID: its VmRSS in KiB.
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
# hwm_kb PID: its peak VmRSS (VmHWM) in KiB.
hwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
# fds PID: how many descriptors it has open.
fds() { ls "/proc/$1/fd" | wc -l; }

# The client: python, so that a gigabyte is generated as it is sent.
cat >"$T/client.py" <<'PY'
import socket, sys, time

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s, s.makefile("rb")

def replies(f, n):
    """N whole replies (the last line of each)."""
    out = []
    for _ in range(n):
        while True:
            line = f.readline().decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                raise SystemExit("connection closed")
            if len(line) < 4 or line[3] != "-":
                out.append(line)
                break
    return out

def big(path, mib, kind):
    """One message of MIB MiB (KIND "lines": 998-byte lines; "zeros": NUL
    bytes, no line end at all) and then NOOP; prints the replies."""
    s, f = connect(path)
    replies(f, 1)
    s.sendall(b"LHLO tester\r\nMAIL FROM:<ana@example.si>\r\nRCPT TO:<support@example.org>\r\nDATA\r\n")
    print("\n".join(replies(f, 4)), flush=True)
    head = b"From: Ana <ana@example.si>\r\nTo: support@example.org\r\nSubject: big\r\nMessage-ID: <big-%s@example.si>\r\n\r\n" % kind.encode()
    s.sendall(head)
    if kind == "lines":
        chunk = (b"x" * 998 + b"\r\n") * 1048
        chunk = chunk[: 1 << 20]
    else:
        chunk = b"\0" * (1 << 20)
    t = time.monotonic()
    for _ in range(mib):
        s.sendall(chunk)
    s.sendall(b"\r\n.\r\nNOOP\r\nQUIT\r\n")
    print("\n".join(replies(f, 3)), flush=True)
    print("seconds %.1f" % (time.monotonic() - t), flush=True)

def many(path, first, n):
    """N small messages in one session, each "." pipelined with the next
    transaction's commands; prints how many got 250 2.0.0."""
    s, f = connect(path)
    replies(f, 1)
    s.sendall(b"LHLO tester\r\n")
    replies(f, 1)
    ok = 0
    bad = []
    def envelope(i):
        return b"MAIL FROM:<c%d@example.si>\r\nRCPT TO:<support@example.org>\r\nDATA\r\n" % i
    def message(i):
        return (b"From: Stranka %d <c%d@example.si>\r\nTo: support@example.org\r\n"
                b"Subject: Vprasanje %d\r\nDate: Mon, 23 Nov 2026 09:15:00 +0100\r\n"
                b"Message-ID: <run-%d@example.si>\r\nMIME-Version: 1.0\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                b"Dober dan,\r\n\r\ntiskalnik %d ne tiska.\r\n\r\nLep pozdrav\r\n.\r\n") % (i, i, i, i, i)
    s.sendall(envelope(first))
    pending = replies(f, 3)
    for i in range(first, first + n):
        if pending[-1][:3] != "354":
            bad.append(pending)
        nxt = envelope(i + 1) if i + 1 < first + n else b"QUIT\r\n"
        s.sendall(message(i) + nxt)
        got = replies(f, 4 if i + 1 < first + n else 2)
        if got[0].startswith("250 2.0.0"):
            ok += 1
        else:
            bad.append(got[0])
        pending = got[1:]
    print("ok %d" % ok)
    for b in bad[:5]:
        print("bad %s" % b)

if sys.argv[1] == "big":
    big(sys.argv[2], int(sys.argv[3]), sys.argv[4])
else:
    many(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
PY

# sample FILE: every 0.1 s the largest VmRSS (KiB) among the service's
# children, appended to FILE, until killed.
sample() {
	local p r max
	while :; do
		max=0
		for p in $(pgrep -P "$SP"); do
			r=$(rss_kb "$p" 2>/dev/null)
			[ -n "$r" ] && [ "$r" -gt "$max" ] && max=$r
		done
		echo "$max" >>"$1"
		sleep 0.1
	done
}

serve_start
is "$(stat -c %a "$SOCK")" 666 "socket_mode = 0666: the socket file gets that mode"

# ---- 1. a gigabyte of DATA, max_message_size = 10M
LIMIT_KB=$(((64 + 10) * 1024))
for kind in lines zeros; do
	before=$(dm_count messages)
	: >"$T/rss-$kind"
	sample "$T/rss-$kind" &
	SAMPLER=$!
	start=$SECONDS
	R=$(timeout 60 python3 "$T/client.py" big "$SOCK" 1024 "$kind")
	took=$((SECONDS - start))
	kill "$SAMPLER"
	wait "$SAMPLER" 2>/dev/null
	SAMPLER=
	peak=$(sort -n "$T/rss-$kind" | tail -1)
	# Sampling can miss a short peak; the kernel's high-water mark cannot.
	hwm=$(for p in $(pgrep -P "$SP"); do hwm_kb "$p"; done | sort -n | tail -1)
	is "$(printf '%s\n' "$R" | sed -n 5p)" "552 5.3.4 Message too big for system" \
		"1 GiB of DATA ($kind): 552 5.3.4 when it ends"
	like "$(printf '%s\n' "$R" | sed -n 6p)" '^250 ' "... and the session goes on (NOOP: 250)"
	[ "${peak:-0}" -gt 0 ] && [ "$peak" -lt "$LIMIT_KB" ]
	ok $? \
		"... the largest child's RSS while it streamed: $peak KiB < $LIMIT_KB KiB (64 MiB + the limit), $(wc -l <"$T/rss-$kind") samples"
	[ "${hwm:-0}" -gt 0 ] && [ "$hwm" -lt "$LIMIT_KB" ]
	ok $? "... the largest child's peak RSS (VmHWM) since it started: $hwm KiB < $LIMIT_KB KiB"
	is "$(dm_count messages)" "$before" "... nothing stored"
	[ "$took" -lt 30 ]
	ok $? "... in $took s (< 30 s; the stream itself $(printf '%s\n' "$R" | sed -n 's/^seconds //p') s)"
done

# ---- 2. a long run: one worker, 2,000 mails, four sessions of 500
serve_stop
sed -i 's/^workers = 2$/workers = 1/' "$DESKMAIL_CONFIG"
serve_start
# The worker: the child at the other end of a session.
python3 "$TOP_SRCDIR/tests/lmtp-talk" -i "$T/w.ino" "$SOCK" >/dev/null <<S &
expect 1
sleep 1
S
TP=$!
for i in $(seq 50); do [ -s "$T/w.ino" ] && break; sleep 0.05; done
sleep 0.2
W=$(ss -xpnH | awk -v i="$(cat "$T/w.ino")" '$8 == i' | grep -o 'pid=[0-9]*' | cut -d= -f2 | grep -vx "$SP" | head -1)
wait "$TP"
like "$W" '^[0-9]+$' "long run: the one worker found ($W)"
start=$SECONDS
declare -a RSS FD
for step in 1 2 3 4; do
	R=$(python3 "$T/client.py" many "$SOCK" $(((step - 1) * 500 + 1)) 500)
	is "$(printf '%s\n' "$R" | head -1)" "ok 500" "... session $step: 500 mails, each 250 2.0.0"
	# Idle between sessions: the worker waits for the next connection.
	sleep 0.3
	RSS[$step]=$(rss_kb "$W")
	FD[$step]=$(fds "$W")
	diag "after $((step * 500)) mails: worker RSS ${RSS[$step]} KiB, ${FD[$step]} open descriptors"
done
took=$((SECONDS - start))
is "$(dm_count "messages WHERE direction = 'in' AND message_id LIKE 'run-%'")" 2000 "... 2,000 messages stored"
is "$(pgrep -P "$SP" | grep -cx "$W")" 1 "... by the same worker (never replaced)"
is "${FD[4]}" "${FD[1]}" "... its open descriptors flat: ${FD[*]} at 500/1000/1500/2000"
growth=$(awk -v a="${RSS[1]}" -v b="${RSS[4]}" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
awk -v g="$growth" 'BEGIN { exit !(g < 10) }'
ok $? \
	"... its RSS grows $growth % between 500 and 2,000 mails (< 10 %): ${RSS[*]} KiB"
[ "$took" -lt 60 ]
ok $? "... in $took s (< 60 s)"
# 2,000 acknowledgements through the recording sendmail (a shell script
# of four processes each) take a while on a loaded machine.
dm_outbox_wait 180
is "$(dm_count "outbox WHERE status <> 'sent'")" 0 "... and every acknowledgement handed over"

# ---- 3. recycling: max_deliveries = 5, one worker, three sessions of 5
serve_stop
sed -i 's/^max_deliveries = 100000$/max_deliveries = 5/; s/^socket_mode = 0666$/socket_mode = 0600/' "$DESKMAIL_CONFIG"
serve_start
is "$(stat -c '%a %U' "$SOCK")" "600 $(id -un)" "socket_mode = 0600: the socket file is 0600, the service's user's"
before=$(grep -c 'retires after' "$T/serve.log")
pids=
for step in 1 2 3; do
	R=$(python3 "$T/client.py" many "$SOCK" $((5000 + step * 10)) 5)
	is "$R" "ok 5" "max_deliveries = 5: session $step, 5 mails stored"
	sleep 0.3
	pids="$pids $(pgrep -P "$SP" | sort -n | tr '\n' ' ')"
done
is "$(($(grep -c 'retires after 5 deliveries' "$T/serve.log") - before))" 3 "... the worker retires after each (logged 3 times)"
is "$(printf '%s\n' $pids | sort -u | wc -l)" 4 "... and is replaced each time: 3 workers and the sender seen"

is "$(grep -E -c 'killed by signal|AddressSanitizer|runtime error|CRITICAL|WARNING' "$T/serve.log")" 0 \
	"the log: no crash, no warning"

tap_done
