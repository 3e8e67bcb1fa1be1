#!/usr/bin/env bash
# Scenario c: behaviour against an API rate limit.
# Sandbox `--rate-limit 200`. Phase 1, runner `--rate 200`: the achieved rate is the least-squares slope of
# the sandbox's accepted starts (responses 200) against time, sampled from /_sandbox/stats every 0.5 s, over
# the samples between 10 % and 90 % of ROWS (the steady sending phase: no start-up burst, no tail); it must
# be within 5 % of 200/s, and 429 answers ≤ 1 % of requests. Phase 2, same sandbox (counters reset), runner
# `--rate 400`: every row ends `sent`, and 429 answers < 10 % of requests.
# Usage: bench/c-rate-limit.sh [ROWS]   (default 6,000: 30 s per phase at 200/s)
source "$(dirname "$0")/lib.sh"
ROWS=${1:-${C_ROWS:-6000}}
LIMIT=200
require_binary
csv=$(csv_file "$ROWS")
sandbox_start --rate-limit "$LIMIT"

# phase RATE: one run at --rate RATE with the sandbox's counters polled; sets SLOPE, SHARE429 and NOT_SENT.
phase() {
    local rate=$1 spool out=$WORK/c$1
    spool=$(new_spool "c$rate" "$csv")
    sandbox_reset
    log "c: $ROWS numbers, runner --rate $rate, sandbox --rate-limit $LIMIT"
    local timeout=$((120 + 3 * ROWS / LIMIT)) rc=0
    "${PYLIB[@]}" monitor --out "$out.json" --timeout "$timeout" --pids "$PIDS" --stdout "$out.log" \
        --stderr "$out.log" -- "$VERIFYD" run --once --spool "$spool" --api-base "$BASE" --settle 0s --rate "$rate" \
        >/dev/null &
    local monitor=$!
    echo "$monitor" >>"$PIDS"
    bg_run "${PYLIB[@]}" poll "$BASE" "$out.samples" "$monitor" --interval 0.5 --timeout "$((timeout + 10))"
    wait "$monitor" || rc=$?
    local stats report slope
    stats=$(sandbox_stats)
    report=$("${PYLIB[@]}" report "$spool" "$ROWS")
    slope=$("${PYLIB[@]}" slope "$out.samples" "$ROWS")
    log "c: run $(cat "$out.json"); sandbox $stats; slope $slope; report $report"
    if [ "$rc" -ne 0 ] || [ "$(jget "$out.json" exit)" != 0 ]; then
        SLOPE=nan SHARE429=nan NOT_SENT=nan
        log "c: the run at --rate $rate failed: $(tail -n 5 "$out.log")"
        return 1
    fi
    SLOPE=$(jget "$slope" rate)
    SLOPE=${SLOPE:-nan}
    local requests
    requests=$(jget "$stats" requests)
    SHARE429=nan
    [ "$requests" -gt 0 ] && SHARE429=$(calc "100 * $(jget "$stats" r429) / $requests")
    NOT_SENT=$(jget "$report" not_sent)
}

failed=0
phase 200 || failed=1
emit c "achieved rate @ --rate 200" "$SLOPE" "/s" within5% "$LIMIT"
emit c "429 share @ --rate 200" "$SHARE429" "%" "<=" 1
emit c "rows not sent @ --rate 200" "$NOT_SENT" "-" "==" 0
phase 400 || failed=1
emit c "achieved rate @ --rate 400" "$SLOPE" "/s" info "-"
emit c "429 share @ --rate 400" "$SHARE429" "%" "<" 10
emit c "rows not sent @ --rate 400" "$NOT_SENT" "-" "==" 0
exit "$failed"
