#!/usr/bin/python3
"""Compare the SMTP commands and mails Wireshark reads from each capture
(tshark-smtp.json beside input.pcap) with spu's EVE smtp records.

Usage: tshark-smtp-compare.py CORPUS_DIR RESULTS_DIR

EVE logs one smtp record per transaction (the envelope: helo, mail_from,
rcpt_to; and, when a mail was sent, its email object), not one per
command. So each tshark entry is checked against the smtp records of its
TCP connection (src, dst):
  - HELO/EHLO NAME: a record has helo NAME;
  - MAIL FROM:PATH: a record has mail_from PATH (as written: with its
    angle brackets when it had them, as Suricata logs it);
  - RCPT TO:PATH: a record lists PATH in rcpt_to;
  - DATA, BDAT: a record carries a mail (an email object);
  - a mail (tshark's "imf"): the record with the same subject, else the
    next record with a mail not taken yet; it agrees when subject, From
    and To are equal (To compared as the list of addresses as written).
Other commands (QUIT, RSET, AUTH, NOOP, STARTTLS, lines tshark takes for
commands) have no place in an EVE smtp record: they are counted apart,
"not in EVE", and neither agree nor differ. Verbs are compared
case-insensitively (tshark keeps the case as sent).

Tests whose command line carries a BPF filter are left out (see
tshark-compare.py). Prints one line per disagreement or missing entry,
then "N agree, M differ, K missing of T tshark entries (F tests; U not in
EVE)".
"""
import re
import sys

from tsharkcmp import conn_key, tests


def path_of(param, word):
    # "FROM:<a@b> SIZE=525" -> "<a@b>"; the path as written
    m = re.match(r"\s*%s\s*:\s*(<[^>]*>?|[^\s<>]*)" % word, param or "", re.I)
    return m.group(1) if m else None


def addresses(text):
    # "A <a@b>, c@d" -> the addresses as written, in order
    if text is None:
        return None
    return [x.strip() for x in text.split(",") if x.strip()]


def check_command(r, recs):
    verb = (r.get("command") or "").upper()
    param = r.get("parameter")
    smtp = [e.get("smtp", {}) for e in recs]
    if verb in ("HELO", "EHLO"):
        want = (param or "").strip()
        return "helo", want, any(s.get("helo") == want for s in smtp)
    if verb == "MAIL":
        want = path_of(param, "FROM")
        return "mail_from", want, any(s.get("mail_from") == want for s in smtp)
    if verb == "RCPT":
        want = path_of(param, "TO")
        return "rcpt_to", want, any(want in (s.get("rcpt_to") or []) for s in smtp)
    if verb in ("DATA", "BDAT"):
        return "mail", verb, any("email" in e for e in recs)
    return None


def main():
    corpus, results = sys.argv[1], sys.argv[2]
    agree = differ = missing = total = ntests = unlogged = 0
    for rel, entries, ours in tests(corpus, results, "tshark-smtp.json", "smtp"):
        ntests += 1
        taken = set()
        for r in entries:
            key = conn_key(r)
            recs = ours.get(key, [])
            where = "%s frame %s" % (rel, r.get("frame"))
            if r.get("type") == "command":
                res = check_command(r, recs)
                if res is None:
                    unlogged += 1
                    continue
                total += 1
                what, want, ok = res
                if ok:
                    agree += 1
                elif not recs:
                    missing += 1
                    print("MISSING %s: %s %r (no smtp record)" % (where, r.get("command"), want))
                else:
                    differ += 1
                    print("DIFF %s: %s %r not in any smtp record's %s"
                          % (where, r.get("command"), want, what))
                continue
            total += 1
            mails = [i for i, e in enumerate(recs) if "email" in e and (key, i) not in taken]
            pick = next((i for i in mails
                         if recs[i]["email"].get("subject") == r.get("subject")), None)
            if pick is None and mails:
                pick = mails[0]
            if pick is None:
                missing += 1
                print("MISSING %s: mail %r" % (where, r.get("subject")))
                continue
            taken.add((key, pick))
            em = recs[pick]["email"]
            bad = []
            if r.get("subject") != em.get("subject"):
                bad.append(("subject", r.get("subject"), em.get("subject")))
            if r.get("from") != em.get("from"):
                bad.append(("from", r.get("from"), em.get("from")))
            if addresses(r.get("to")) != (em.get("to") if r.get("to") is not None else None):
                bad.append(("to", r.get("to"), em.get("to")))
            if bad:
                differ += 1
                print("DIFF %s: %s" % (where, "; ".join("%s tshark=%r spu=%r" % b for b in bad)))
            else:
                agree += 1
    print("%d agree, %d differ, %d missing of %d tshark entries (%d tests; %d not in EVE)"
          % (agree, differ, missing, total, ntests, unlogged))


main()
