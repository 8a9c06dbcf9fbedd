#!/bin/bash
# tests/integration/learn-live.sh BIN — `cnetmon learn --live` on real
# podman containers (needs root):
#  - it captures as `run` does for the period, then writes one profile per
#    workload and exits 0; the profiles pass `cnetmon check`;
#  - containers started during the period are followed: one's traffic and
#    profile are learned, and its idle replica (same app label) is known
#    from the rescan alone, so the profile counts both;
#  - the expected peer rules are there (cli's egress to the web profile on
#    tcp 80, web's ingress from both clients);
#  - `cnetmon run -p` with the learned profiles: the same traffic raises no
#    alert, a new connection does;
#  - SIGINT before the period ends still writes what was learned.
# Traffic stays on podman's bridge.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
BIN=${1:?usage: learn-live.sh CNETMON_BIN}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
it_init learn-live
it_need_root
it_podman_setup || it_fatal "podman setup failed"
R=$IT_TMP/rootfs
it_busybox_rootfs "$R" || it_fatal "rootfs"

tag=cnl$$
it_cleanup "podman rm -f -t 0 --ignore $tag-web $tag-cli $tag-late $tag-late2"
podman run -d --name "$tag-web" --label app=$tag-web --rootfs "$R" /bin/httpd -f -p 80 -h /www \
	>/dev/null || it_fatal "podman run web"
podman run -d --name "$tag-cli" --label app=$tag-cli --rootfs "$R" /bin/sleep 600 >/dev/null ||
	it_fatal "podman run cli"
web_ip=$(podman inspect -f '{{.NetworkSettings.IPAddress}}' "$tag-web")
[ -n "$web_ip" ] || it_fatal "no address for $tag-web"

# The period: 10 s, with traffic before and after a container starts.
P=$IT_TMP/profiles
t0=$(date +%s%N)
"$BIN" learn --live 10 -v -o "$P" >"$IT_TMP/learn.out" 2>"$IT_TMP/learn.err" &
lpid=$!
it_cleanup "it_kill_pid $lpid"
it_wait_grep "$IT_TMP/learn.err" "running:" 10 || it_fail "learn --live did not start"
it_check "learn --live captures on the containers' veths" grep -q "capturing on " "$IT_TMP/learn.err"
sleep 0.5
podman exec "$tag-cli" wget -qO- "http://$web_ip/" >/dev/null || it_fail "cli: wget web:80"
# Containers that start during the period: late talks, late2 (a replica:
# same app label) stays silent.
podman run -d --name "$tag-late" --label app=$tag-late --rootfs "$R" /bin/sleep 600 >/dev/null ||
	it_fatal "podman run late"
# Without IPv6 it sends nothing at all (no router solicitation, no MLD).
podman run -d --name "$tag-late2" --label app=$tag-late --sysctl net.ipv6.conf.all.disable_ipv6=1 \
	--sysctl net.ipv6.conf.default.disable_ipv6=1 --rootfs "$R" /bin/sleep 600 >/dev/null ||
	it_fatal "podman run late2"
late_ip=$(podman inspect -f '{{.NetworkSettings.IPAddress}}' "$tag-late")
late_veth=$(it_host_veth "$tag-late") || it_fatal "no veth for $tag-late"
# The rescan finds it: then it talks.
it_wait_grep "$IT_TMP/learn.err" "capturing on $late_veth " 8 || it_fail "late's veth not captured"
podman exec "$tag-late" wget -qO- "http://$web_ip/" >/dev/null || it_fail "late: wget web:80"
podman exec "$tag-cli" wget -qO- "http://$web_ip/" >/dev/null || it_fail "cli: wget web:80 (2)"
rc=0
wait "$lpid" || rc=$?
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
it_eq "learn --live 10: exit 0" "$rc" 0
it_check "it stopped after its period (${ms} ms from start)" test "$ms" -ge 10000 -a "$ms" -lt 25000
it_check "and said so" grep -q "the period of 10.0 s is over" "$IT_TMP/learn.err"
# A veth captured after start-up: the rescan followed the late container.
it_check "a rescan during the period opened a new capture" \
	test "$(sed -n '/running:/,$p' "$IT_TMP/learn.err" | grep -c "capturing on ")" -ge 1
it_check "nothing on stdout with -o" test ! -s "$IT_TMP/learn.out"
it_check "summary line" grep -q "cnetmon learn: [0-9]* profiles\? from .* into $P" "$IT_TMP/learn.err"

