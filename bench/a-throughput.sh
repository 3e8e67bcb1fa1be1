#!/usr/bin/env bash
# Scenario a: end-to-end throughput with no added latency.
# ROWS numbers (default 50,000) through `verifyd run --once --concurrency 64 --rate 0` against the sandbox;
# numbers/s = ROWS / wall time of the run process (intake, sends, store, report). Target ≥ 5,000/s.
# With A_SEND_WINDOW=HH:MM-HH:MM the run also gets `--send-window A_SEND_WINDOW`: every start is judged against
# the window in its recipient's zones (choose one that is open, e.g. 00:00-23:59, to measure what judging costs).
# Usage: bench/a-throughput.sh [ROWS]
source "$(dirname "$0")/lib.sh"
ROWS=${1:-${A_ROWS:-50000}}
require_binary
csv=$(csv_file "$ROWS")
sandbox_start
window=()
[[ -n ${A_SEND_WINDOW:-} ]] && window=(--send-window "$A_SEND_WINDOW")
log "a: $ROWS numbers, --concurrency 64 --rate 0 ${window[*]}"
if ! throughput_run a "$ROWS" $((120 + ROWS / 200)) "$csv" --concurrency 64 --rate 0 "${window[@]}"; then
    emit a "numbers/s" nan "/s" ">=" 5000
    exit 1
fi
emit a "numbers/s" "$(calc "$ROWS / $(jget "$RUN_JSON" wall_s)")" "/s" ">=" 5000
emit a "rows not sent" "$(jget "$REPORT" not_sent)" "-" "==" 0
