#!/usr/bin/env bash
# Scenario h: a limit that lifts.
# Sandbox `--latency-ms 20 --rate-limit 200 --rate-limit-for 30s` (200 requests a second for 30 s after the first
# request, then none); runner `--rate 400 --concurrency 64`, ROWS numbers (default 14,000). The sandbox's counters
# are sampled every 0.25 s. Figures: the rate achieved under the limit (the slope of the accepted starts from 5 s
# to 28 s, ≥ 92 % of 200/s), and the time from the lift until the accepted starts of one second reach 95 % of
# --rate, 380/s (≤ 10 s).
# Usage: bench/h-lifting.sh [ROWS]
source "$(dirname "$0")/lib.sh"
ROWS=${1:-${H_ROWS:-14000}}
require_binary
csv=$(csv_file "$ROWS")
sandbox_start --latency-ms 20 --rate-limit 200 --rate-limit-for 30s
log "h: $ROWS numbers, runner --rate 400, sandbox --rate-limit 200 for 30 s"
if ! polled_run h "$ROWS" 300 "$csv" 0.25 --rate 400 --concurrency 64; then
    emit h "achieved rate under the limit" nan "/s" ">=" 184
    emit h "back to 95 % of --rate after the lift" nan "s" "<=" 10
    exit 1
fi
recovery=$("${PYLIB[@]}" recovery "$SAMPLES" 30 380)
log "h: recovery $recovery"
emit h "achieved rate under the limit" "$(jget "$recovery" limited_rate)" "/s" ">=" 184
emit h "back to 95 % of --rate after the lift" "$(jget "$recovery" seconds)" "s" "<=" 10
emit h "429 share (information)" "$(share429)" "%" info "-"
emit h "rows not sent" "$(jget "$REPORT" not_sent)" "-" "==" 0