# Which profile is whose: the header names its containers.
prof_of() {  # prof_of CONTAINER: the file whose header lists it
	grep -l "^#   [0-9]* containers\?: .*\b$1\b" "$P"/*.profile 2>/dev/null | head -1
}
pweb=$(prof_of "$tag-web")
pcli=$(prof_of "$tag-cli")
plate=$(prof_of "$tag-late")
it_check "profile for web ($pweb)" test -n "$pweb"
it_check "profile for cli ($pcli)" test -n "$pcli"
it_check "profile for the container started during the period ($plate)" test -n "$plate"
name_of() { sed -n 's/^profile \([^ ]*\) {$/\1/p' "$1" 2>/dev/null | head -1; }
nweb=$(name_of "$pweb")
ncli=$(name_of "$pcli")
nlate=$(name_of "$plate")
# late2 sent nothing: only the rescan told the learner of it.
if grep -qE "^#   2 containers: ($tag-late, $tag-late2|$tag-late2, $tag-late) \(1 in traffic\)" \
	"$plate"; then
	it_pass "the silent replica started during the period is a member"
else
	it_fail "the silent replica is no member: $(sed -n 2p "$plate" 2>/dev/null)"
fi
it_check "header says it was learned live" grep -q "learned by cnetmon learn from a live capture" "$pweb"

if "$BIN" check "$P" >"$IT_TMP/check.out" 2>&1; then
	it_pass "cnetmon check passes on the learned profiles"
else
	it_fail "cnetmon check on the learned profiles: $(cat "$IT_TMP/check.out")"
fi

# expect FILE REGEX: a line of FILE matches (extended regex, whole line).
expect() {
	if grep -qxE -- "$2" "$1" 2>/dev/null; then
		it_pass "$(basename "$1"): $2"
	else
		it_fail "$(basename "$1") lacks: $2"
		sed 's/^/    /' "$1" 2>/dev/null
	fi
}
expect "$pcli" "    egress +allow tcp 80 to profile $nweb"
expect "$plate" "    egress +allow tcp 80 to profile $nweb"
expect "$pweb" "    ingress +allow tcp 80 from profile ($ncli, profile $nlate|$nlate, profile $ncli)"
expect "$pcli" "    default deny"
it_check "cli's profile selects only cli" grep -qE "^    match .*$tag-cli" "$pcli"

# The learned profiles in force: the same traffic passes, a new
# connection alerts.
chmod 755 "$P"
A=$IT_TMP/alerts.json
"$BIN" run -v -p "$P" -o json:"$A" --alert-window 1 >"$IT_TMP/run.out" 2>"$IT_TMP/run.err" &
rpid=$!
it_cleanup "it_kill_pid $rpid"
it_wait_grep "$IT_TMP/run.err" "running:" 10 || it_fail "run -p did not start"
it_check "run -p loads the learned profiles" grep -q "running:.* [1-9][0-9]* profiles" "$IT_TMP/run.err"
sleep 0.5
alerts_mine() {  # alerts naming one of this test's containers
	[ -f "$A" ] || { echo 0; return; }
	grep -c "\"name\":\"$tag-" "$A"
}
podman exec "$tag-cli" wget -qO- "http://$web_ip/" >/dev/null || it_fail "cli: wget web:80 (run)"
podman exec "$tag-late" wget -qO- "http://$web_ip/" >/dev/null || it_fail "late: wget web:80 (run)"
sleep 2
it_eq "learned traffic again: no alert" "$(alerts_mine)" 0
# New: cli to web:8080 (nothing listens; the SYN is what counts) and cli
# to late, which never talked.
podman exec "$tag-cli" nc -w 1 "$web_ip" 8080 </dev/null >/dev/null 2>&1
podman exec "$tag-cli" nc -w 1 "$late_ip" 80 </dev/null >/dev/null 2>&1
for _ in $(seq 100); do
	[ -f "$A" ] && grep -q "\"port\":8080" "$A" && grep -q "\"ip\":\"$late_ip\"" "$A" && break
	sleep 0.05
done
it_check "new connection cli -> web:8080 alerts" grep -q "\"ip\":\"$web_ip\",\"port\":8080" "$A"
it_check "new connection cli -> late:80 alerts" grep -q "\"ip\":\"$late_ip\",\"port\":80[,}]" "$A"
kill -TERM "$rpid"
rc=0
wait "$rpid" || rc=$?
it_eq "run -p: exit 0 on SIGTERM" "$rc" 0

# SIGINT before the period ends: what was learned is still written, and
# the open flow is finished.
P2=$IT_TMP/profiles2
"$BIN" learn --live 600 -v -o "$P2" >"$IT_TMP/learn2.out" 2>"$IT_TMP/learn2.err" &
lpid2=$!
it_cleanup "it_kill_pid $lpid2"
it_wait_grep "$IT_TMP/learn2.err" "running:" 10 || it_fail "learn --live 600 did not start"
sleep 0.5
podman exec "$tag-cli" wget -qO- "http://$web_ip/" >/dev/null || it_fail "cli: wget web:80 (SIGINT)"
sleep 0.5
t0=$(date +%s%N)
kill -INT "$lpid2"
rc=0
wait "$lpid2" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
it_eq "learn --live 600, SIGINT: exit 0" "$rc" 0
it_check "it stopped at once (${ms} ms)" test "$ms" -lt 5000
pcli2=$(grep -l "^#   [0-9]* containers\?: .*\b$tag-cli\b" "$P2"/*.profile 2>/dev/null | head -1)
expect "${pcli2:-$P2/none}" "    egress +allow tcp 80 to profile $nweb"
it_check "cnetmon check passes on them" "$BIN" check "$P2"

if [ "$IT_FAIL" -gt 0 ]; then
	sed "s/^/  learn: /" "$IT_TMP/learn.err" | tail -30 >&2
	sed "s/^/  run: /" "$IT_TMP/run.err" | tail -20 >&2
fi
it_finish
