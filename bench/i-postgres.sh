#!/usr/bin/env bash
# Scenario i: the shared PostgreSQL store (issue 14), on a throwaway cluster of its own (pg_start).
# 1. One runner, no latency: scenario a's run (ROWS, default 50,000, --concurrency 64 --rate 0) with the
#    PostgreSQL store and with the SQLite store, one after the other; target PostgreSQL ≥ 80 % of SQLite. The
#    database's cost of the PostgreSQL run: its CPU per 1,000 rows, transactions and job_rows writes per row.
# 2. Latency-bound (sandbox --latency-ms 200): one runner with --concurrency 100 against three runners with
#    --concurrency 100 each, 6,000 rows per runner; target: three ≥ 2.5 × one.
# 3. The store's rate: three runners at --rate 600 (sandbox --latency-ms 20, --concurrency 32 each), 18,000
#    rows; the store's requests over its sending time (the first send of any job to the end of the last job)
#    within ±5 % of 600; rows / wall time of the three processes for information.
# Usage: bench/i-postgres.sh [ROWS]
source "$(dirname "$0")/lib.sh"

# emit_ratio METRIC NUMERATOR DENOMINATOR TARGET: records NUMERATOR / DENOMINATOR against ">= TARGET" (nan when
# either is nan: a run failed).
emit_ratio() {
    local value=nan
    [ "$2" != nan ] && [ "$3" != nan ] && value=$(calc "$2 / $3")
    emit i "$1" "$value" "x" ">=" "$4"
}
ROWS=${1:-${I_ROWS:-50000}}
require_binary
pg_start

csv=$(csv_file "$ROWS")
sandbox_start
log "i: $ROWS numbers, --concurrency 64 --rate 0, SQLite store then PostgreSQL store"
sqlite_rate=nan
postgres_rate=nan
if throughput_run i-sqlite "$ROWS" $((120 + ROWS / 200)) "$csv" --concurrency 64 --rate 0; then
    sqlite_rate=$(calc "$ROWS / $(jget "$RUN_JSON" wall_s)")
fi
sandbox_start
db=$(pg_database one_runner)
cpu=$(pg_cpu)
if throughput_run i-postgres "$ROWS" $((120 + ROWS / 200)) "$csv" --concurrency 64 --rate 0 --db "$db"; then
    postgres_rate=$(calc "$ROWS / $(jget "$RUN_JSON" wall_s)")
    emit_pg_cost i "1 runner, no latency" "$db" "$ROWS" "$cpu"
fi
emit i "numbers/s, SQLite store" "$sqlite_rate" "/s" info ""
emit i "numbers/s, PostgreSQL store" "$postgres_rate" "/s" info ""
emit_ratio "PostgreSQL / SQLite, one runner" "$postgres_rate" "$sqlite_rate" 0.80

sandbox_start --latency-ms 200
latency_csv=$(csv_file 18000)
one=nan
three=nan
if runners_run i-one 1 300 "$(csv_file 6000)" "$(pg_database latency_one)" --concurrency 100 --rate 0; then
    one=$(calc "6000 / $WALL_S")
fi
sandbox_start --latency-ms 200
if runners_run i-three 3 300 "$latency_csv" "$(pg_database latency_three)" --concurrency 100 --rate 0; then
    three=$(calc "18000 / $WALL_S")
fi
emit i "numbers/s, 1 runner, 200 ms" "$one" "/s" info ""
emit i "numbers/s, 3 runners, 200 ms" "$three" "/s" info ""
emit_ratio "3 runners / 1 runner, 200 ms" "$three" "$one" 2.5

sandbox_start --latency-ms 20
rate_db=$(pg_database shared_rate)
if runners_run i-rate 3 300 "$latency_csv" "$rate_db" --concurrency 32 --rate 600; then
    # Requests over the store's sending time: from the first job's first send to the last job's end.
    sending=$(psql "$rate_db" -XtAc "SELECT sum(requests), extract(epoch FROM max(finished_at::timestamptz)
        - min(started_at::timestamptz)) FROM jobs")
    emit i "rate of 3 runners at --rate 600" "$(calc "${sending%%|*} / ${sending##*|}")" "/s" within5% 600
    emit i "rows / wall time, 3 runners at --rate 600" "$(calc "18000 / $WALL_S")" "/s" info ""
else
    emit i "rate of 3 runners at --rate 600" nan "/s" within5% 600
fi
