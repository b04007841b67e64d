#!/bin/sh
# classify-bench.sh - build and run bench/classify-bench.c against the
# classifier of an out-of-tree build in _build (configure it first).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
cc -std=gnu11 -O2 -g -I_build -Isrc $(pkg-config --cflags glib-2.0) bench/classify-bench.c \
	src/classify.c src/classify-features.c src/topics.c src/topics-match.c -o _build/classify-bench $(pkg-config --libs glib-2.0) -lstemmer -lm
exec _build/classify-bench "${1:-etc/topics.conf}" ${2:+"$2"}
