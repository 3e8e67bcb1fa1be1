#!/usr/bin/env bash
# Scenario d: intake speed.
# A ROWS-row CSV (default 1,000,000) through `verifyd run --once --dry-run`: read, normalize, deduplicate,
# store and report every row, send nothing. Figure: wall time of the run process (target ≤ 5 s), and its
# ratio to `sqlite3 NEWDB ".import --csv FILE t"` of the same file timed the same way (target ≤ 5×).
# A sandbox is given as --api-base only to prove that nothing is sent (its request counter must stay 0).
# Usage: bench/d-intake.sh [ROWS]
source "$(dirname "$0")/lib.sh"
ROWS=${1:-${D_ROWS:-1000000}}
require_binary
command -v sqlite3 >/dev/null || die "sqlite3 is not installed"
csv=$(csv_file "$ROWS")
sandbox_start
spool=$(new_spool d "$csv")
cat "$csv" >/dev/null # both contenders read the file from the page cache
log "d: $ROWS rows, --dry-run"
rc=0
monitored "$WORK/d.json" $((120 + ROWS / 1000)) \
    "$VERIFYD" run --once --dry-run --spool "$spool" --api-base "$BASE" || rc=$?
report=$("${PYLIB[@]}" report "$spool" "$ROWS" --dry-run)
requests=$(jget "$(sandbox_stats)" requests)
log "d: run $(cat "$WORK/d.json"); report $report; sandbox requests $requests"
monitored "$WORK/sqlite.json" $((120 + ROWS / 1000)) sqlite3 "$WORK/import.db" ".import --csv $csv t" ||
    die "sqlite3 .import failed: $(tail -n 5 "$WORK/sqlite.json.log")"
log "d: sqlite3 $(cat "$WORK/sqlite.json")"
sqlite_wall=$(jget "$WORK/sqlite.json" wall_s)
if [ "$rc" -ne 0 ] || [ "$(jget "$WORK/d.json" exit)" != 0 ]; then
    emit d "dry-run intake wall time" nan "s" "<=" 5
    emit d "ratio to sqlite3 .import" nan "x" "<=" 5
    die "the run failed: $(tail -n 5 "$WORK/d.json.log")"
fi
wall=$(jget "$WORK/d.json" wall_s)
emit d "dry-run intake wall time" "$wall" "s" "<=" 5
emit d "ratio to sqlite3 .import" "$(calc "$wall / $sqlite_wall")" "x" "<=" 5
emit d "sqlite3 .import wall time" "$sqlite_wall" "s" info "-"
emit d "dry-run peak RSS" "$(calc "$(jget "$WORK/d.json" max_rss_kb) / 1024")" "MB" info "-"
emit d "rows not would_send" "$(jget "$report" not_sent)" "-" "==" 0
emit d "requests sent" "$requests" "-" "==" 0
