#!/usr/bin/env python3
"""Captures for the shipped rules (rules/web.spr, rules/mail.spr).

    rules-gen.py OUTDIR
    rules-gen.py --logins N [--answer ok|401|redirect] OUT.pcap

The first form writes OUTDIR/NAME.pcap for every case below: one TCP connection each
(handshake, data, answer, FIN teardown, valid checksums), built with the
writer of examples/make-demo-pcap.py. CASES maps a case to the sids it must
raise; the benign cases must raise none. The second writes N connections
from one client (ports 41000...), each one login (POST /login with the
cookie SID=...) answered as --answer says (401 by default, a failure;
"redirect": 302 back to /login?failed=1, a failure; "ok": 302 to /account,
a success) followed by a page request, for the meta-session rule (sid
2101008, which counts failures).
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "demo", os.path.join(HERE, "..", "..", "examples", "make-demo-pcap.py"))
demo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo)

UA = b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
OK = demo.http_response(200, "OK", "text/html", b"<html>ok</html>\n")
NOTFOUND = demo.http_response(404, "Not Found", "text/html", b"<html>no</html>\n")
BAD = demo.http_response(405, "Method Not Allowed", "text/html", b"<html>no</html>\n")
UNAUTH = demo.http_response(401, "Unauthorized", "text/html", b"<html>no</html>\n")
FORBIDDEN = demo.http_response(403, "Forbidden", "text/html", b"<html>no</html>\n")
AGAIN = demo.http_response(302, "Found", "text/html", b"",
                           extra=b"Location: /login?failed=1\r\n")
WELCOME = demo.http_response(302, "Found", "text/html", b"", extra=b"Location: /account\r\n")


def get(target, ua=UA, method=b"GET", body=b"", extra=b""):
    req = (method + b" " + target + b" HTTP/1.1\r\nHost: www.example.com\r\n"
           b"User-Agent: " + ua + b"\r\nAccept: */*\r\n" + extra)
    if body:
        req += (b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: %d\r\n" % len(body))
    return req + b"\r\n" + body


# case -> (requests, expected sids); a request is bytes (answered by
# web_case) or (request, response)
WEB = {
    "cgi-shell": ([get(b"/cgi-bin/bash?-c+id")], {2101001}),
    "cgi-exe": ([get(b"/scripts/../cgi-bin/./cmd.exe?/c+dir")], {2101009}),
    "cgi-script": ([get(b"/cgi-bin/test.sh")], {2101009}),
    "cgi-perl": ([get(b"/x/../cgi-bin/perl?-e+print+1")], {2101001}),
    "traversal": ([get(b"/static/../../../../etc/passwd")], {2101002}),
    "traversal-backslash": ([get(b"/img/..\\..\\..\\windows\\win.ini")], {2101002}),
    "encoded-traversal": ([get(b"/download?file=%2e%2e%2f%2e%2e%2fetc%2fshadow")], {2101003}),
    "double-encoded": ([get(b"/view/%252e%252e%252fboot.ini")], {2101003}),
    "overlong": ([get(b"/page/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/hosts")], {2101003}),
    "sqli-union": ([get(b"/item.php?id=1+UNION+ALL+SELECT+username,password+FROM+users")],
                   {2101004}),
    "sqli-form": ([get(b"/login", method=b"POST",
                       body=b"user=admin%27+OR+%271%27%3D%271&pass=x")], {2101004}),
    "sqli-sleep": ([get(b"/search?q=shoes&sort=price,sleep(5)")], {2101004}),
    "xss-script": ([get(b"/search?q=%3Cscript%3Ealert(document.domain)%3C/script%3E")],
                   {2101005}),
    "xss-handler": ([get(b"/comment", method=b"POST",
                         body=b"text=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E")], {2101005}),
    "scanner-sqlmap": ([get(b"/index.php?id=1", ua=b"sqlmap/1.7.2#stable (https://sqlmap.org)")],
                       {2101006}),
    "scanner-nikto": ([get(b"/", ua=b"Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000001)")],
                      {2101006}),
    "method-trace": ([get(b"/", method=b"TRACE")], {2101007}),
    "method-propfind": ([get(b"/dav/", method=b"PROPFIND", extra=b"Depth: 1\r\n")], {2101007}),
    "login-guess": ([(get(b"/account/login", method=b"POST",
                          extra=b"Cookie: SID=77aa01; lang=en\r\n",
                          body=b"user=root&pass=%s" % pw), ans) for pw, ans in
                     ((b"123456", UNAUTH), (b"password", FORBIDDEN), (b"admin", UNAUTH),
                      (b"qwerty", AGAIN), (b"letmein", UNAUTH))], {2101008}),
    # five logins with one cookie that succeed (a shared kiosk, a script
    # logging in again): not failures, nothing raised
    "login-ok": ([(get(b"/account/login", method=b"POST",
                       extra=b"Cookie: SID=77aa02; lang=en\r\n",
                       body=b"user=bob&pass=right"), WELCOME) for _ in range(5)], set()),
    # five failed logins, each with its own cookie: no session reaches five
    "login-fail-cookies": ([(get(b"/login", method=b"POST",
                                 extra=b"Cookie: SID=5a%02d\r\n" % i,
                                 body=b"user=root&pass=x%d" % i), UNAUTH) for i in range(5)],
                           set()),
    "benign-web": ([get(b"/index.html"),
                    get(b"/cgi-bin/search.cgi?q=running+shoes&page=2"),
                    get(b"/docs/../about/./team.html"),
                    get(b"/files/report%20final.pdf?v=3"),
                    get(b"/search?q=o%27reilly+books&lang=en"),
                    get(b"/blog?tag=c%2B%2B&sort=date"),
                    get(b"/api/items/7", method=b"DELETE"),
                    get(b"/login", method=b"POST", body=b"user=alice&pass=s3cr%3Dt%21"),
                    get(b"/", method=b"HEAD", ua=b"curl/8.5.0")], set()),
}


def mail(frm, to, subject, body, return_path=None, extra=b""):
    h = b""
    if return_path is not None:
        h += b"Return-Path: <" + return_path + b">\r\n"
    h += (b"From: " + frm + b"\r\nTo: " + to + b"\r\nSubject: " + subject +
          b"\r\nDate: Sat, 22 Nov 2025 10:00:00 +0000\r\nMessage-ID: <1@x>\r\n"
          b"MIME-Version: 1.0\r\n" + extra)
    return h + body


def attachment(name, ctype, data):
    import base64
    b = b"=_b0undary_"
    return (b"Content-Type: multipart/mixed; boundary=\"" + b + b"\"\r\n\r\n"
            b"--" + b + b"\r\nContent-Type: text/plain\r\n\r\nPlease see the attached file.\r\n"
            b"--" + b + b"\r\nContent-Type: " + ctype + b"; name=\"" + name + b"\"\r\n"
            b"Content-Disposition: attachment; filename=\"" + name + b"\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" +
            base64.encodebytes(data).replace(b"\n", b"\r\n") +
            b"--" + b + b"--\r\n")


PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
TEXT = b"Content-Type: text/plain\r\n\r\nHello,\r\nthe meeting moved to 3pm.\r\n"
RCPTS = [b"user%d@corp.example" % i for i in range(25)]

# case -> (MAIL FROM, recipients, mail or None (RSET instead of DATA), sids)
MAIL = {
    "attach-exe": (b"billing@invoices.example", [b"alice@corp.example"],
                   mail(b"Billing <billing@invoices.example>", b"alice@corp.example",
                        b"Invoice", attachment(b"invoice.pdf.exe", b"application/pdf", PE)),
                   {2102001}),
    "attach-mz": (b"hr@corp.example", [b"bob@corp.example"],
                  mail(b"HR <hr@corp.example>", b"bob@corp.example", b"Payslip",
                       attachment(b"payslip.dat", b"application/octet-stream", PE)), {2102001}),
    "from-mismatch": (b"bounce@spammer.example", [b"alice@corp.example"],
                      mail(b"PayPal <service@paypal.com>", b"alice@corp.example",
                           b"Your account", TEXT), {2102002}),
    "return-path-mismatch": (b"news@shop.example", [b"alice@corp.example"],
                             mail(b"Bank <alerts@bank.example>", b"alice@corp.example",
                                  b"Alert", TEXT, return_path=b"x@bulk-mailer.example"),
                             {2102002}),
    "many-rcpt": (b"news@shop.example", RCPTS,
                  mail(b"Shop <news@shop.example>", b"undisclosed-recipients:;",
                       b"Sale", TEXT), {2102003}),
    "many-rcpt-rset": (b"news@shop.example", RCPTS, None, {2102004}),
    # three rules of one mail add 6 + 4 + 3 = 13, over the spam threshold 10
    "spam-total": (b"bounce@spammer.example", RCPTS,
                   mail(b"PayPal <service@paypal.com>", b"undisclosed-recipients:;",
                        b"Invoice", attachment(b"invoice.pdf.exe", b"application/pdf", PE)),
                   {2102001, 2102002, 2102003, 2102005}),
    "benign-mail": (b"alice@corp.example", [b"bob@corp.example", b"carol@corp.example"],
                    mail(b"Alice <alice@corp.example>", b"bob@corp.example",
                         b"Report", attachment(b"report.pdf", b"application/pdf", PDF)),
                    set()),
    "benign-subdomain": (b"bounces+123@mail.shop.example", [b"alice@corp.example"],
                         mail(b"Shop <news@shop.example>", b"alice@corp.example",
                              b"Receipt", TEXT), set()),
}


def web_case(cap, port, reqs):
    t = demo.Tcp(cap, "10.2.0.5", port, "198.51.100.80", 80)
    for r in reqs:
        r, ans = r if isinstance(r, tuple) else (r, None)
        t.send(0, r)
        first = r.split(b" ", 1)[0]
        t.send(1, ans if ans is not None else BAD if first in (b"TRACE", b"PROPFIND") else
               NOTFOUND if b".." in r.split(b"\r\n", 1)[0] else OK)
    t.close()


def mail_case(cap, port, frm, rcpts, body):
    t = demo.Tcp(cap, "10.2.0.25", port, "198.51.100.25", 25)
    t.send(1, b"220 mx.corp.example ESMTP\r\n")
    t.send(0, b"EHLO client.example\r\n")
    t.send(1, b"250-mx.corp.example\r\n250 8BITMIME\r\n")
    t.send(0, b"MAIL FROM:<" + frm + b">\r\n")
    t.send(1, b"250 2.1.0 Ok\r\n")
    for r in rcpts:
        t.send(0, b"RCPT TO:<" + r + b">\r\n")
        t.send(1, b"250 2.1.5 Ok\r\n")
    if body is None:
        t.send(0, b"RSET\r\n")
        t.send(1, b"250 2.0.0 Ok\r\n")
    else:
        t.send(0, b"DATA\r\n")
        t.send(1, b"354 End data with <CR><LF>.<CR><LF>\r\n")
        t.send(0, body + b"\r\n.\r\n")
        t.send(1, b"250 2.0.0 Ok: queued\r\n")
    t.send(0, b"QUIT\r\n")
    t.send(1, b"221 2.0.0 Bye\r\n")
    t.close()


def logins(n, path, answer="401"):
    ans = {"401": UNAUTH, "redirect": AGAIN, "ok": WELCOME}[answer]
    cap = demo.Pcap()
    cookie = b"Cookie: SID=8c1f3e1d9a7b42e6; theme=dark\r\n"
    for i in range(n):
        t = demo.Tcp(cap, "10.2.0.66", 41000 + i, "198.51.100.80", 80)
        t.send(0, get(b"/login", method=b"POST", extra=cookie,
                      body=b"user=admin&pass=guess%d" % i))
        t.send(1, ans)
        t.send(0, get(b"/favicon.ico", extra=cookie))
        t.send(1, NOTFOUND)
        t.close()
    with open(path, "wb") as f:
        f.write(cap.out)


def main(out):
    os.makedirs(out, exist_ok=True)
    port = 40000
    for name, (reqs, _) in WEB.items():
        cap = demo.Pcap()
        web_case(cap, port, reqs)
        port += 1
        with open(os.path.join(out, name + ".pcap"), "wb") as f:
            f.write(cap.out)
    for name, (frm, rcpts, body, _) in MAIL.items():
        cap = demo.Pcap()
        mail_case(cap, port, frm, rcpts, body)
        port += 1
        with open(os.path.join(out, name + ".pcap"), "wb") as f:
            f.write(cap.out)
    with open(os.path.join(out, "expect.txt"), "w") as f:
        for name, v in list(WEB.items()) + list(MAIL.items()):
            f.write("%s %s\n" % (name, ",".join(str(s) for s in sorted(v[-1])) or "-"))


if __name__ == "__main__":
    if sys.argv[1] == "--logins":
        if sys.argv[3] == "--answer":
            logins(int(sys.argv[2]), sys.argv[5], sys.argv[4])
        else:
            logins(int(sys.argv[2]), sys.argv[3])
    else:
        main(sys.argv[1])
