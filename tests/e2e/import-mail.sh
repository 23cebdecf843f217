#!/bin/sh
# Imported Suricata mail rules on real captures of the corpus
# (suricata-verify inputs, read from there): the email.* headers (the
# mail's own, not a part's), smtp.helo / mail_from / rcpt_to (each
# recipient, one alert per mail), email.received (each header),
# email.url (the http URLs without their scheme), file.data on an smtp
# rule (each attachment, not the text; one alert per mail),
# app-layer-protocol. Each capture
# must give exactly the alerts listed, so rules that must stay silent are
# checked too.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
V="$CORPUS/suricata-verify"
T="$TMPC"
mkdir -p "$T"
[ -f "$ROOT/grammars/smtp.spg" ] && [ -f "$ROOT/grammars/email.spg" ] ||
    { echo "skip import-mail: no grammars/smtp.spg or email.spg"; exit 0; }
cat > "$T/t.rules" <<'RULES'
alert smtp any any -> any any (msg:"from"; email.from; content:"toto <toto@gmail.com>"; sid:1;)
alert smtp any any -> any any (msg:"subject"; email.subject; content:"This is a test email"; startswith; endswith; bsize:20; sid:2;)
alert smtp any any -> any any (msg:"a part's subject"; email.subject; content:"subject2"; sid:3;)
alert smtp any any -> any any (msg:"to"; email.to; content:"172.16.92.2@linuxbox"; bsize:20; sid:4;)
alert smtp any any -> any any (msg:"date"; email.date; content:"Fri, 21 Apr 2023 05:10:36 +0000"; startswith; endswith; sid:5;)
alert smtp $EXTERNAL_NET any -> any 25 (msg:"envelope"; flow:established,to_server; smtp.helo; content:"linuxbox"; smtp.mail_from; content:"<toto@gmail.com>"; startswith; endswith; smtp.rcpt_to; content:"<172.16.92.2@linuxbox>"; sid:6;)
alert smtp any any -> any any (msg:"received"; email.received; content:"from smtp.relay1.com"; startswith; sid:7;)
alert smtp any any -> any any (msg:"received other"; email.received; content:"relay9"; sid:8;)
alert smtp any any -> any any (msg:"cc"; email.cc; content:"cc1 <cc1@example.com>"; sid:9;)
alert smtp any any -> any any (msg:"rcpt"; smtp.rcpt_to; content:"<cc2@example.com>"; startswith; endswith; sid:10;)
alert smtp any any -> any any (msg:"url"; email.url; content:"google.com"; startswith; endswith; bsize:10; sid:11;)
alert smtp any any -> any any (msg:"https url"; email.url; content:"facebook.com"; sid:12;)
alert smtp any any -> any any (msg:"attachment"; file_data; content:"if was"; sid:13;)
alert smtp any any -> any any (msg:"text is no file"; file.data; content:"This is a test email"; sid:14;)
alert tcp any any -> any any (msg:"smtp by protocol"; flow:to_server; app-layer-protocol:smtp; content:"HELO linuxbox"; sid:15;)
alert smtp any any -> any any (msg:"x-mailer"; email.x_mailer; content:"Outlook, Build 11.0.5510"; endswith; sid:16;)
alert smtp any any -> any any (msg:"message-id"; email.message_id; content:"<alpine.DEB.2.00.1311261630120.9535@sd-26634.dedibox.fr>"; bsize:56; sid:17;)
alert smtp any any -> any any (msg:"every attachment"; file.data; bsize:>0; sid:18;)
RULES
if ! "$SPUC" -I "$ROOT/grammars" -o "$T/t.spb" "$T/t.rules" 2>"$T/err"; then
    echo "FAIL import-mail: the mail rules do not import and compile"; cat "$T/err"; exit 0
fi
grep -q '^rules: 18, translated: 18,' "$T/err" &&
    echo "ok import-mail: the 18 mail rules translate and compile" ||
    { echo "FAIL import-mail: not every rule translates"; cat "$T/err"; }
# check CAPTURE WANT WHAT: the sorted signature ids of the alerts (checksums
# not verified, as the suricata-verify tests of these captures say: -k none)
check() {
    check_alerts "import-mail $1" "$T/t.spb" "$V/$1/input.pcap" "$2" "$3" -k none
}
check mime/mime-dec-parse-full-msg-test02 "1 2 4 5 6 15" "From, Subject, To, Date, the envelope, app-layer-protocol; a part's Subject and the text part stay silent"
# an alert on a grammar event is numbered by the packet that completed
# it (pcap_cnt, as Suricata's): the mail is packet 13 of that capture
"$PY" -c '
import json, sys
cnt = sorted({json.loads(l).get("pcap_cnt") for l in open(sys.argv[1])
              if json.loads(l).get("event_type") == "alert" and json.loads(l)["alert"]["signature_id"] == 2})
print("ok import-mail: the mail alert has pcap_cnt 13" if cnt == [13] else
      "FAIL import-mail: the mail alert has pcap_cnt %r, want [13]" % cnt)
' "$T/eve.json"
check detect-email-received "7 9 10" "one of three Received headers, Cc, one of five recipients (one alert)"
check smtp-extract-url-schemes "11" "an http URL without its scheme; the https one is not extracted"
check smtp-file-data-01 "13 18" "the text of an attachment"
check smtp-bug-5981 "16 18" "X-Mailer, an attachment"
check mime/mime-quoted-printable "16 18" "X-Mailer; two attachments of one mail: one alert, as Suricata's once per transaction"
check bug-1045 "17" "Message-ID"
