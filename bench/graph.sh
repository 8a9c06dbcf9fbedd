#!/bin/sh
# bench/graph.sh [BUILD_DIR] — the graph at scale (issue #6): 2,000 containers
# and 50,000 edges built through graph_add_record and written as JSON, DOT
# and msgpack must take under a second. Builds bench/graph-gen.c against the
# objects of BUILD_DIR (default build/, as `make` leaves them).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$ROOT/build}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/graph-bench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT INT TERM
PKGS="libpcap libcrypto jansson libnl-3.0 libnl-route-3.0 libmnl libcurl libprotobuf-c inih libcap-ng libnetfilter_conntrack msgpack zlib libgvc libcgraph"
# The objects of today's sources (a build dir may keep those of removed ones).
OBJS="$B/cri.pb-c.o"
for s in "$(dirname "$0")"/../src/*.c; do
	n=$(basename "$s" .c)
	[ "$n" = main ] || OBJS="$OBJS $B/$n.o"
done
# shellcheck disable=SC2086
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" $(pkg-config --cflags $PKGS) \
    -o "$OUT/graph-gen" "$ROOT/bench/graph-gen.c" $OBJS $(pkg-config --libs $PKGS) -lm
"$OUT/graph-gen" "${CONTAINERS:-2000}" "${EDGES:-50000}" "$OUT"
ls -l "$OUT"/graph-bench.* | awk '{ print $5, $NF }'
