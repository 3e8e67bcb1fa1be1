#!/usr/bin/env bash
# Scenario d: intake speed.
# A ROWS-row CSV (default 1,000,000) read into the store, sending nothing, two ways:
#   1. intake only (the target): `verifyd run --once --max-sends 0` claims the file, reads, normalizes and
#      deduplicates every row, stores it durably (the job's rows committed with fsync, the WAL checkpointed)
#      and holds the job, because it would send more than 0 verifications. Figures: wall time of the
#      process (target ≤ 5 s) and its ratio to `sqlite3 NEWDB ".import --csv FILE t"` of the same file timed
#      the same way (target ≤ 5×). Checked: `status --json` shows the job held with ROWS rows unfinished.
#   2. the whole dry run (information): `verifyd run --once --dry-run` does the same intake, marks every row
#      `would_send` and writes report.csv and report.jsonl (about 60 MB and 280 MB for a million rows).
# A sandbox is given as --api-base only to prove that nothing is sent (its request counter must stay 0).
# Usage: bench/d-intake.sh [ROWS]
source "$(dirname "$0")/lib.sh"
ROWS=${1:-${D_ROWS:-1000000}}
require_binary
command -v sqlite3 >/dev/null || die "sqlite3 is not installed"
csv=$(csv_file "$ROWS")
sandbox_start
cat "$csv" >/dev/null # every contender reads the file from the page cache
timeout_s=$((120 + ROWS / 1000))

log "d: $ROWS rows, --max-sends 0 (intake only)"
spool=$(new_spool d-intake "$csv")
monitored "$WORK/intake.json" "$timeout_s" \
    "$VERIFYD" run --once --max-sends 0 --spool "$spool" --api-base "$BASE" --settle 0s || true
"$VERIFYD" status --json --spool "$spool" >"$WORK/status.json" 2>/dev/null || echo '[]' >"$WORK/status.json"
held=$(python3 - "$WORK/status.json" "$ROWS" <<'PY'
import json, sys
jobs = json.load(open(sys.argv[1]))
rows = int(sys.argv[2])
ok = len(jobs) == 1 and jobs[0]["state"] == "held" and jobs[0]["total"] == rows \
    and jobs[0]["counts"].get("unfinished") == rows
print(0 if ok else 1)
PY
)
log "d: intake $(cat "$WORK/intake.json"); job held with every row stored: $([ "$held" = 0 ] && echo yes || echo no)"

log "d: $ROWS rows, --dry-run (intake, would_send, report files)"
spool=$(new_spool d-dry "$csv")
monitored "$WORK/dry.json" "$timeout_s" "$VERIFYD" run --once --dry-run --spool "$spool" --api-base "$BASE" --settle 0s || true
report=$("${PYLIB[@]}" report "$spool" "$ROWS" --dry-run)
requests=$(jget "$(sandbox_stats)" requests)
log "d: dry run $(cat "$WORK/dry.json"); report $report; sandbox requests $requests"

monitored "$WORK/sqlite.json" "$timeout_s" sqlite3 "$WORK/import.db" ".import --csv $csv t" ||
    die "sqlite3 .import failed: $(tail -n 5 "$WORK/sqlite.json.log")"
log "d: sqlite3 $(cat "$WORK/sqlite.json")"
sqlite_wall=$(jget "$WORK/sqlite.json" wall_s)

intake_wall=nan
[ "$(jget "$WORK/intake.json" exit)" = 0 ] && intake_wall=$(jget "$WORK/intake.json" wall_s)
dry_wall=nan
[ "$(jget "$WORK/dry.json" exit)" = 0 ] && dry_wall=$(jget "$WORK/dry.json" wall_s)
emit d "intake wall time (--max-sends 0)" "$intake_wall" "s" "<=" 5
ratio=nan
[ "$intake_wall" != nan ] && ratio=$(calc "$intake_wall / $sqlite_wall")
emit d "intake ratio to sqlite3 .import" "$ratio" "x" "<=" 5
emit d "jobs not held with every row stored" "$held" "-" "==" 0
emit d "sqlite3 .import wall time" "$sqlite_wall" "s" info "-"
emit d "intake peak RSS" "$(calc "$(jget "$WORK/intake.json" max_rss_kb) / 1024")" "MB" info "-"
emit d "dry run wall time (with report files)" "$dry_wall" "s" info "-"
emit d "dry-run rows not would_send" "$(jget "$report" not_sent)" "-" "==" 0
emit d "requests sent" "$requests" "-" "==" 0
[ "$intake_wall" != nan ] || die "the intake run failed: $(tail -n 5 "$WORK/intake.json.log")"
[ "$dry_wall" != nan ] || die "the dry run failed: $(tail -n 5 "$WORK/dry.json.log")"
