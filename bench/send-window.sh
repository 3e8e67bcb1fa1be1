#!/usr/bin/env bash
# The send window (docs/shared-store.md, "What remains, and its size"): the time between a request's last
# send-deadline check and the system call that writes it, for a POST (a start or a V2 check: the read callback
# before the body) and a GET (a V1 check or status question: the prerequest callback). bench/send-window.c drives
# the system's libcurl the way verifyd's transport does, against the sandbox on 127.0.0.1, one request at a time on
# a kept-alive connection.
# Usage: bench/send-window.sh [ROUNDS=20000]
source "$(dirname "$0")/lib.sh"
ROUNDS=${1:-20000}
require_binary
gcc -O2 -o "$WORK/send-window" "$BENCH_DIR/send-window.c" -lcurl -ldl || die "could not compile bench/send-window.c"
sandbox_start
"$WORK/send-window" "$BASE/protected/json/phones/verification/start" \
    "$BASE/protected/json/phones/verification/status?phone_number=2025550123&country_code=1" "$ROUNDS" \
    "X-Authy-API-Key: $AUTHY_API_KEY"
