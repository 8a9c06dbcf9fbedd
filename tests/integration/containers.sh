#!/bin/bash
# tests/integration/containers.sh BIN — `cnetmon containers` against real
# containers, and attribution of real traffic (needs root):
#  - podman containers (busybox rootfs, no image pull): name, id, labels
#    (through podman's API socket), interfaces, the host veth found by
#    ifindex, the bridge;
#  - runc containers in network namespaces the test makes, with the cgroup
#    layouts of Kubernetes (containerd, cgroupfs and systemd), Docker's
#    systemd scope and CRI-O, which no runtime on this host produces;
#  - --watch: a container that starts is reported, and how fast;
#  - offline attribution: traffic captured on the bridge, read back with the
#    saved inventory, names both containers.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
BIN=${1:?usage: containers.sh CNETMON_BIN}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
PY=/usr/bin/python3
it_init containers
it_need_root
it_podman_setup || it_fatal "podman setup failed"
it_apt_install tcpdump iproute2 || it_fatal "packages"

R=$IT_TMP/rootfs
it_busybox_rootfs "$R" || it_fatal "rootfs"
SOCK=/run/podman/podman.sock     # where cnetmon looks, as the podman.socket unit puts it
it_podman_service "$SOCK" || it_fatal "podman service did not start"

tag=cnm$$
it_cleanup "podman rm -f -t 0 --ignore $tag-web $tag-cli $tag-late"
podman run -d --name "$tag-web" --label app=web --label "tier=front end" --rootfs "$R" \
	/bin/httpd -f -p 80 -h /www >/dev/null || it_fatal "podman run web"
