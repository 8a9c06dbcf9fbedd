#!/bin/bash
# tests/integration/run-profiles.sh BIN — `cnetmon run -p` on real podman
# containers (needs root):
#  - allowed traffic raises no alert; forbidden traffic raises one within
#    seconds, naming the side and the rule that denied it;
#  - SIGHUP with a broken profile keeps the running profiles (and says
#    FILE:LINE:COL why); SIGHUP with a changed profile applies it;
#  - a world-writable profile directory is refused;
#  - SIGUSR1 writes the graph (-g) with the denied edge;
#  - SIGTERM flushes the open flows and exits 0.
# Traffic stays on podman's bridge.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
BIN=${1:?usage: run-profiles.sh CNETMON_BIN}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
PY=/usr/bin/python3
it_init run-profiles
it_need_root
it_podman_setup || it_fatal "podman setup failed"
R=$IT_TMP/rootfs
it_busybox_rootfs "$R" || it_fatal "rootfs"

tag=cnp$$
it_cleanup "podman rm -f -t 0 --ignore $tag-web $tag-cli"
podman run -d --name "$tag-web" --label app=web --rootfs "$R" /bin/httpd -f -p 80 -h /www >/dev/null ||
	it_fatal "podman run web"
podman run -d --name "$tag-cli" --rootfs "$R" /bin/sleep 600 >/dev/null || it_fatal "podman run cli"
web_ip=$(podman inspect -f '{{.NetworkSettings.IPAddress}}' "$tag-web")

P=$IT_TMP/profiles
mkdir -p "$P"
chmod 755 "$P"
write_profiles() {  # $1: the ports cli may use towards web
	cat >"$P/shop.profile" <<EOF
profile cli {
    match name "$tag-cli"
    egress allow tcp $1 to profile web
    default deny
}
profile web {
    match label app=web name "$tag-*"
    ingress allow tcp 80,8080 from profile cli
    default deny
}
EOF
}
write_profiles 80

# World-writable: refused before anything starts.
chmod o+w "$P"
rc=0
"$BIN" run -p "$P" -o json:"$IT_TMP/x.json" 2>"$IT_TMP/ww.err" || rc=$?
it_eq "world-writable profile directory: refused (exit 2)" "$rc" 2
it_check "and says why" grep -q "world-writable" "$IT_TMP/ww.err"
# ... unless nobody can write it: a read-only mount (a Kubernetes ConfigMap
# directory is 0777, mounted read-only in the pod).
RO=$IT_TMP/ro-profiles
mkdir -p "$RO" && mount --bind "$P" "$RO" && mount -o remount,bind,ro "$RO" &&
	it_cleanup "umount $RO"
rc=0
"$BIN" run -c /dev/null -p "$RO" --check-config >"$IT_TMP/ro.out" 2>&1 || rc=$?
it_eq "world-writable mode on a read-only mount: accepted" "$rc" 0
umount "$RO"
chmod o-w "$P"

A=$IT_TMP/alerts.json
G=$IT_TMP/graph.json
"$BIN" run -v -p "$P" -o json:"$A" --flows json:"$IT_TMP/flows.json" --alert-window 2 -g "$G" \
	--metrics 127.0.0.1:19414 \
	>"$IT_TMP/run.out" 2>"$IT_TMP/run.err" &
rpid=$!
it_cleanup "it_kill_pid $rpid"
for _ in $(seq 50); do grep -q "running:" "$IT_TMP/run.err" && break; sleep 0.1; done
it_check "daemon up with 2 profiles" grep -q "running:.* 2 profiles" "$IT_TMP/run.err"
sleep 0.5

