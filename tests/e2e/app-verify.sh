#!/bin/sh
# The application layer on the suricata-verify corpus (make verify's run,
# tests/verify/run.sh): grammars/*.spg compile, spurun parses every capture
# without crashing, the http checks eve-check passes do not drop below
# tests/verify/expected-app-pass-count, the smtp and fileinfo checks below
# tests/verify/expected-smtp-pass-count, and the HTTP transactions and
# SMTP commands and mails that agree with Wireshark's reading do not drop
# below tests/verify/expected-tshark-agree-count and
# expected-tshark-smtp-agree-count.
. "$E2E/lib.inc"
RESULTS_DIR="$TMPC/results" CORPUS="$CORPUS" TOOLS="$TOOLS" PY="$PY" \
    sh "$ROOT/tests/verify/run.sh" "$BUILD" "$TMPC/results"
