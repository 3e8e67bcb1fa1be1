#!/usr/bin/env bash
# Scenario f: outcomes of a large Verify V2 job.
# ROWS numbers (default 200,000) are sent with `verifyd run --once --provider verify-v2 --concurrency 64
# --rate 0` (the setup, not measured); the sandbox's counters are reset (its verifications and attempts
# stay); then `verifyd outcomes` of the job is timed. It lists the Verification Attempts API over the job's
# sending time and joins locally, within the sandbox's 100 requests a minute (the real API's limit).
# Figures: requests the sandbox received during `outcomes` (target ≤ 250), its wall time (≤ 180 s), and rows
# of the report without an outcome (== 0; the codes are still within their lifetime, so every one is pending).
# Usage: bench/f-outcomes.sh [ROWS]
source "$(dirname "$0")/lib.sh"
ROWS=${1:-${F_ROWS:-200000}}
export TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000 TWILIO_AUTH_TOKEN=sandbox-auth-token
export VERIFY_SERVICE_SID=VA00000000000000000000000000000000
require_binary
csv=$(csv_file "$ROWS")
sandbox_start
spool=$(new_spool f "$csv")
log "f: sending $ROWS numbers through verify-v2 (setup)"
monitored "$WORK/f-send.json" $((300 + ROWS / 100)) "$VERIFYD" run --once --spool "$spool" --provider verify-v2 \
    --api-base "$BASE" --settle 0s --concurrency 64 --rate 0 || die "the sending run failed: $(tail -n 5 "$WORK/f-send.json.log")"
report=$("${PYLIB[@]}" report "$spool" "$ROWS")
[ "$(jget "$report" not_sent)" = 0 ] || die "not every row was sent: $report"
emit f "setup: numbers/s of the V2 run" "$(calc "$ROWS / $(jget "$WORK/f-send.json" wall_s)")" "/s" info "-"
sandbox_reset
log "f: verifyd outcomes"
rc=0
monitored "$WORK/f.json" 600 "$VERIFYD" outcomes --spool "$spool" --api-base "$BASE" || rc=$?
requests=$(jget "$(sandbox_stats)" requests)
summary=$(ls "$spool"/reports/*/summary.json)
log "f: outcomes $(cat "$WORK/f.json"); $(tail -n 2 "$WORK/f.json.log" | head -n 1); requests $requests"
if [ "$rc" -ne 0 ] || [ "$(jget "$WORK/f.json" exit)" != 0 ]; then
    emit f "requests" nan "-" "<=" 250
    emit f "wall time" nan "s" "<=" 180
    die "verifyd outcomes failed: $(tail -n 5 "$WORK/f.json.log")"
fi
emit f "requests" "$requests" "-" "<=" 250
emit f "wall time" "$(jget "$WORK/f.json" wall_s)" "s" "<=" 180
emit f "rows without an outcome" "$((ROWS - $(jget "$summary" outcomes.pending)))" "-" "==" 0
