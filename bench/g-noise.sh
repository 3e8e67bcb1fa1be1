#!/usr/bin/env bash
# Scenario g: random 429s (noise) at a rate far below the API's capacity.
# Sandbox `--latency-ms 20`, without faults, then with `--fault-429 0.02`, then `--fault-429 0.05` (a random
# share of the requests answered 429 with Retry-After: 1, whatever the rate); runner `--rate 300 --concurrency
# 64`, ROWS numbers (default 6,000: 20 s at 300/s). The achieved rate is the least-squares slope of the accepted
# starts over the steady phase (as in c): ≥ 95 % of 300/s with 2 % noise, ≥ 85 % with 5 %. The end-to-end wall
# time against the run without noise is reported for information (the noisy runs also wait for the Retry-After
# of their last refused rows).
# Usage: bench/g-noise.sh [ROWS]
source "$(dirname "$0")/lib.sh"
ROWS=${1:-${G_ROWS:-6000}}
RATE=300
require_binary
csv=$(csv_file "$ROWS")

# phase SHARE: one run with SHARE of the requests answered 429; sets SLOPE, WALL, SHARE429 and NOT_SENT.
phase() {
    SLOPE=nan WALL=nan SHARE429=nan NOT_SENT=nan
    sandbox_start --latency-ms 20 --fault-429 "$1"
    log "g: $ROWS numbers, runner --rate $RATE, sandbox --fault-429 $1"
    polled_run "g$1" "$ROWS" $((120 + 3 * ROWS / RATE)) "$csv" 0.5 --rate "$RATE" --concurrency 64 || return 1
    SLOPE=$(jget "$("${PYLIB[@]}" slope "$SAMPLES" "$ROWS")" rate)
    SLOPE=${SLOPE:-nan}
    WALL=$(jget "$RUN_JSON" wall_s)
    SHARE429=$(share429)
    NOT_SENT=$(jget "$REPORT" not_sent)
}

failed=0
phase 0 || failed=1
clean_wall=$WALL
emit g "achieved rate, no noise (information)" "$SLOPE" "/s" info "-"
phase 0.02 || failed=1
emit g "achieved rate, 2 % random 429s" "$SLOPE" "/s" ">=" 285
emit g "wall time vs no noise, 2 % (information)" "$(calc "$WALL / $clean_wall")" "x" info "-"
emit g "rows not sent, 2 %" "$NOT_SENT" "-" "==" 0
phase 0.05 || failed=1
emit g "achieved rate, 5 % random 429s" "$SLOPE" "/s" ">=" 255
emit g "wall time vs no noise, 5 % (information)" "$(calc "$WALL / $clean_wall")" "x" info "-"
emit g "rows not sent, 5 %" "$NOT_SENT" "-" "==" 0
exit "$failed"
