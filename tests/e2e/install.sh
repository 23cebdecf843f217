#!/bin/sh
# make install: PREFIX=DIR gives a tree that runs from DIR (the installed
# spuc compiles the installed rules, finding imports in DIR/share/spu/grammars;
# the installed spurun runs them; man finds and renders every page cleanly;
# --version everywhere); DESTDIR=... PREFIX=/usr stages the same layout for
# packaging; make uninstall removes what install put there.
. "$E2E/lib.inc"
P="$TMPC/p"
S="$TMPC/stage"
make -s -C "$ROOT" install PREFIX="$P" BUILD="$BUILD" SAN="$SAN" >"$TMPC/make.out" 2>&1 \
    || { echo "FAIL install: make install PREFIX"; tail -5 "$TMPC/make.out"; }
make -s -C "$ROOT" install DESTDIR="$S" PREFIX=/usr BUILD="$BUILD" SAN="$SAN" >"$TMPC/make2.out" 2>&1 \
    || { echo "FAIL install: make install DESTDIR"; tail -5 "$TMPC/make2.out"; }
"$PY" "$E2E/ops-gen.py" slow "$TMPC/slow.pcap"
mkdir -p "$TMPC/work"
cd "$TMPC/work" || exit 1
v=$("$P/bin/spuc" --version; "$P/bin/spurun" --version; "$P/bin/spuctl" --version)
[ "$v" = "$(printf 'spuc 0.1.0\nspurun 0.1.0\nspuctl 0.1.0')" ] \
    && echo "ok install: --version of the installed spuc, spurun and spuctl" \
    || echo "FAIL install: versions: $v"
"$P/bin/spuc" -n rt -o rt.spb "$P/share/spu/rules/runtime.spr" \
  && "$P/bin/spurun" -b rt.spb -r "$TMPC/slow.pcap" -o eve.json --no-progress \
       --classification "$P/share/spu/rules/classification.config" 2>/dev/null
n=$(grep -c '"event_type":"alert"' eve.json 2>/dev/null)
grep -q '"category":"Reconnaissance attempt (scan or probe)"' eve.json
cat_ok=$?
[ "$n" = 34 ] && [ $cat_ok = 0 ] \
    && echo "ok install: the installed spuc compiles the installed rules, the installed spurun runs them (34 alerts, categories from the installed classification.config)" \
    || echo "FAIL install: run from PREFIX: $n alerts, categories $cat_ok"
# imports: `import http;` is found in PREFIX/share/spu/grammars by the
# installed spuc only (this directory has no grammars/), and the installed
# spurun runs the bundle on a corpus capture
cat > web.spr <<'SPR'
import http;
rule sid 9200001 rev 1 "TEST GET request" on http.request {
    if (method == "GET")
        Alert();
}
SPR
"$P/bin/spuc" -o web.spb web.spr 2>"$TMPC/imp.err"; rc1=$?
"$ROOT/$BUILD/spuc" -o web2.spb web.spr 2>"$TMPC/imp2.err"; rc2=$?
"$P/bin/spurun" -b web.spb -r "$CORPUS/suricata-verify/http-range-multiflows/input.pcap" -k none \
    -o web.json --no-progress 2>/dev/null
na=$(grep -c '"event_type":"alert"' web.json 2>/dev/null)
nh=$(grep -c '"event_type":"http"' web.json 2>/dev/null)
[ $rc1 = 0 ] && [ $rc2 != 0 ] && grep -q "cannot find grammar 'http'" "$TMPC/imp2.err" \
    && [ "$na" = 41 ] && [ "$nh" = 41 ] \
    && echo "ok install: the installed spuc finds 'import http;' in PREFIX/share/spu/grammars (the build tree's does not); the installed spurun alerts on the 41 GET requests" \
    || echo "FAIL install: imports rc=$rc1/$rc2, $na alerts, $nh http records: $(cat "$TMPC/imp.err")"
# man pages: found through PREFIX/share/man, rendered without a warning
bad=""
for page in spuc.1 spurun.1 spuctl.1 spu-grammar.5 spu-rules.5; do
    name=${page%.*}; sec=${page##*.}
    w=$(MANPATH="$P/share/man" man -w "$sec" "$name" 2>/dev/null)
    [ "$w" = "$P/share/man/man$sec/$page" ] || bad="$bad $page(not found: $w)"
    out=$(groff -man -ww -z "$w" 2>&1)
    [ -z "$out" ] || bad="$bad $page($out)"
    [ "$(MANWIDTH=80 man -l "$w" 2>/dev/null | grep -c .)" -gt 20 ] || bad="$bad $page(empty)"
done
[ -z "$bad" ] && echo "ok install: man finds and renders spuc(1) spurun(1) spuctl(1) spu-grammar(5) spu-rules(5) without warnings" \
    || echo "FAIL install: man:$bad"
# DESTDIR staging: the same layout under DESTDIR/usr, and it runs
a=$(cd "$P" && find . -type f | sort)
b=$(cd "$S/usr" && find . -type f | sort)
other=$(cd "$S" && find . -type f ! -path './usr/*' | wc -l)
[ -n "$a" ] && [ "$a" = "$b" ] && [ "$other" = 0 ] && [ "$("$S/usr/bin/spurun" --version)" = "spurun 0.1.0" ] \
    && echo "ok install: DESTDIR=... PREFIX=/usr stages the same $(echo "$a" | wc -l) files under DESTDIR/usr, nothing else" \
    || { echo "FAIL install: DESTDIR layout differs"; echo "$a" > "$TMPC/a.lst"; echo "$b" > "$TMPC/b.lst";
         diff "$TMPC/a.lst" "$TMPC/b.lst" | head -5; }
for x in spurun.service logrotate; do
    [ -f "$P/share/doc/spu/examples/$x" ] || echo "FAIL install: examples/$x not installed"
done
command -v systemd-analyze >/dev/null && {
    systemd-analyze verify "$P/share/doc/spu/examples/spurun.service" 2>&1 | grep -v "Command /usr/local/bin/spurun is not executable\|not executable\|No such file" | grep -qi "error\|unknown" \
        && echo "FAIL install: spurun.service: $(systemd-analyze verify "$P/share/doc/spu/examples/spurun.service" 2>&1 | head -3)"; }
command -v logrotate >/dev/null && {
    logrotate -d "$P/share/doc/spu/examples/logrotate" >"$TMPC/lr.out" 2>&1 \
        && echo "ok install: logrotate -d accepts the snippet" || echo "FAIL install: logrotate: $(tail -3 "$TMPC/lr.out")"; }
make -s -C "$ROOT" uninstall PREFIX="$P" BUILD="$BUILD" SAN="$SAN" >/dev/null 2>&1
left=$(find "$P" -type f | wc -l)
[ "$left" = 0 ] && echo "ok install: make uninstall removes every installed file" \
    || echo "FAIL install: $left files left after uninstall"