podman run -d --name "$tag-cli" --rootfs "$R" /bin/sleep 600 >/dev/null || it_fatal "podman run cli"
web_id=$(podman inspect -f '{{.Id}}' "$tag-web")
web_ip=$(podman inspect -f '{{.NetworkSettings.IPAddress}}' "$tag-web")
web_pid=$(podman inspect -f '{{.State.Pid}}' "$tag-web")
cli_ip=$(podman inspect -f '{{.NetworkSettings.IPAddress}}' "$tag-cli")
# The container's eth0 names its host peer by ifindex ("eth0@if42"). (Not
# from /sys: nsenter -n switches the network namespace, and /sys would still
# show the host's.)
web_link=$(nsenter -t "$web_pid" -n ip -o link show eth0)
web_iflink=$(printf '%s' "$web_link" | sed -n 's/.*eth0@if\([0-9]*\):.*/\1/p')
web_mac=$(printf '%s' "$web_link" | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p')
web_hostif=$(ip -o link | awk -F': ' -v i="$web_iflink" '$1 == i { sub(/@.*/, "", $2); print $2 }')

# ---- runc containers with hand-made cgroup layouts -------------------------
it_apt_install runc || it_fatal "runc"
BR=cnmbr$$
ip link add "$BR" type bridge && ip link set "$BR" up && ip addr add 10.199.0.1/24 dev "$BR" ||
	it_fatal "bridge"
it_cleanup "ip link del $BR"
hexid() { printf '%s' "$1" | sha256sum | cut -c1-64; }
UID1=5f0c6b4e-2a7d-4d0e-9c1b-8e3f2a1b0c9d
declare -A LAYOUT
LAYOUT[k8s-cgroupfs]="/kubepods/burstable/pod$UID1/$(hexid k8s-cgroupfs)"
LAYOUT[k8s-systemd]="/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID1//-/_}.slice/cri-containerd-$(hexid k8s-systemd).scope"
LAYOUT[docker-scope]="/system.slice/docker-$(hexid docker-scope).scope"
LAYOUT[crio]="/kubepods.slice/kubepods-pod${UID1//-/_}.slice/crio-$(hexid crio).scope"
n=2
for name in "${!LAYOUT[@]}"; do
	ns=$tag-$name
	ip netns add "$ns" || it_fatal "netns $ns"
	it_cleanup "ip netns del $ns"
	ip link add "v$n-$$" type veth peer name eth0 netns "$ns" || it_fatal "veth"
	it_cleanup "ip link del v$n-$$"
	ip link set "v$n-$$" master "$BR" up
	ip -n "$ns" addr add "10.199.0.$n/24" dev eth0 && ip -n "$ns" link set eth0 up &&
		ip -n "$ns" link set lo up || it_fatal "addr"
	b=$IT_TMP/bundle-$name
	mkdir -p "$b" && (cd "$b" && runc spec) || it_fatal "runc spec"
	$PY - "$b/config.json" "$R" "${LAYOUT[$name]}" "/var/run/netns/$ns" <<'PYEOF' || it_fatal "bundle"
import json, sys
p, root, cg, netns = sys.argv[1:]
c = json.load(open(p))
c["root"] = {"path": root, "readonly": True}
c["process"]["args"] = ["/bin/sleep", "600"]
c["process"]["terminal"] = False
c["linux"]["cgroupsPath"] = cg
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"] + \
    [{"type": "network", "path": netns}]
json.dump(c, open(p, "w"))
PYEOF
	runc --root "$IT_TMP/runc" run -d -b "$b" "$ns" </dev/null >/dev/null 2>"$IT_TMP/runc-$name.err" ||
		{ cat "$IT_TMP/runc-$name.err" >&2; it_fatal "runc run $name"; }
	it_cleanup "runc --root $IT_TMP/runc delete -f $ns"
	n=$((n + 1))
done

# ---- one scan --------------------------------------------------------------
t0=$(date +%s%N)
"$BIN" containers --json >"$IT_TMP/inv.json" 2>"$IT_TMP/scan.err"
rc=$?
t1=$(date +%s%N)
it_eq "containers --json exits 0" "$rc" 0
it_log "scan took $(( (t1 - t0) / 1000000 )) ms"
[ -s "$IT_TMP/scan.err" ] && { it_log "scan stderr:"; cat "$IT_TMP/scan.err" >&2; }
"$BIN" containers >"$IT_TMP/table.txt" 2>&1
it_check "table lists the web container" grep -q "$tag-web" "$IT_TMP/table.txt"

# Every expectation below comes from podman/ip/runc, not from cnetmon.
$PY - "$IT_TMP/inv.json" "$tag" "$web_id" "$web_ip" "$web_hostif" "$web_mac" "$cli_ip" \
	"$UID1" "$(for k in "${!LAYOUT[@]}"; do printf '%s=%s ' "$k" "${LAYOUT[$k]}"; done)" <<'PYEOF'
import json, sys
inv_path, tag, web_id, web_ip, web_hostif, web_mac, cli_ip, uid, layouts = sys.argv[1:]
inv = json.load(open(inv_path))
by_name = {c["name"]: c for c in inv["containers"]}
ok = True
def check(desc, cond):
    global ok
    print(("ok   " if cond else "FAIL ") + desc)
    ok &= bool(cond)
web = by_name.get(tag + "-web")
check("podman container found by name", web)
if web:
    check("id from the cgroup equals podman's", web["id"] == web_id)
    check("runtime podman", web["runtime"] == "podman")
    check("labels from podman's API", web["labels"].get("app") == "web" and
          web["labels"].get("tier") == "front end")
    ifs = web["interfaces"]
    check("one interface eth0", len(ifs) == 1 and ifs[0]["name"] == "eth0")
    if ifs:
        check("its address", web_ip in ifs[0]["addrs"])
        check("its MAC", ifs[0]["mac"] == web_mac)
        check("host veth found by ifindex", ifs[0]["host_ifname"] == web_hostif)
        check("enslaved to podman's bridge", ifs[0].get("bridge") == "podman0")
cli = by_name.get(tag + "-cli")
check("second podman container", cli and any(cli_ip in i["addrs"] for i in cli["interfaces"]))
check("host addresses listed", "10.88.0.1" in inv["host_addrs"])
for item in layouts.split():
    name, path = item.split("=", 1)
    cid = [p for p in path.replace(".scope", "").replace("-", "/").split("/") if len(p) == 64][0]
    hit = [c for c in inv["containers"] if c["id"] == cid]
    check("%s: container id from %s" % (name, path), hit)
    if hit:
        c = hit[0]
        check("%s: cgroup path kept" % name, c["cgroup"] == path)
        check("%s: address in its namespace" % name,
              any(a.startswith("10.199.0.") for i in c["interfaces"] for a in i["addrs"]))
        if "kubepods" in path:
            check("%s: pod uid %s" % (name, uid), c.get("pod_uid") == uid)
        want_rt = {"k8s-systemd": "containerd", "docker-scope": "docker", "crio": "cri-o"}.get(name)
        if want_rt:
            check("%s: runtime %s" % (name, want_rt), c["runtime"] == want_rt)
        check("%s: named after its process when no runtime knows it" % name,
              c["name"].startswith("sleep["))
sys.exit(0 if ok else 1)
PYEOF
it_eq "inventory content" "$?" 0

# ---- offline attribution of real traffic -----------------------------------
tcpdump -i podman0 -w "$IT_TMP/cap.pcap" -U -s 0 "host $web_ip" 2>"$IT_TMP/tcpdump.err" &
tdpid=$!
it_cleanup "it_kill_pid $tdpid"
it_wait_grep "$IT_TMP/tcpdump.err" "listening on" 15 || it_fail "tcpdump did not start"
podman exec "$tag-cli" wget -qO- "http://$web_ip/" >/dev/null || it_fail "wget through the bridge"
sleep 1
it_kill_pid "$tdpid"
"$BIN" read -q -I "$IT_TMP/inv.json" --flows json:"$IT_TMP/flows.json" "$IT_TMP/cap.pcap"
it_eq "read -I exits 0" "$?" 0
$PY - "$IT_TMP/flows.json" "$tag" "$web_ip" <<'PYEOF'
import json, sys
path, tag, web_ip = sys.argv[1:]
recs = [json.loads(l) for l in open(path)]
http = [r for r in recs if r["proto"] == "tcp" and r["dst"]["ip"] == web_ip and r["dst"]["port"] == 80]
ok = len(http) == 1
print(("ok   " if ok else "FAIL ") + "one HTTP flow to web (%d)" % len(http))
if ok:
    r = http[0]
    for desc, cond in (("initiator is the cli container", (r["src"]["container"] or {}).get("name") == tag + "-cli"),
                       ("responder is the web container", (r["dst"]["container"] or {}).get("name") == tag + "-web"),
                       ("web's labels in the record", (r["dst"]["container"] or {}).get("labels", {}).get("app") == "web"),
                       ("direction egress", r["direction"] == "egress"),
                       ("closed by FIN", r["tcp_state"] == "closed")):
        print(("ok   " if cond else "FAIL ") + desc)
        ok &= bool(cond)
sys.exit(0 if ok else 1)
PYEOF
it_eq "flow record names both containers" "$?" 0

# ---- --watch: a container that starts after the watcher --------------------
"$BIN" containers --watch --json >"$IT_TMP/watch.json" 2>"$IT_TMP/watch.err" &
wpid=$!
it_cleanup "it_kill_pid $wpid"
for _ in $(seq 50); do grep -q '"running"' "$IT_TMP/watch.json" 2>/dev/null && break; sleep 0.1; done
t0=$(date +%s%N)
podman run -d --name "$tag-late" --label app=late --rootfs "$R" /bin/sleep 600 >/dev/null ||
	it_fatal "podman run late"
t1=$(date +%s%N)
late_id=$(podman inspect -f '{{.Id}}' "$tag-late")
seen=
for _ in $(seq 500); do
	if grep -q "\"start\".*$late_id" "$IT_TMP/watch.json"; then seen=$(date +%s%N); break; fi
	sleep 0.02
done
it_check "watch reports the new container" test -n "$seen"
[ -n "$seen" ] && it_log "start event $(( (seen - t1) / 1000000 )) ms after 'podman run' returned ($(( (t1 - t0) / 1000000 )) ms for podman run itself)"
it_check "its labels are in the event" grep -q '"app":"late"' "$IT_TMP/watch.json"
podman rm -f -t 0 "$tag-late" >/dev/null
it_wait_grep "$IT_TMP/watch.json" "\"stop\".*$late_id" 15
it_check "watch reports it stopped" grep -q "\"stop\".*$late_id" "$IT_TMP/watch.json"
it_kill_pid "$wpid"
it_check "watch exits cleanly on SIGTERM" test ! -s "$IT_TMP/watch.err"
[ -s "$IT_TMP/watch.err" ] && cat "$IT_TMP/watch.err" >&2

it_finish
