#!/bin/sh
# tests/integration/runtime-cri.sh — pod labels over the CRI (needs root: it
# installs packages): a gRPC server built with grpcio from
# proto/cri.proto answers ListPodSandbox on a unix socket, as containerd's
# CRI plugin does; the containerd reader must give a container its pod's
# labels (kubelet's own keys left out), match pause containers by sandbox
# id, and survive a runtime that fails the call or is not there.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
it_init runtime-cri
it_need_root
it_apt_install python3-grpcio python3-grpc-tools protobuf-c-compiler libprotobuf-c-dev ||
	it_fatal "packages"
T=$IT_TMP
/usr/bin/python3 -m grpc_tools.protoc -I"$root/proto" --python_out="$T" --grpc_python_out="$T" \
	"$root/proto/cri.proto" || it_fatal "python stubs"
it_runtime_driver

UID_WEB=8a1f3c2e-1111-4c4c-9d9d-0123456789ab
SID=$(printf sandbox-web | sha256sum | cut -c1-64)
CID=$(printf container-nginx | sha256sum | cut -c1-64)
cat >"$T/pods.json" <<JSON
[{"id": "$SID", "name": "web-7d9f", "uid": "$UID_WEB", "namespace": "shop",
  "labels": {"app": "web", "tier": "front end", "io.kubernetes.pod.name": "web-7d9f",
             "io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.uid": "$UID_WEB"}},
 {"id": "$(printf other | sha256sum | cut -c1-64)", "name": "db-0", "uid": "99999999-0000-4000-8000-000000000000",
  "namespace": "shop", "labels": {"app": "db"}}]
JSON
# containerd's bundles, as its CRI plugin writes their annotations.
mkdir -p "$T/state/k8s.io/$CID" "$T/state/k8s.io/$SID"
cat >"$T/state/k8s.io/$CID/config.json" <<JSON
{"ociVersion": "1.0.2", "annotations": {
 "io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.container-name": "nginx",
 "io.kubernetes.cri.image-name": "docker.io/library/nginx:1.25",
 "io.kubernetes.cri.sandbox-id": "$SID", "io.kubernetes.cri.sandbox-name": "web-7d9f",
 "io.kubernetes.cri.sandbox-namespace": "shop", "io.kubernetes.cri.sandbox-uid": "$UID_WEB"}}
JSON
cat >"$T/state/k8s.io/$SID/config.json" <<JSON
{"ociVersion": "1.0.2", "annotations": {
 "io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-name": "web-7d9f",
 "io.kubernetes.cri.sandbox-namespace": "shop"}}
JSON

start_server() {
	/usr/bin/python3 "$here/cri_server.py" "$T" "$T/cri.sock" "$T/pods.json" "$@" \
		>"$T/server.out" 2>"$T/server.err" &
	SPID=$!
	it_cleanup "it_kill_pid $SPID"
	it_wait_grep "$T/server.out" ready 30 && return 0
	cat "$T/server.err" >&2
	return 1
}

start_server || it_fatal "CRI server did not start"
"$DRV" -c "$T/state" -g "$T/cri.sock" containerd "$CID" "$SID" >"$T/out" 2>"$T/err"
it_eq "lookup exits 0" "$?" 0
it_check "container found" grep -q "^$CID	result	1$" "$T/out"
it_check "pod labels over the CRI" grep -q "^$CID	label	app=web$" "$T/out"
it_check "a label with a space" grep -q "^$CID	label	tier=front end$" "$T/out"
it_check "kubelet's own keys left out" sh -c "! grep -q 'label	io.kubernetes' '$T/out'"
it_check "pod name from the annotations" grep -q "^$CID	pod	web-7d9f$" "$T/out"
it_check "pause container labelled by sandbox id" grep -q "^$SID	label	app=web$" "$T/out"
it_check "no warning" test ! -s "$T/err"
it_kill_pid "$SPID"

start_server --fail || it_fatal "CRI server did not start"
# On a loaded machine the Python server may answer after cnetmon's 2 s CRI
# timeout (a warning, not a status): ask again, a few times.
for _ in 1 2 3; do
	"$DRV" -c "$T/state" -g "$T/cri.sock" containerd "$CID" >"$T/out" 2>"$T/err"
	grep -q "Timeout was reached" "$T/err" || break
done
it_check "a failing CRI: the container is still found" grep -q "^$CID	result	1$" "$T/out"
it_check "... without labels" sh -c "! grep -q 'label' '$T/out'"
it_check "... and the gRPC status is reported" grep -q "grpc-status 14" "$T/err"
grep -q "grpc-status 14" "$T/err" || sed "s/^/  stderr: /" "$T/err" >&2
it_kill_pid "$SPID"

"$DRV" -c "$T/state" -g "$T/nothing.sock" containerd "$CID" >"$T/out" 2>"$T/err"
it_check "no CRI socket: found, quietly" sh -c "grep -q '^$CID	result	1$' '$T/out' && test ! -s '$T/err'"
it_finish
