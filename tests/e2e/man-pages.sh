#!/bin/sh
# The manuals name what the binaries offer: every command of the control
# socket (runtime/control.def, as `spuctl --json commands` lists them) in
# spuctl's --help, in man/spuctl.1 and in docs/control.md; every option of
# `spurun --help` in man/spurun.1. Pages are rendered (man -l, plain text)
# so that a name counts only where a reader sees it.
. "$E2E/lib.inc"
SPUCTL="$(dirname "$SPURUN")/spuctl"
render() {
    LC_ALL=C MANWIDTH=200 man -l "$1" 2>/dev/null | sed 's/.\x08//g'
}
render "$ROOT/man/spuctl.1" > "$TMPC/spuctl.txt"
render "$ROOT/man/spurun.1" > "$TMPC/spurun.txt"
"$SPUCTL" --help > "$TMPC/spuctl-help.txt"; rc1=$?
"$SPUCTL" --json commands > "$TMPC/commands.json"; rc2=$?
"$SPURUN" --help > "$TMPC/spurun-help.txt"; rc3=$?
"$PY" - "$TMPC" "$ROOT/docs/control.md" "$rc1$rc2$rc3" <<'EOF'
import json, re, sys
d, control_md, rcs = sys.argv[1], sys.argv[2], sys.argv[3]
def text(name):
    # one line, and a word that the renderer hyphenated at a line's end
    # also whole again
    t = " ".join(open(f"{d}/{name}").read().split())
    return t + " \n " + re.sub(r"(\w)- (\w)", r"\1\2", t)
def says(t, word):
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", t) is not None
cmds = [json.loads(l)["command"] for l in open(f"{d}/commands.json") if l.strip()]
man_ctl, help_ctl, md = text("spuctl.txt"), text("spuctl-help.txt"), open(control_md).read()
missing = []
for c in cmds:
    # spuctl spells the request pcap-status as "pcap status" (its argv form)
    forms = [c, c.replace("-", " ")]
    if not any(says(man_ctl, f) for f in forms):
        missing.append(f"spuctl.1:{c}")
    if not any(says(help_ctl, f) for f in forms):
        missing.append(f"spuctl --help:{c}")
    if f"`{c}`" not in md:
        missing.append(f"docs/control.md:{c}")
help_run, man_run = text("spurun-help.txt"), text("spurun.txt")
opts = sorted(set(re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", help_run)))
missing += [f"spurun.1:{o}" for o in opts if not says(man_run, o)]
ok = rcs == "000" and len(cmds) >= 16 and len(opts) >= 60 and not missing
print(("ok man-pages: the %d control commands are in spuctl --help, spuctl.1 and "
       "docs/control.md; the %d options of spurun --help are in spurun.1" % (len(cmds), len(opts)))
      if ok else
      "FAIL man-pages: exit codes %s, %d commands, %d options, missing: %s"
      % (rcs, len(cmds), len(opts), " ".join(missing)))
EOF
