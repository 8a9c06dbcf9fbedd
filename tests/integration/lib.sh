# tests/integration/lib.sh — shared helpers for the integration tests that
# drive real components (podman, dockerd, network namespaces).  Sourced, not
# run; POSIX sh so both sh and bash scripts can use it:
#
#	. "$(dirname "$0")/lib.sh"
#	it_init runtime-podman          # name used in the closing line
#	it_need_root                    # "SKIPPED: needs root", exit 0, when not root
#	it_cleanup 'podman rm -f web'   # run at exit (LIFO), also on failure/signal
#	it_check "web has its label" test "$x" = app=web
#	it_finish                       # "NAME: N passed, N failed"; exit 1 if any failed
#
# Host setup follows ../shared/HOST-NOTES.md (Debian 12, cgroup v1 + cgroup2 at
# /sys/fs/cgroup/unified, no systemd): packages from Debian's archive only,
# /etc/containers/containers.conf with the two settings podman needs here,
# hugetlb mounted on v1 so crun/runc accept the hybrid layout.  Everything a
# test starts is stopped by PID and everything it creates is removed, even
# when it fails half way.

IT_NAME=${IT_NAME:-integration}
IT_PASS=0
IT_FAIL=0
IT_TMP=
IT_CLEANUP=
IT_DONE=0
IT_PODMAN_PID=
IT_DOCKERD_PID=
IT_DOCKER_SOCK=

it_log() { printf '%s: %s\n' "$IT_NAME" "$*" >&2; }

# it_init NAME: counters, a private temporary directory ($IT_TMP) and the
# exit trap that runs the cleanups.
it_init() {
	IT_NAME=$1
	IT_TMP=$(mktemp -d "/tmp/cnetmon-$IT_NAME.XXXXXX") || exit 1
	trap 'it__atexit' EXIT
	trap 'it_log "interrupted"; exit 130' INT TERM HUP
}

# it_need_root: a test that needs root reports itself skipped, never passed.
it_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "$IT_NAME: SKIPPED: needs root"
		echo "$IT_NAME: 0 passed, 0 failed, 1 skipped"
		IT_DONE=1
		exit 0
	fi
}

# it_skip REASON: the machine lacks something the test cannot install.
it_skip() {
	echo "$IT_NAME: SKIPPED: $*"
	echo "$IT_NAME: $IT_PASS passed, $IT_FAIL failed, 1 skipped"
	IT_DONE=1
	exit 0
}

# it_cleanup CMD: CMD is eval'd at exit; the last registered runs first, so
# a container is removed before the daemon that owns it is stopped.
it_cleanup() {
	IT_CLEANUP="$1
$IT_CLEANUP"
}

it__atexit() {
	rc=$?
	set +e
	# Run the cleanups one line at a time so one failing does not stop
	# the rest; they are quiet, their output is noise in a test log.
	printf '%s\n' "$IT_CLEANUP" | while IFS= read -r it__c; do
		[ -n "$it__c" ] && eval "$it__c" >/dev/null 2>&1
	done
	[ -n "$IT_TMP" ] && rm -rf "$IT_TMP"
	if [ "$IT_DONE" -eq 0 ]; then
		# Died before it_finish (set -e, signal, fatal setup error):
		# still leave the closing line, counting the abort as a failure.
		echo "$IT_NAME: $IT_PASS passed, $((IT_FAIL + 1)) failed"
		[ "$rc" -eq 0 ] && rc=1
	fi
	exit "$rc"
}

it_pass() { IT_PASS=$((IT_PASS + 1)); echo "ok   $*"; }
it_fail() { IT_FAIL=$((IT_FAIL + 1)); echo "FAIL $*"; }

# it_check DESC CMD...: one counted check.
it_check() {
	it__d=$1; shift
	if "$@"; then it_pass "$it__d"; else it_fail "$it__d"; fi
}

# it_eq DESC GOT WANT: a counted string comparison that shows both sides.
it_eq() {
	if [ "$2" = "$3" ]; then
		it_pass "$1"
	else
		it_fail "$1: got '$2', want '$3'"
	fi
}

it_finish() {
	echo "$IT_NAME: $IT_PASS passed, $IT_FAIL failed"
	IT_DONE=1
	[ "$IT_FAIL" -eq 0 ]
	exit $?
}

# it_fatal MSG: setup that cannot go on; counted as a failure by the trap.
it_fatal() {
	it_log "$*"
	exit 1
}