alerts_to() {  # number of alerts for web:$1 (the alerts file holds only alerts)
	[ -f "$A" ] || { echo 0; return; }
	grep -c "\"ip\":\"$web_ip\",\"port\":$1[,}]" "$A"
}
# Wait up to $2 seconds for an alert for port $1; prints the seconds it took.
wait_alert() {
	local t0 t1
	t0=$(date +%s%N)
	for _ in $(seq $(($2 * 20))); do
		[ "$(alerts_to "$1")" -gt 0 ] && break
		sleep 0.05
	done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

podman exec "$tag-cli" wget -qO- "http://$web_ip/" >/dev/null || it_fail "wget web:80"
sleep 2
it_eq "allowed traffic: no alert" "$(alerts_to 80)" 0
# Forbidden: port 8080 (nothing listens; the SYN is what counts).
podman exec "$tag-cli" nc -w 1 "$web_ip" 8080 </dev/null >/dev/null 2>&1
ms=$(wait_alert 8080 5)
it_check "forbidden connection: alert within 5 s (took ${ms} ms)" test "$(alerts_to 8080)" -ge 1
$PY - "$A" "$web_ip" "$tag" "$P/shop.profile" <<'PYEOF'
import json, sys
path, ip, tag, prof = sys.argv[1:]
rs = [json.loads(l) for l in open(path)]
r = [r for r in rs if r["dst"]["ip"] == ip and r["dst"]["port"] == 8080][0]
ok = True
for desc, cond in (("alert names the initiator's egress as the denying side", r["direction"] == "egress"),
                   ("the cli profile", r["profile"] == "cli"),
                   ("its default (no rule allows 8080)", r["rule"] == "default"),
                   ("verdict deny", r["verdict"] == "deny"),
                   ("web's ingress allowed it (denied_by egress only)", r.get("denied_by") == "egress"),
                   ("containers named", (r["src"]["container"] or {}).get("name") == tag + "-cli" and
                    (r["dst"]["container"] or {}).get("name") == tag + "-web"),
                   ("count 1", r.get("count") == 1)):
    print(("ok   " if cond else "FAIL ") + desc)
    ok &= bool(cond)
sys.exit(0 if ok else 1)
PYEOF
it_eq "alert content" "$?" 0

# SIGUSR1: the graph so far, with the denied edge (the alert marks it at once).
kill -USR1 "$rpid"
for _ in $(seq 50); do [ -s "$G" ] && break; sleep 0.1; done
$PY - "$G" "$tag" <<'PYEOF'
import json, sys
g = json.load(open(sys.argv[1])); tag = sys.argv[2]
e = [e for e in g["edges"] if e["src"] == "c:%s-cli" % tag and e["dst"] == "c:%s-web" % tag and e["port"] == 8080]
ok = len(e) == 1 and e[0]["verdict"] == "deny"
print(("ok   " if ok else "FAIL ") + "SIGUSR1 wrote the graph: cli -> web tcp/8080 denied (%s)" % e)
sys.exit(0 if ok else 1)
PYEOF
it_eq "graph on SIGUSR1" "$?" 0

curl -s http://127.0.0.1:19414/metrics >"$IT_TMP/metrics.txt"
it_check "metrics: denied flows by verdict" \
	grep -Eq '^cnetmon_flows_judged_total\{verdict="deny"\} [1-9]' "$IT_TMP/metrics.txt"
it_check "metrics: allowed flows by verdict" \
	grep -Eq '^cnetmon_flows_judged_total\{verdict="allow"\} [1-9]' "$IT_TMP/metrics.txt"
it_check "metrics: alerts" grep -Eq '^cnetmon_alerts_total [1-9]' "$IT_TMP/metrics.txt"
it_check "metrics: the alert sink delivered" \
	grep -Eq '^cnetmon_sink_delivered_total\{sink="json:[^"]*alerts.json"\} [1-9]' "$IT_TMP/metrics.txt"

# SIGHUP with a broken profile: the running ones stay.
cp "$P/shop.profile" "$IT_TMP/good.profile"
printf 'profile broken {\n    egress alow tcp 80 to any\n}\n' >"$P/zz-broken.profile"
kill -HUP "$rpid"
it_wait_grep "$IT_TMP/run.err" "profiles not reloaded" 10
it_check "broken profile: FILE:LINE:COL reported" grep -q "zz-broken.profile:2:[0-9]*: " "$IT_TMP/run.err"
it_check "and the running profiles stay" grep -q "profiles not reloaded" "$IT_TMP/run.err"
before=$(alerts_to 8080)
sleep 2.2                    # past the alert window: a new alert, not a folded one
podman exec "$tag-cli" nc -w 1 "$web_ip" 8080 </dev/null >/dev/null 2>&1
for _ in $(seq 100); do [ "$(alerts_to 8080)" -gt "$before" ] && break; sleep 0.05; done
it_check "old profiles still in force: 8080 still alerts" test "$(alerts_to 8080)" -gt "$before"

# SIGHUP with a good change: 8080 allowed, 80 no longer.
rm -f "$P/zz-broken.profile"
write_profiles 8080
kill -HUP "$rpid"
for _ in $(seq 50); do grep -q "SIGHUP: .*2 profiles in force" "$IT_TMP/run.err" && break; sleep 0.1; done
it_check "reload applied" grep -q "SIGHUP: .*2 profiles in force" "$IT_TMP/run.err"
sleep 2.2
n8080=$(alerts_to 8080)
podman exec "$tag-cli" nc -w 1 "$web_ip" 8080 </dev/null >/dev/null 2>&1
podman exec "$tag-cli" wget -qO- "http://$web_ip/" >/dev/null || it_fail "wget web:80 after reload"
ms=$(wait_alert 80 5)
it_check "after reload: port 80 now alerts (${ms} ms)" test "$(alerts_to 80)" -ge 1
sleep 1
it_eq "after reload: port 8080 no longer alerts" "$(alerts_to 8080)" "$n8080"

kill -TERM "$rpid"
rc=0
wait "$rpid" || rc=$?
it_eq "SIGTERM: exit 0" "$rc" 0
it_check "SIGTERM: flow records written" grep -q "\"dst\":{\"ip\":\"$web_ip\",\"port\":80" "$IT_TMP/flows.json"
it_check "flow records carry verdicts" grep -q '"verdict":"allow"' "$IT_TMP/flows.json"
[ "$IT_FAIL" -gt 0 ] && { sed "s/^/  daemon: /" "$IT_TMP/run.err" | tail -30 >&2; cp "$A" "$IT_TMP/flows.json" /tmp/ 2>/dev/null; }
it_finish
