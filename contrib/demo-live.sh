#!/bin/sh
# contrib/demo-live.sh [CNETMON] — the node daemon on real containers, in
# about 15 seconds (`make demo-live`; needs root and podman, which it
# installs from Debian's archive as tests/integration/lib.sh does).
#
# Starts three busybox containers on podman's bridge (web serving HTTP, api
# calling it, worker misbehaving), a profile set for them, and
#     cnetmon run -p PROFILES -o json:- -g demo-live.svg --flows json:FLOWS
# then sends allowed traffic (api -> web:80) and forbidden traffic (worker ->
# web:80, worker -> api:22): the alerts print as they happen, SIGUSR1 draws
# the graph, SIGTERM flushes the flows. Everything is removed at the end.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$here/cnetmon}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
. "$here/tests/integration/lib.sh"
it_init demo-live
if [ "$(id -u)" -ne 0 ]; then
	echo "demo-live: needs root (live capture, podman); try: sudo make demo-live" >&2
	IT_DONE=1
	exit 2
fi
it_podman_setup || it_fatal "podman setup failed"
R=$IT_TMP/rootfs
it_busybox_rootfs "$R" || it_fatal "rootfs"
tag=demo$$
it_cleanup "podman rm -f -t 0 --ignore $tag-web $tag-api $tag-worker >/dev/null"
podman run -d --name "$tag-web" --label app=web --rootfs "$R" /bin/httpd -f -p 80 -h /www >/dev/null &&
podman run -d --name "$tag-api" --label app=api --rootfs "$R" /bin/sleep 600 >/dev/null &&
podman run -d --name "$tag-worker" --label app=worker --rootfs "$R" /bin/sleep 600 >/dev/null ||
	it_fatal "podman run"
web=$(podman inspect -f '{{.NetworkSettings.IPAddress}}' "$tag-web")
api=$(podman inspect -f '{{.NetworkSettings.IPAddress}}' "$tag-api")

P=$IT_TMP/profiles
mkdir -p "$P" && chmod 755 "$P"
cat >"$P/demo.profile" <<EOF
profile web {
    match label app=web
    ingress allow tcp 80 from profile api
    default deny
}
profile api {
    match label app=api
    egress allow tcp 80 to profile web
    default deny
}
profile worker {
    match label app=worker
    egress deny any to 169.254.169.254
    default deny
}
EOF
echo "== profiles ($P/demo.profile):"
sed 's/^/   /' "$P/demo.profile"
echo "== cnetmon run -p $P -o json:- -g demo-live.svg (alerts below, as they happen)"
"$BIN" run -p "$P" -o json:- --flows json:"$IT_TMP/flows.json" -g "$PWD/demo-live.svg" \
	--alert-window 5 2>"$IT_TMP/run.err" | /usr/bin/python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    n = lambda e: (e["container"] or {}).get("name") or e["ip"]
    print("   ALERT %s %s -> %s:%s  denied by %s (%s %s)" % (r["proto"], n(r["src"]), n(r["dst"]),
          r["dst"]["port"], r["denied_by"], r["profile"], r["rule"]), flush=True)' &
pipe=$!
it_cleanup "kill $pipe 2>/dev/null"
for _ in $(seq 50); do grep -q "running:" "$IT_TMP/run.err" 2>/dev/null && break; sleep 0.1; done
rpid=$(pgrep -n -f "$BIN run -p $P") || it_fatal "the daemon did not start: $(cat "$IT_TMP/run.err")"
it_cleanup "it_kill_pid $rpid"
sleep 1
echo "== api -> web:80 (allowed), three times"
for _ in 1 2 3; do podman exec "$tag-api" wget -qO- "http://$web/" >/dev/null; done
sleep 1
echo "== worker -> web:80 and worker -> api:22 (forbidden)"
podman exec "$tag-worker" wget -qO- "http://$web/" >/dev/null
podman exec "$tag-worker" nc -w 1 "$api" 22 </dev/null >/dev/null 2>&1
sleep 2
kill -USR1 "$rpid"
sleep 1
kill -TERM "$rpid"
wait "$pipe" 2>/dev/null
echo "== $(wc -l <"$IT_TMP/flows.json") flow records; verdicts:"
/usr/bin/python3 -c '
import collections, json, sys
c = collections.Counter(json.loads(l)["verdict"] for l in open(sys.argv[1]))
print("   " + ", ".join("%s %d" % kv for kv in sorted(c.items())))' "$IT_TMP/flows.json"
[ -s demo-live.svg ] && echo "== graph: $PWD/demo-live.svg (denied edges in red)"
IT_DONE=1
