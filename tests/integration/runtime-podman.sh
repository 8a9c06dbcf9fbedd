#!/bin/sh
# tests/integration/runtime-podman.sh — the podman reader (src/runtime-podman.c)
# against real podman containers: names, images, labels (with a quote and
# non-ASCII), a pod, a container never started, and an id podman does not
# know. Both ways the reader gets them:
#   1. the REST API socket (`podman system service`, started here on a
#      private socket and stopped by PID): one list request per scan;
#   2. with the service stopped (its socket file left behind, so a refused
#      connection is exercised too): `podman container inspect`.
# Needs root; installs podman from Debian's archive when missing
# (../shared/HOST-NOTES.md). Leaves no container, pod, image or process.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

it_init runtime-podman
it_need_root
it_podman_setup || it_fatal "podman setup failed"
it_runtime_driver

R=$IT_TMP/rootfs
it_busybox_rootfs "$R" || it_fatal "cannot build the rootfs"
S=$$
IMG=localhost/cnetmon-rt-busybox-$S
WEB=cnetmon-rt-web-$S API=cnetmon-rt-api-$S NEW=cnetmon-rt-created-$S
POD=cnetmon-rt-pod-$S INPOD=cnetmon-rt-inpod-$S
# A pod's infra container runs the podman-pause image podman builds on
# first use; remove it afterwards only if this test made it.
pause_images() { podman images -q --filter reference=localhost/podman-pause 2>/dev/null; }
had_pause=$(pause_images)

# Cleanups run last-registered first: containers, then pod, then images.
# shellcheck disable=SC2016 # expanded at cleanup time, not now
[ -z "$had_pause" ] && it_cleanup 'podman rmi $(pause_images)'
it_cleanup "podman rmi -f $IMG"
it_cleanup "podman pod rm -f -t 0 $POD"
it_cleanup "podman rm -f -t 0 $WEB $API $NEW $INPOD"

tar -C "$R" -c . | podman import -q - "$IMG" >/dev/null || it_fatal "podman import failed"
podman run -d -q --name "$WEB" --label app=web --label 'q"uote=v"al' \
	--label 'caf=é☃' --rootfs "$R" /bin/httpd -f -p 80 -h /www >/dev/null ||
	it_fatal "podman run --rootfs failed"
podman run -d -q --name "$API" --label tier=api "$IMG" /bin/sleep 600 >/dev/null ||
	it_fatal "podman run $IMG failed"
podman create -q --name "$NEW" --label state=created "$IMG" /bin/true >/dev/null ||
	it_fatal "podman create failed"
podman pod create --name "$POD" >/dev/null || it_fatal "podman pod create failed"
podman run -d -q --pod "$POD" --name "$INPOD" --label role=member "$IMG" /bin/sleep 600 \
	>/dev/null || it_fatal "podman run --pod failed"

cid() { podman inspect -f '{{.Id}}' "$1"; }
ID_WEB=$(cid "$WEB") ID_API=$(cid "$API") ID_NEW=$(cid "$NEW") ID_INPOD=$(cid "$INPOD")
ID_NONE=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

# get FILE ID FIELD: the value the driver printed.
get() { awk -F '\t' -v id="$2" -v k="$3" '$1 == id && $2 == k { print $3 }' "$1"; }
has_label() { grep -qxF "$(printf '%s\tlabel\t%s' "$2" "$3")" "$1"; }
nlabels() { awk -F '\t' -v id="$2" '$1 == id && $2 == "label"' "$1" | wc -l | tr -d ' '; }

# check MODE FILE: the same facts, whichever way they were read.
check() {
	m=$1 f=$2
	it_eq "$m: $WEB found" "$(get "$f" "$ID_WEB" result)" 1
	it_eq "$m: $WEB name" "$(get "$f" "$ID_WEB" name)" "$WEB"
	it_eq "$m: $WEB runtime" "$(get "$f" "$ID_WEB" runtime)" podman
	it_eq "$m: $WEB --rootfs has no image" "$(get "$f" "$ID_WEB" image)" ""
	it_eq "$m: $WEB has 3 labels" "$(nlabels "$f" "$ID_WEB")" 3
	it_check "$m: $WEB label app=web" has_label "$f" "$ID_WEB" 'app=web'
	it_check "$m: $WEB label with quotes" has_label "$f" "$ID_WEB" 'q"uote=v"al'
	it_check "$m: $WEB label with UTF-8" has_label "$f" "$ID_WEB" 'caf=é☃'
	it_eq "$m: $API name" "$(get "$f" "$ID_API" name)" "$API"
	it_eq "$m: $API image" "$(get "$f" "$ID_API" image)" "$IMG:latest"
	it_check "$m: $API label" has_label "$f" "$ID_API" 'tier=api'
	it_eq "$m: never-started container found" "$(get "$f" "$ID_NEW" name)" "$NEW"
	it_check "$m: never-started container label" has_label "$f" "$ID_NEW" 'state=created'
	it_eq "$m: $INPOD name" "$(get "$f" "$ID_INPOD" name)" "$INPOD"
	it_eq "$m: $INPOD pod" "$(get "$f" "$ID_INPOD" pod)" "$POD"
	it_eq "$m: unknown id is unknown" "$(get "$f" "$ID_NONE" result)" 0
	it_eq "$m: unknown id gets no name" "$(get "$f" "$ID_NONE" name)" ""
	it_check "$m: no warning" test ! -s "$f.err"
}

# 1. Over the API socket. No podman binary is given to the driver, so a
# silent fall back to exec cannot pass this.
SOCK=$IT_TMP/run/podman.sock
it_podman_service "$SOCK" || it_fatal "podman system service did not start"
"$DRV" -p "$SOCK" -P /nonexistent/podman podman \
	"$ID_WEB" "$ID_API" "$ID_NEW" "$ID_INPOD" "$ID_NONE" >"$IT_TMP/sock.out" 2>"$IT_TMP/sock.out.err"
it_eq "socket: driver exit status" $? 0
check socket "$IT_TMP/sock.out"

# 2. Service stopped, its socket file still there (connection refused):
# `podman container inspect`.
it_podman_service_stop
t0=$(date +%s)
"$DRV" -p "$SOCK" -P podman podman \
	"$ID_WEB" "$ID_API" "$ID_NEW" "$ID_INPOD" "$ID_NONE" >"$IT_TMP/exec.out" 2>"$IT_TMP/exec.out.err"
it_eq "inspect: driver exit status" $? 0
check inspect "$IT_TMP/exec.out"
it_check "inspect: five lookups within 10 s" test $(( $(date +%s) - t0 )) -le 10

[ -s "$IT_TMP/sock.out.err" ] && sed 's/^/socket stderr: /' "$IT_TMP/sock.out.err"
[ -s "$IT_TMP/exec.out.err" ] && sed 's/^/inspect stderr: /' "$IT_TMP/exec.out.err"
it_finish
