#!/bin/sh
# tests/integration/runtime-docker.sh — the Docker reader (src/runtime-docker.c)
# against a real dockerd started here with its own data root, exec root and
# socket under a temporary directory (so the reader is pointed at them, and
# no system Docker is touched): names, images, labels (with a quote and
# non-ASCII), dockershim-style Kubernetes labels, a container never started,
# an id Docker does not know. Each way the reader gets them:
#   1. the Engine API socket alone (data root hidden from the reader);
#   2. config.v2.json with the daemon running (socket hidden);
#   3. config.v2.json with the daemon stopped.
# Also checks that the containerd reader does not claim Docker's own
# containerd bundle (namespace "moby", no CRI annotations).
# Needs root; installs docker.io from Debian's archive when missing
# (../shared/HOST-NOTES.md). Leaves no container, image, mount or process.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

it_init runtime-docker
it_need_root
it_docker_setup || it_fatal "docker.io setup failed"
it_runtime_driver

R=$IT_TMP/rootfs
it_busybox_rootfs "$R" || it_fatal "cannot build the rootfs"
D=$IT_TMP/docker
# Last registered runs first: after dockerd is stopped, anything it left
# mounted under our directory is unmounted before the directory goes.
it_cleanup "grep -o \" ${D}[^ ]*\" /proc/self/mounts | sort -r | xargs -r -n1 umount -l"
# dockerd runs its own containerd; should dockerd die hard, stop that too
# (by its pid file, and only if that pid is still a containerd).
stray_containerd() {
	p=$(cat "$D/exec/containerd/containerd.pid" 2>/dev/null) || return 0
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = containerd ] && it_kill_pid "$p"
	return 0
}
it_cleanup stray_containerd
it_dockerd_start "$D" || it_fatal "dockerd did not start"

S=$$
IMG=local/cnetmon-rt-busybox-$S
WEB=cnetmon-rt-web-$S K8S=cnetmon-rt-k8s-$S NEW=cnetmon-rt-created-$S
UID_=5f0c6b4e-2a7d-4d0e-9c1b-8e3f2a1b0c9d
it_cleanup "it_docker rm -f $WEB $K8S $NEW"

tar -C "$R" -c . | it_docker import - "$IMG" >/dev/null || it_fatal "docker import failed"
it_docker run -d --network none --name "$WEB" --label app=web --label 'q"uote=v"al' \
	--label 'caf=é☃' "$IMG" /bin/httpd -f -p 80 -h /www >/dev/null || it_fatal "docker run failed"
it_docker run -d --network none --name "$K8S" \
	--label io.kubernetes.pod.name=shop-7d9f --label io.kubernetes.pod.namespace=shop \
	--label io.kubernetes.pod.uid=$UID_ --label io.kubernetes.container.name=api \
	"$IMG" /bin/sleep 600 >/dev/null || it_fatal "docker run failed"
it_docker create --network none --name "$NEW" --label state=created "$IMG" /bin/true \
	>/dev/null || it_fatal "docker create failed"

cid() { it_docker inspect -f '{{.Id}}' "$1"; }
ID_WEB=$(cid "$WEB") ID_K8S=$(cid "$K8S") ID_NEW=$(cid "$NEW")
ID_NONE=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
IDS="$ID_WEB $ID_K8S $ID_NEW $ID_NONE"

get() { awk -F '\t' -v id="$2" -v k="$3" '$1 == id && $2 == k { print $3 }' "$1"; }
has_label() { grep -qxF "$(printf '%s\tlabel\t%s' "$2" "$3")" "$1"; }
nlabels() { awk -F '\t' -v id="$2" '$1 == id && $2 == "label"' "$1" | wc -l | tr -d ' '; }

# run MODE ARGS...: the driver over all ids; its stdout in $IT_TMP/MODE.out.
run() {
	m=$1; shift
	# shellcheck disable=SC2086
	"$DRV" "$@" docker $IDS >"$IT_TMP/$m.out" 2>"$IT_TMP/$m.err"
	it_eq "$m: driver exit status" $? 0
}

check() {
	m=$1 f=$IT_TMP/$1.out
	it_eq "$m: $WEB found" "$(get "$f" "$ID_WEB" result)" 1
	it_eq "$m: $WEB name" "$(get "$f" "$ID_WEB" name)" "$WEB"
	it_eq "$m: $WEB runtime" "$(get "$f" "$ID_WEB" runtime)" docker
	it_eq "$m: $WEB image as named" "$(get "$f" "$ID_WEB" image)" "$IMG"
	it_eq "$m: $WEB has 3 labels" "$(nlabels "$f" "$ID_WEB")" 3
	it_check "$m: $WEB label app=web" has_label "$f" "$ID_WEB" 'app=web'
	it_check "$m: $WEB label with quotes" has_label "$f" "$ID_WEB" 'q"uote=v"al'
	it_check "$m: $WEB label with UTF-8" has_label "$f" "$ID_WEB" 'caf=é☃'
	it_eq "$m: dockershim container named as in its pod" "$(get "$f" "$ID_K8S" name)" api
	it_eq "$m: dockershim pod" "$(get "$f" "$ID_K8S" pod)" shop-7d9f
	it_eq "$m: dockershim namespace" "$(get "$f" "$ID_K8S" namespace)" shop
	it_eq "$m: dockershim pod uid" "$(get "$f" "$ID_K8S" pod_uid)" "$UID_"
	it_eq "$m: never-started container" "$(get "$f" "$ID_NEW" name)" "$NEW"
	it_check "$m: never-started container label" has_label "$f" "$ID_NEW" 'state=created'
	it_eq "$m: unknown id is unknown" "$(get "$f" "$ID_NONE" result)" 0
	it_check "$m: no warning" test ! -s "$IT_TMP/$m.err"
	[ -s "$IT_TMP/$m.err" ] && sed "s/^/$m stderr: /" "$IT_TMP/$m.err"
	return 0
}

# 1. The API alone: the data root is hidden from the reader.
run api -d /nonexistent -D "$IT_DOCKER_SOCK"
check api
# 2. The files, daemon running: the socket is hidden.
run file -d "$D/data" -D /nonexistent/docker.sock
check file

# Docker's bundle for runc, in its containerd's "moby" namespace.
B=$D/exec/containerd/daemon/io.containerd.runtime.v2.task
it_check "moby: Docker's containerd bundle exists" test -f "$B/moby/$ID_WEB/config.json"
"$DRV" -c "$B" containerd "$ID_WEB" >"$IT_TMP/moby.out" 2>"$IT_TMP/moby.err"
it_eq "moby: containerd reader leaves it to docker" "$(get "$IT_TMP/moby.out" "$ID_WEB" result)" 0
it_check "moby: no warning" test ! -s "$IT_TMP/moby.err"

# 3. The files with dockerd stopped (containers stopped first, so dockerd
# exits at once instead of waiting out their stop timeout).
it_docker kill "$WEB" "$K8S" >/dev/null 2>&1
it_dockerd_stop
it_check "dockerd stopped" sh -c "! curl -sf -m 1 --unix-socket '$IT_DOCKER_SOCK' http://d/_ping"
run down -d "$D/data" -D "$IT_DOCKER_SOCK"
check down

it_finish
