#!/usr/bin/env bash
# Scenario b: throughput and threads under API latency.
# Sandbox `--latency-ms 200`; ROWS numbers (default 10,000) through `verifyd run --once --concurrency 500
# --rate 0`. Two rates: end to end, against 92 % of 500 / 0.2 s (target ≥ 2,300, issue 13), ROWS / wall time of the
# whole run (start-up, intake, the connection ramp, the last window's tail and the report included), and while
# sending, summary.json's requests_per_second (requests over the job's sending time, first send to last
# answer, as verifyd records it; target ≥ 2,250). Peak thread count of the run process, sampled from /proc/PID/status
# (Threads:) every 50 ms while it runs (target ≤ 16).
# Usage: bench/b-latency.sh [ROWS]
source "$(dirname "$0")/lib.sh"
ROWS=${1:-${B_ROWS:-10000}}
require_binary
csv=$(csv_file "$ROWS")
sandbox_start --latency-ms 200
log "b: $ROWS numbers, --concurrency 500 --rate 0, 200 ms latency"
if ! throughput_run b "$ROWS" $((120 + ROWS / 100)) "$csv" --concurrency 500 --rate 0; then
    emit b "numbers/s end to end" nan "/s" ">=" 2300
    emit b "numbers/s while sending" nan "/s" ">=" 2250
    emit b "peak threads" nan "-" "<=" 16
    exit 1
fi
emit b "numbers/s end to end" "$(calc "$ROWS / $(jget "$RUN_JSON" wall_s)")" "/s" ">=" 2300
emit b "numbers/s while sending" "$(jget "$REPORT" sending_rate)" "/s" ">=" 2250
emit b "peak threads" "$(jget "$RUN_JSON" peak_threads)" "-" "<=" 16
emit b "rows not sent" "$(jget "$REPORT" not_sent)" "-" "==" 0
