#!/bin/sh
# The control socket is not usable by another user: with an explicit
# --control PATH, spuctl run as nobody on that PATH is refused with a
# permission error (the directories on the way are open to everyone, so
# it is the socket's own mode 0600 that refuses). And -u drops privileges
# once the capture, the output and the socket are open.
. "$E2E/lib.inc"
SPUCTL="$(dirname "$SPURUN")/spuctl"
if [ "$(id -u)" != 0 ] || ! command -v setpriv > /dev/null; then
    echo "skip control-perm: needs root and setpriv"; exit 0
fi
paced="$CORPUS/suricata-verify/tcp-rst-unacked-stream-11/input.pcap"
dir=$(mktemp -d /tmp/spu-perm.XXXXXX)
chmod 755 "$dir"
sock="$dir/spurun.sock"
"$SPURUN" -r "$paced" --realtime -o "$TMPC/p.json" --no-progress --control "$sock" 2>/dev/null &
pid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
setpriv --reuid=65534 --regid=65534 --clear-groups "$SPUCTL" --control "$sock" stats \
    > "$TMPC/nobody.out" 2> "$TMPC/nobody.err"
nrc=$?
"$SPUCTL" --control "$sock" stats > /dev/null; orc=$?
"$SPUCTL" --control "$sock" shutdown > /dev/null
wait $pid
if [ $nrc -eq 3 ] && grep -q "permission denied" "$TMPC/nobody.err" && [ ! -s "$TMPC/nobody.out" ] &&
   [ $orc -eq 0 ]; then
    echo "ok control-perm: nobody refused: $(head -c 160 "$TMPC/nobody.err")"
else
    echo "FAIL control-perm: nobody rc=$nrc owner rc=$orc"; cat "$TMPC/nobody.err"
fi

# -u nobody: the process runs as 65534 once the capture is open; the EVE
# file was opened (as root) before the drop and is complete. The socket's
# directory belongs to nobody, so the dropped process can remove it.
chown 65534:65534 "$dir"
"$SPURUN" -r "$paced" --realtime -o "$TMPC/u.json" --no-progress --control "$dir/u.sock" \
    -u nobody --pidfile "$TMPC/u.pid" 2>"$TMPC/u.err" &
pid=$!
i=0
while [ ! -S "$dir/u.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.3
uid=$(awk '/^Uid:/ {print $2 "/" $3}' /proc/$pid/status)
pidf=$(cat "$TMPC/u.pid" 2>/dev/null)
"$SPUCTL" --control "$dir/u.sock" shutdown > /dev/null
wait $pid
urc=$?
if [ "$uid" = "65534/65534" ] && [ "$pidf" = "$pid" ] && [ $urc -eq 0 ] && [ ! -e "$dir/u.sock" ] &&
   [ "$(tail -n 1 "$TMPC/u.json" | grep -c '"event_type":"stats"')" = 1 ]; then
    echo "ok control-perm -u nobody: uid $uid after opening, pid file $pidf, clean stop, socket removed"
else
    echo "FAIL control-perm -u nobody: uid=$uid pidfile=$pidf rc=$urc"; cat "$TMPC/u.err"
fi
rm -rf "$dir"
