#!/bin/sh
# Install the Debian packages spu needs, only those that are missing.
# Runs apt-get update at most once. Uses sudo when not root.
set -e
PKGS="gcc make pkg-config flex bison clang libclang-rt-14-dev
      libpcap-dev libjansson-dev libcriterion-dev libpcre2-dev zlib1g-dev libisal-dev
      liburcu-dev libssl-dev libsodium-dev libmagic-dev
      libmicrohttpd-dev
      python3 python3-jsonschema tcpreplay wireshark-common tshark
      iproute2 ethtool valgrind gnuplot-nox libhiredis-dev redis-server
      libnetfilter-queue-dev iptables nginx-light curl iputils-ping
      dnsmasq-base bind9-dnsutils openssl"
case "$(dpkg --print-architecture 2>/dev/null)" in
    amd64) PKGS="$PKGS libhyperscan-dev" ;;
    *)     PKGS="$PKGS libvectorscan-dev" ;;
esac
missing=""
for p in $PKGS; do
    # -dev of the other multi-pattern provider satisfies the requirement too
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a terminal.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
