#!/bin/sh
# contrib/install-deps.sh — install the Debian/Ubuntu packages cnetmon needs
# to build, test and benchmark. Installs only what is missing; uses sudo
# when not run as root.
set -eu
PKGS="build-essential pkg-config libpcap-dev libssl-dev libcriterion-dev libjansson-dev
      libnl-3-dev libnl-route-3-dev libmnl-dev libcurl4-openssl-dev
      libprotobuf-c-dev protobuf-c-compiler libinih-dev libcap-ng-dev
      libnetfilter-conntrack-dev conntrack libmsgpack-dev zlib1g-dev libgraphviz-dev rsyslog
      tshark python3 python3-scapy python3-msgpack tcpdump valgrind time"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# tshark asks whether non-root users may capture; the answer does not matter here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
