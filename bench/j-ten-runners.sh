#!/usr/bin/env bash
# Scenario j: ten runners on one PostgreSQL database (issue 20), on a throwaway cluster of its own (pg_start,
# with pg_stat_statements), each runner with its own spool and its share of the rows.
# 1. Latency-bound (sandbox --latency-ms 200, --concurrency 50 each): one runner with ROWS rows (default 3,000),
#    then ten runners with ROWS rows each; target: ten ≥ 8 × one (rows / wall time, from the first start to the
#    last exit).
# 2. The store's rate: ten runners at --rate 1000 (sandbox --latency-ms 20, --concurrency 32 each), 30 × ROWS
#    rows in all; the store's requests over its sending time within ±5 % of 1000.
# For each, the database's cost: its CPU per 1,000 rows, statements, transactions and job_rows writes per row.
# Usage: bench/j-ten-runners.sh [ROWS]
source "$(dirname "$0")/lib.sh"
ROWS=${1:-${J_ROWS:-3000}}
require_binary
PG_STATEMENTS=1 pg_start
export PG_STATEMENTS=1

sandbox_start --latency-ms 200
one=nan
ten=nan
db=$(pg_database latency_one)
cpu=$(pg_cpu)
if runners_run j-one 1 600 "$(csv_file "$ROWS")" "$db" --concurrency 50 --rate 0; then
    one=$(calc "$ROWS / $WALL_S")
    emit_pg_cost j "1 runner, 200 ms" "$db" "$ROWS" "$cpu"
fi
sandbox_start --latency-ms 200
db=$(pg_database latency_ten)
cpu=$(pg_cpu)
if runners_run j-ten 10 600 "$(csv_file $((10 * ROWS)))" "$db" --concurrency 50 --rate 0; then
    ten=$(calc "10 * $ROWS / $WALL_S")
    emit_pg_cost j "10 runners, 200 ms" "$db" $((10 * ROWS)) "$cpu"
fi
emit j "numbers/s, 1 runner, 200 ms" "$one" "/s" info ""
emit j "numbers/s, 10 runners, 200 ms" "$ten" "/s" info ""
ratio=nan
[ "$one" != nan ] && [ "$ten" != nan ] && ratio=$(calc "$ten / $one")
emit j "10 runners / 1 runner, 200 ms" "$ratio" "x" ">=" 8

sandbox_start --latency-ms 20
rate_rows=$((30 * ROWS))
db=$(pg_database shared_rate)
cpu=$(pg_cpu)
if runners_run j-rate 10 900 "$(csv_file "$rate_rows")" "$db" --concurrency 32 --rate 1000; then
    # Requests over the store's sending time: from the first job's first send to the last job's end.
    sending=$(psql "$db" -XtAc "SELECT sum(requests), extract(epoch FROM max(finished_at::timestamptz)
        - min(started_at::timestamptz)) FROM jobs")
    emit j "rate of 10 runners at --rate 1000" "$(calc "${sending%%|*} / ${sending##*|}")" "/s" within5% 1000
    emit j "rows / wall time, 10 runners at --rate 1000" "$(calc "$rate_rows / $WALL_S")" "/s" info ""
    emit_pg_cost j "10 runners at --rate 1000" "$db" "$rate_rows" "$cpu"
else
    emit j "rate of 10 runners at --rate 1000" nan "/s" within5% 1000
fi
