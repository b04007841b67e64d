#!/bin/bash
# run.sh - build the libFuzzer targets tests/fuzz/fuzz-deliver-input.c
# and tests/fuzz/fuzz-lmtp.c with clang (ASan + UBSan) and run each.
#
#   tests/fuzz/run.sh [SECONDS] [BUILD-DIR]
#
# SECONDS (default 60) is the fuzzing time of each target; 0 only builds
# and replays the regression inputs.  BUILD-DIR (default: a temp dir, removed afterwards)
# holds the clang build of the objects, the fuzzer binary, the working
# corpus and any crash files; give one to keep them or to fuzz longer
# with a growing corpus.
#
# For fuzz-deliver-input, first every file under tests/data/fuzz/
# (minimised crashes, timeouts, ooms found earlier) is replayed: each
# must now pass.  Then the fuzzer runs from the seed corpus
# (tests/data/*.eml, tests/data/replies/*.txt, tests/data/fuzz/*).
# fuzz-lmtp does the same with tests/fuzz/lmtp-seeds/* (LMTP sessions:
# the first byte picks the read sizes, see fuzz-lmtp.c), which are both
# its regression inputs and its seeds.  Exit status: 0 when nothing crashed, leaked, timed
# out or ran out of memory; 1 otherwise (the crash file is named on
# stderr and kept in BUILD-DIR/artifacts/ when BUILD-DIR is given);
# 2 when the build fails.
#
# Environment: CC (default clang), FUZZ_JOBS (default 1),
# FUZZ_EXTRA (more libFuzzer flags).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
build=${2:-}
keep=yes
if [ -z "$build" ]; then
	build=$(mktemp -d /tmp/deskmail-fuzz.XXXXXX)
	keep=
fi
mkdir -p "$build"
build=$(cd "$build" && pwd)
cleanup() { [ -n "$keep" ] || rm -rf "$build"; }
trap cleanup EXIT

: "${CC:=clang}"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

# The modules the target calls, instrumented for coverage
# (fuzzer-no-link) and the sanitizers; built by the project's own
# Makefile in a clang-configured tree, which is reused (make only rebuilds
# what changed).  Only these objects, not all of libdeskmail.a: the
# fuzzer needs no database, and a compile error elsewhere must not stop it.
objs="src/message.o src/message-parts.o src/charset.o src/html.o src/tnef.o src/screen.o src/thread.o
	src/command.o src/quote.o src/quote-text.o src/quote-header.o
	src/quote-signature.o src/quote-forward.o src/quote-patterns.o src/lmtp.o src/lmtp-commands.o"
if [ ! -f "$build/lib/Makefile" ]; then
	[ -f "$top/configure" ] || (cd "$top" && autoreconf -fi) || exit 2
	mkdir -p "$build/lib"
	(cd "$build/lib" && "$top/configure" -q CC="$CC" \
		CFLAGS="-g -O1 -fsanitize=fuzzer-no-link $san") >"$build/configure.log" 2>&1 || {
		tail -30 "$build/configure.log" >&2
		echo "run.sh: configure failed" >&2
		exit 2
	}
fi
# shellcheck disable=SC2086
make -C "$build/lib" -j"$(nproc)" $objs >"$build/make.log" 2>&1 || {
	tail -30 "$build/make.log" >&2
	echo "run.sh: building the objects failed" >&2
	exit 2
}
libs=$(pkg-config --libs glib-2.0 gmime-3.0 libxml-2.0 libytnef)
cflags=$(pkg-config --cflags glib-2.0 gmime-3.0 libxml-2.0)
# shellcheck disable=SC2086,SC2046
"$CC" -g -O1 -fsanitize=fuzzer $san -I"$build/lib" -I"$top/src" $cflags \
	"$top/tests/fuzz/fuzz-deliver-input.c" $(printf "$build/lib/%s " $objs) \
	$libs -lm -o "$build/fuzz-deliver-input" >"$build/link.log" 2>&1 &&
