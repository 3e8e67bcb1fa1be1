#!/usr/bin/env bash
# Scenario c: behaviour against an API rate limit.
# Sandbox `--rate-limit 200` (20 ms latency). Phase 1, runner `--rate 200`: the achieved rate is the
# least-squares slope of the sandbox's accepted starts (responses 200) against time, sampled from
# /_sandbox/stats every 0.5 s, over the samples between 10 % and 90 % of ROWS (the steady sending phase: no
# start-up burst, no tail); it must be within 5 % of 200/s, and 429 answers ≤ 1 % of requests. Phase 2, a real
# limit the runner must find: runner `--rate 400`: the achieved rate ≥ 92 % of 200/s, 429 answers ≤ 3 % of the
# requests, every row `sent`.
# Usage: bench/c-rate-limit.sh [ROWS]   (default 6,000: 30 s per phase at 200/s)
source "$(dirname "$0")/lib.sh"
ROWS=${1:-${C_ROWS:-6000}}
LIMIT=200
require_binary
csv=$(csv_file "$ROWS")
sandbox_start --latency-ms 20 --rate-limit "$LIMIT"

# phase RATE: one run at --rate RATE; sets SLOPE, SHARE429 and NOT_SENT.
phase() {
    SLOPE=nan SHARE429=nan NOT_SENT=nan
    log "c: $ROWS numbers, runner --rate $1, sandbox --rate-limit $LIMIT"
    polled_run "c$1" "$ROWS" $((120 + 3 * ROWS / LIMIT)) "$csv" 0.5 --rate "$1" --concurrency 64 || return 1
    SLOPE=$(jget "$("${PYLIB[@]}" slope "$SAMPLES" "$ROWS")" rate)
    SLOPE=${SLOPE:-nan}
    SHARE429=$(share429)
    NOT_SENT=$(jget "$REPORT" not_sent)
}

failed=0
phase 200 || failed=1
emit c "achieved rate @ --rate 200" "$SLOPE" "/s" within5% "$LIMIT"
emit c "429 share @ --rate 200" "$SHARE429" "%" "<=" 1
emit c "rows not sent @ --rate 200" "$NOT_SENT" "-" "==" 0
phase 400 || failed=1
emit c "achieved rate @ --rate 400 (limit 200)" "$SLOPE" "/s" ">=" 184
emit c "429 share @ --rate 400 (limit 200)" "$SHARE429" "%" "<=" 3
emit c "rows not sent @ --rate 400" "$NOT_SENT" "-" "==" 0
exit "$failed"