# it_apt_install [--no-install-recommends] PKG...: install what is missing,
# from Debian's archive; `apt-get update` only when a first try fails.
it_apt_install() {
	it__opt=
	if [ "$1" = --no-install-recommends ]; then it__opt=$1; shift; fi
	it__miss=
	for it__p in "$@"; do
		dpkg-query -W -f '${Status}' "$it__p" 2>/dev/null | grep -q 'ok installed' ||
			it__miss="$it__miss $it__p"
	done
	[ -z "$it__miss" ] && return 0
	it_log "installing$it__miss"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get install -y -q $it__opt $it__miss >"$IT_TMP/apt.log" 2>&1 ||
		{ apt-get update -q >>"$IT_TMP/apt.log" 2>&1 &&
		  apt-get install -y -q $it__opt $it__miss >>"$IT_TMP/apt.log" 2>&1; } ||
		{ cat "$IT_TMP/apt.log" >&2; return 1; }
}

# it_podman_setup: packages, hugetlb, containers.conf (HOST-NOTES "podman").
it_podman_setup() {
	it_apt_install podman runc crun busybox-static curl || return 1
	# crun refuses hybrid cgroups while hugetlb sits on cgroup2 only.
	if [ -r /sys/fs/cgroup/unified/cgroup.controllers ] &&
	   [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers)" ] &&
	   ! mountpoint -q /sys/fs/cgroup/hugetlb; then
		mkdir -p /sys/fs/cgroup/hugetlb &&
			mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb || return 1
	fi
	# Root lacks CAP_SYS_RESOURCE here, so podman's default rlimits
	# fail; no systemd, so cgroupfs and file events.  Written only when
	# it differs, since other tests on the host use the same file.
	# shellcheck disable=SC3045 # dash and bash both have ulimit -H
	it__h=$(ulimit -Hn)
	it__conf="[containers]
default_ulimits = [\"nofile=$it__h:$it__h\", \"nproc=4096:4096\"]
[engine]
cgroup_manager = \"cgroupfs\"
events_logger = \"file\"
runtime = \"runc\""
	mkdir -p /etc/containers
	if [ "$(cat /etc/containers/containers.conf 2>/dev/null)" != "$it__conf" ]; then
		printf '%s\n' "$it__conf" >/etc/containers/containers.conf || return 1
	fi
}

# it_busybox_rootfs DIR: a root filesystem from busybox-static, enough for
# `podman run --rootfs DIR` and for `docker import`.
it_busybox_rootfs() {
	it__r=$1
	mkdir -p "$it__r/bin" "$it__r/etc" "$it__r/www" "$it__r/tmp" || return 1
	cp /bin/busybox "$it__r/bin/" || return 1
	for it__a in sh ip cat wget httpd sleep nc true; do
		ln -sf busybox "$it__r/bin/$it__a"
	done
	echo 'root:x:0:0:root:/:/bin/sh' >"$it__r/etc/passwd"
	echo 'root:x:0:' >"$it__r/etc/group"
	echo hello >"$it__r/www/index.html"
}

# it_wait_socket PATH SECONDS: until a unix socket answers HTTP.
it_wait_socket() {
	it__n=$(( $2 * 10 ))
	while [ "$it__n" -gt 0 ]; do
		if [ -S "$1" ] && curl -sf -m 1 --unix-socket "$1" http://d/_ping >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		it__n=$((it__n - 1))
	done
	return 1
}

# it_wait_grep FILE REGEX SECONDS: until a line of FILE matches (grep -E);
# 1 if it never did. Tests wait for what they need, not for a fixed time:
# a loaded machine (CI, the sanitizers) is slower than any sleep guessed.
it_wait_grep() {
	it__n=$(( $3 * 20 ))
	while [ "$it__n" -gt 0 ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
		it__n=$((it__n - 1))
	done
	grep -Eq -- "$2" "$1" 2>/dev/null
}

# it_host_veth CONTAINER: the host's end of a podman container's eth0.
it_host_veth() {
	it__pid=$(podman inspect -f '{{.State.Pid}}' "$1") || return 1
	it__if=$(nsenter -t "$it__pid" -n ip -o link show eth0 |
		sed -n 's/.*eth0@if\([0-9]*\):.*/\1/p')
	[ -n "$it__if" ] || return 1
	ip -o link | awk -F': ' -v i="$it__if" '$1 == i { sub(/@.*/, "", $2); print $2 }'
}

# it_kill_pid PID: TERM, a grace of 5 s, then KILL; only this one process.
it_kill_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	it__n=50
	while [ "$it__n" -gt 0 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.1
		it__n=$((it__n - 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# it_podman_service SOCK: `podman system service` on SOCK (what the
# podman.socket unit does on a systemd host); PID in IT_PODMAN_PID, stopped
# at exit.  A private socket path keeps tests from fighting over
# /run/podman/podman.sock; where a service already answers on SOCK it is
# used as it is (IT_PODMAN_PID stays empty).
it_podman_service() {
	mkdir -p "$(dirname "$1")"
	# Already served (a podman.socket unit, another test): use that one,
	# and leave it, and its socket file, alone.
	if [ -S "$1" ] && curl -sf -m 1 --unix-socket "$1" http://d/_ping >/dev/null 2>&1; then
		it_log "using the podman service already on $1"
		return 0
	fi
	podman system service --time=0 "unix://$1" >"$IT_TMP/podman-service.log" 2>&1 &
	IT_PODMAN_PID=$!
	it_cleanup "it_kill_pid $IT_PODMAN_PID; rm -f '$1'"
	it_wait_socket "$1" 30 || { cat "$IT_TMP/podman-service.log" >&2; return 1; }
}

it_podman_service_stop() {
	it_kill_pid "$IT_PODMAN_PID"
	IT_PODMAN_PID=
}

# it_docker_setup: docker.io without recommends (HOST-NOTES "Docker").
it_docker_setup() {
	it_apt_install --no-install-recommends docker.io || return 1
	it_apt_install busybox-static curl || return 1
	[ -x /usr/sbin/dockerd ] || [ -x /usr/bin/dockerd ] || return 1
}

# it_dockerd_start DIR: a private dockerd whose data root, exec root, socket
# and pid file all live under DIR, so it never touches (or collides with) a
# system one.  No bridge or iptables rules: containers use --network none,
# these tests only need the metadata.  Socket in IT_DOCKER_SOCK, PID in
# IT_DOCKERD_PID.
it_dockerd_start() {
	mkdir -p "$1/data" "$1/exec"
	IT_DOCKER_SOCK=$1/docker.sock
	dockerd --data-root "$1/data" --exec-root "$1/exec" \
		--host "unix://$IT_DOCKER_SOCK" --pidfile "$1/docker.pid" \
		--exec-opt native.cgroupdriver=cgroupfs \
		--bridge none --iptables=false --ip6tables=false --ip-masq=false \
		>"$IT_TMP/dockerd.log" 2>&1 &
	IT_DOCKERD_PID=$!
	it_cleanup "it_kill_pid $IT_DOCKERD_PID"
	it_wait_socket "$IT_DOCKER_SOCK" 30 || { tail -20 "$IT_TMP/dockerd.log" >&2; return 1; }
}

it_dockerd_stop() {
	it_kill_pid "$IT_DOCKERD_PID"
	IT_DOCKERD_PID=
}

# it_docker ARGS: Debian's client (another one may come first in PATH) on
# the private daemon.
it_docker() {
	/usr/bin/docker -H "unix://$IT_DOCKER_SOCK" "$@"
}

# it_build_driver OUT SRC...: a test driver against the repo's sources,
# with the flags the Makefile uses.
it_build_driver() {
	it__out=$1; shift
	it__root=$(cd "$(dirname "$0")/../.." && pwd)
	# The CRI client (runtime-cri.c asks ListPodSandbox) and its protobuf
	# code, generated as the Makefile does.
	mkdir -p "$IT_TMP/gen" &&
		protoc-c --c_out="$IT_TMP/gen" -I"$it__root/proto" "$it__root/proto/cri.proto" || return 1
	# shellcheck disable=SC2046
	${CC:-cc} -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra \
		-fsanitize=address,undefined -fno-omit-frame-pointer \
		-I"$it__root/include" -I"$IT_TMP/gen" $(pkg-config --cflags jansson libcurl libprotobuf-c) \
		-o "$it__out" "$@" "$it__root/src/cri-grpc.c" "$it__root/src/daemon.c" "$IT_TMP/gen/cri.pb-c.c" \
		$(pkg-config --libs jansson libcurl libprotobuf-c)
}

# it_runtime_driver: build tests/integration/runtime-lookup.c against the
# runtime readers into $IT_TMP/runtime-lookup; its path in DRV.
it_runtime_driver() {
	it__root=$(cd "$(dirname "$0")/../.." && pwd)
	if ! command -v cc >/dev/null || ! pkg-config --exists jansson libcurl libprotobuf-c; then
		it_fatal "needs cc, jansson, libcurl and protobuf-c development files (contrib/install-deps.sh)"
	fi
	DRV=$IT_TMP/runtime-lookup
	it_build_driver "$DRV" "$it__root/tests/integration/runtime-lookup.c" \
		"$it__root"/src/runtime*.c "$it__root/src/inventory.c" "$it__root/src/log.c" ||
		it_fatal "cannot build the driver"
}
