#!/usr/bin/env bash
# Scenario e: a million-row job, memory and crash recovery.
# 1. ROWS numbers (default 1,000,000) through `verifyd run --once --rate 0 --concurrency 64` against the
#    sandbox: peak RSS of the run process (GNU time %M, target ≤ 150 MB); numbers/s for information.
# 2. Kill test on a fresh spool and a fresh sandbox: start the same run, wait until the accepted starts
#    reach 99 % of ROWS, `kill -9` the runner, reset the sandbox's counters (not its verifications), restart the same
#    command, and time from the restart's spawn until the sandbox's request counter moves (polled every
#    20 ms; target ≤ 2 s). The restarted run must then finish every row `sent`, and no number may have
#    received two codes across both runs.
# The accepted starts are counted on the sandbox's standard output (one `code for +…` line per code it sends;
# the new verifications are the lines without ` (sent again)`), read every 20 ms, not in /_sandbox/stats: a
# stats snapshot costs the sandbox about 0.4 s per 100,000 numbers, which slows the run it watches and comes
# too late to stop it at 99 %. The count at the kill is then read from /_sandbox/stats once.
# Usage: bench/e-million.sh [ROWS]   (try 100000 first)
source "$(dirname "$0")/lib.sh"
ROWS=${1:-${E_ROWS:-1000000}}
require_binary
csv=$(csv_file "$ROWS")
sandbox_start
timeout=$((300 + ROWS / 100))

# Part 1: the whole run, measured.
spool=$(new_spool e1 "$csv")
log "e: $ROWS numbers, --concurrency 64 --rate 0"
rc=0
monitored "$WORK/e1.json" "$timeout" \
    "$VERIFYD" run --once --spool "$spool" --api-base "$BASE" --settle 0s --concurrency 64 --rate 0 || rc=$?
report=$("${PYLIB[@]}" report "$spool" "$ROWS")
log "e: run $(cat "$WORK/e1.json"); report $report"
failed=0
RUN_JSON="$WORK/e1.json"
if ! run_succeeded e "$rc" "$RUN_JSON.log"; then
    emit e "peak RSS" nan "MB" "<=" 150
    failed=1
else
    emit e "peak RSS" "$(calc "$(jget "$WORK/e1.json" max_rss_kb) / 1024")" "MB" "<=" 150
    emit e "numbers/s (full run)" "$(calc "$ROWS / $(jget "$WORK/e1.json" wall_s)")" "/s" info "-"
    emit e "rows not sent (full run)" "$(jget "$report" not_sent)" "-" "==" 0
fi
rm -rf "$spool"

# Part 2: kill -9 at 99 % and restart. A fresh sandbox: the old one still holds pending verifications for
# these numbers, so its lines for this run would be re-sends (` (sent again)`), not new verifications.
sandbox_start
spool=$(new_spool e2 "$csv")
log_offset=$(stat -c %s "$SANDBOX_OUT") # count only the code lines, after the banner
run=("$VERIFYD" run --once --spool "$spool" --api-base "$BASE" --settle 0s --concurrency 64 --rate 0)
"${run[@]}" >"$WORK/e2-first.log" 2>&1 &
runner=$!
echo "$runner" >>"$PIDS"
threshold=$(((ROWS * 99 + 99) / 100))
log "e: kill test: waiting for $threshold accepted starts"
wait_rc=0
reached=$("${PYLIB[@]}" wait-logged "$SANDBOX_OUT" "$threshold" "$runner" "$timeout" "$log_offset") || wait_rc=$?
kill -KILL "$runner" 2>/dev/null || true
wait "$runner" 2>/dev/null || true
sleep 0.5 # let the sandbox finish answering what was in the air
sandbox_stats --full >"$WORK/before.json"
accepted=$(jget "$(sandbox_stats)" accepted)
log "e: killed the runner at $accepted accepted starts (wait status $wait_rc, $reached)"
if [ "$wait_rc" -ne 0 ] || [ "$accepted" -ge "$ROWS" ]; then
    emit e "restart to first request" nan "s" "<=" 2
    die "no valid kill point (status $wait_rc: 2 = the runner ended first, 3 = timeout; $accepted accepted)"
fi
sandbox_reset
restart=$(bg_run "${PYLIB[@]}" restart "$BASE" "$timeout" --pids "$PIDS" --stdout "$WORK/e2-restart.log" \
    --stderr "$WORK/e2-restart.log" -- "${run[@]}")
sandbox_stats --full >"$WORK/after.json"
delivered=$("${PYLIB[@]}" delivered "$WORK/before.json" "$WORK/after.json")
report=$("${PYLIB[@]}" report "$spool" "$ROWS")
log "e: restart $restart; after restart $(sandbox_stats); delivered $delivered; report $report"
first=$(jget "$restart" first_request_s)
emit e "restart to first request" "${first:-nan}" "s" "<=" 2
emit e "killed at (accepted starts)" "$(calc "100 * $accepted / $ROWS")" "%" info "-"
if [ "$(jget "$restart" exit)" != 0 ]; then
    log "e: the restarted run failed: $(tail -n 5 "$WORK/e2-restart.log")"
    failed=1
fi
emit e "rows not sent (after restart)" "$(jget "$report" not_sent)" "-" "==" 0
emit e "numbers sent twice (kill test)" "$(jget "$delivered" twice)" "-" "==" 0
exit "$failed"