# shellcheck disable=SC2086
"$CC" -g -O1 -fsanitize=fuzzer $san -I"$build/lib" -I"$top/src" $(pkg-config --cflags glib-2.0) \
	"$top/tests/fuzz/fuzz-lmtp.c" "$build/lib/src/lmtp.o" "$build/lib/src/lmtp-commands.o" \
	$(pkg-config --libs glib-2.0) -o "$build/fuzz-lmtp" >>"$build/link.log" 2>&1 || {
	cat "$build/link.log" >&2
	echo "run.sh: building the fuzzers failed" >&2
	exit 2
}

# LeakSanitizer stays on: a leak per message is a bug (deliver is one
# process per message, but the admin commands, the service and the tests
# loop).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# GMime and GLib must not try to load modules from the session.
export GIO_USE_VFS=local

status=0
flags=(-max_len=1048576 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048)

# fuzz_target NAME REGRESSION-FILES... -- SEED-FILES...: replay the
# regression inputs (each must pass), then fuzz NAME for $secs seconds.
fuzz_target() {
	local name=$1 reg=() seeds=() rc found
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		[ -e "$1" ] && reg+=("$1")
		shift
	done
	shift
	for f in "$@"; do [ -e "$f" ] && seeds+=("$f"); done

	# 1. Regression inputs.
	if [ ${#reg[@]} -gt 0 ]; then
		if ! "$build/$name" "${flags[@]}" -runs=1 "${reg[@]}" >"$build/$name-regress.log" 2>&1; then
			grep -E 'Running:|^==[0-9]+==ERROR|SUMMARY|contract broken|runtime error' \
				"$build/$name-regress.log" | tail -20 >&2
			echo "run.sh: $name: a regression input fails (log: $build/$name-regress.log)" >&2
			status=1
			return
		fi
	fi

	# 2. Fuzzing.
	[ "$secs" -gt 0 ] || return
	# libFuzzer takes corpus directories: new inputs go to the first.
	rm -rf "$build/$name-seeds"
	mkdir -p "$build/$name-corpus" "$build/$name-artifacts" "$build/$name-seeds"
	cp "${seeds[@]}" "$build/$name-seeds/"
	local jobs=()
	[ "${FUZZ_JOBS:-1}" -gt 1 ] && jobs=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
	# shellcheck disable=SC2086
	(cd "$build" && "./$name" "${flags[@]}" -max_total_time="$secs" "${jobs[@]}" \
		-print_final_stats=1 -artifact_prefix="$build/$name-artifacts/" ${FUZZ_EXTRA:-} \
		"$name-corpus" "$name-seeds") >"$build/$name-fuzz.log" 2>&1
	rc=$?
	# -jobs writes fuzz-N.log files; gather them.
	cat "$build"/fuzz-[0-9]*.log >>"$build/$name-fuzz.log" 2>/dev/null
	rm -f "$build"/fuzz-[0-9]*.log
	grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$build/$name-fuzz.log" | tail -2 |
		sed "s/^/$name: /"
	found=$(ls "$build/$name-artifacts" 2>/dev/null)
	if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
		grep -E '^==[0-9]+==ERROR|SUMMARY|contract broken|Test unit written|runtime error' \
			"$build/$name-fuzz.log" | head -20 >&2
		echo "run.sh: $name found a problem (exit $rc): ${found:-see $build/$name-fuzz.log}" >&2
		status=1
		return
	fi
	echo "run.sh: $name: no crash (${secs}s)"
}

fuzz_target fuzz-deliver-input "$top"/tests/data/fuzz/* -- \
	"$top"/tests/data/*.eml "$top"/tests/data/replies/*.txt "$top"/tests/data/fuzz/*
fuzz_target fuzz-lmtp "$top"/tests/fuzz/lmtp-seeds/* -- "$top"/tests/fuzz/lmtp-seeds/*

[ "$status" != 0 ] && [ -z "$keep" ] && {
	# Keep the evidence of a failure, even in a temp build dir.
	keep=yes
	echo "run.sh: kept $build" >&2
}
exit $status
