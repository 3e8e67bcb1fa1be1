# shellcheck shell=bash
# Shared by the bench scripts (source it): the binary, a private work folder removed on exit, the
# sandbox, cached input files, monitored runs and the result lines that run-all.sh aggregates.
#
# Environment:
#   VERIFYD        the binary (default: .build/release/verifyd, built only if missing)
#   BENCH_CACHE    where generated CSV files are kept between runs (default /tmp/verifyd-bench-cache)
#   BENCH_RESULTS  a file that receives one tab-separated line per measurement (run-all.sh sets it)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
VERIFYD=${VERIFYD:-$ROOT/.build/release/verifyd}
BENCH_CACHE=${BENCH_CACHE:-/tmp/verifyd-bench-cache}
BENCH_RESULTS=${BENCH_RESULTS:-/dev/null}
PYLIB=("python3" "$BENCH_DIR/lib.py")

# Loopback only: never let libcurl, curl or urllib go through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
export AUTHY_API_KEY=sandbox-api-key

WORK=$(mktemp -d /tmp/verifyd-bench.XXXXXX)
PIDS=$WORK/pids
: >"$PIDS"
SANDBOX_PID=
BASE=

# ours PID: whether PID is still a process this script started (its command line names verifyd, lib.py or
# time), so that a recorded id that was reused by someone else is left alone.
ours() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -qE 'verifyd|lib\.py|/usr/bin/time'; }

# Stops every process this script started (by the ids recorded in $PIDS, newest first): SIGTERM, up to 5 s
# to exit (the sandbox shuts down gracefully), then SIGKILL. Then removes the work folder.
bench_cleanup() {
    local rc=$? pid left _
    trap - EXIT INT TERM
    for pid in $(tac "$PIDS" 2>/dev/null); do
        ours "$pid" && kill -TERM "$pid" 2>/dev/null
    done
    for _ in $(seq 50); do
        left=
        for pid in $(cat "$PIDS" 2>/dev/null); do
            ours "$pid" && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && left=1
        done
        [ -z "$left" ] && break
        sleep 0.1
    done
    for pid in $(tac "$PIDS" 2>/dev/null); do
        ours "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    pg_stop
    rm -rf "$WORK"
    exit "$rc"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Builds the release binary only when it is missing (others may be editing the sources: any binary will do).
require_binary() {
    if [ ! -x "$VERIFYD" ]; then
        log "building $VERIFYD"
        (cd "$ROOT" && swift build -c release --product verifyd --static-swift-stdlib) >&2
    fi
    [ -x "$VERIFYD" ] || die "no binary at $VERIFYD"
}

# Runs a command in the background, records its pid for the cleanup, and waits for it (a wait that the
# INT/TERM trap can interrupt). Returns the command's exit status.
bg_run() {
    "$@" &
    local pid=$!
    echo "$pid" >>"$PIDS"
    local rc=0
    wait "$pid" || rc=$?
    return "$rc"
}

# sandbox_start [sandbox options…]: starts `verifyd sandbox --port 0` and sets SANDBOX_PID and BASE.
# Its standard output goes to $SANDBOX_OUT (started afresh each time): the banner, then one line per code it
# sends (`… code for +… is …`, with ` (sent again)` after a re-send), each written as the code is sent.
# Its log (stderr) goes to /dev/null.
SANDBOX_OUT=$WORK/sandbox.out
sandbox_start() {
    sandbox_stop
    local out=$SANDBOX_OUT
    "$VERIFYD" sandbox --port 0 "$@" >"$out" 2>/dev/null &
    SANDBOX_PID=$!
    echo "$SANDBOX_PID" >>"$PIDS"
    local _
    for _ in $(seq 100); do
        BASE=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out" 2>/dev/null | head -n 1 || true)
        [ -n "$BASE" ] && break
        kill -0 "$SANDBOX_PID" 2>/dev/null || die "the sandbox exited"
        sleep 0.1
    done
    [ -n "$BASE" ] || die "the sandbox did not report its port within 10 s"
    log "sandbox${*:+ $*} at $BASE"
}

# pg_start: a throwaway PostgreSQL cluster for the scenarios of the shared store (i), in $WORK/pg, listening only
# on a Unix socket there, run as the `postgres` user when this runs as root (initdb refuses root). Default
# durability (fsync, synchronous_commit on), as an operator's server would have. Sets PG_DIR.
PG_DIR=
pg_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
pg_start() {
    local bin
    bin=$(pg_bin)
    [ -x "$bin/initdb" ] || die "PostgreSQL is not installed: apt-get install postgresql"
    PG_DIR=$WORK/pg
    mkdir -p "$PG_DIR"
    chmod 755 "$WORK" "$PG_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PG_DIR"
    pg_as "$bin/initdb" -D "$PG_DIR/data" --auth=trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null
    printf "listen_addresses = ''\nunix_socket_directories = '%s'\nmax_connections = 100\n" "$PG_DIR" \
        | pg_as tee -a "$PG_DIR/data/postgresql.conf" >/dev/null
    # PG_STATEMENTS=1: count every statement (pg_stat_statements, which costs each statement a little).
    [ "${PG_STATEMENTS:-0}" = 1 ] && echo "shared_preload_libraries = 'pg_stat_statements'" \
        | pg_as tee -a "$PG_DIR/data/postgresql.conf" >/dev/null
    pg_as "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null \
        || die "PostgreSQL did not start: $(tail -n 5 "$PG_DIR/server.log")"
    log "PostgreSQL $("$bin/postgres" --version | awk '{ print $3 }') on the socket in $PG_DIR"
}
pg_stop() {
    [ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ] && pg_as "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop \
        >/dev/null 2>&1
    PG_DIR=
}
# pg_cpu: the CPU seconds the cluster has used so far: the postmaster's own and its ended children's (which it
# reaps), plus its live children's (backends, checkpointer, WAL writer…), from /proc.
pg_cpu() {
    local postmaster ticks child
    postmaster=$(head -n 1 "$PG_DIR/data/postmaster.pid")
    ticks=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$postmaster/stat")
    for child in $(pgrep -P "$postmaster"); do
        ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$child/stat" 2>/dev/null || echo 0)))
    done
    calc "$ticks / $(getconf CLK_TCK)"
}

# pg_work DB: what database DB's runs cost it so far, as "STATEMENTS TRANSACTIONS ROW_WRITES": statements run
# (pg_stat_statements, nan without PG_STATEMENTS=1), transactions committed, and rows of job_rows inserted or
# updated (each in-flight mark, answer and lease is one).
pg_work() {
    local statements=nan
    [ "${PG_STATEMENTS:-0}" = 1 ] && statements=$(psql "$1" -XtAc "SELECT sum(calls) FROM pg_stat_statements s
        JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database()")
    echo "$statements $(psql "$1" -XtAc "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()") \
$(psql "$1" -XtAc "SELECT n_tup_ins + n_tup_upd FROM pg_stat_user_tables WHERE relname = 'job_rows'")"
}

# emit_pg_cost SCENARIO LABEL DB ROWS CPU_BEFORE: the database's cost of ROWS rows sent through DB (whose runs
# used the cluster alone since CPU_BEFORE, from pg_cpu): its CPU per 1,000 rows, statements, transactions and
# row writes per row.
emit_pg_cost() {
    local work cpu
    sleep 1 # the statistics collector reports a finished backend's counts within 500 ms
    cpu=$(calc "($(pg_cpu) - $5) * 1000 / $4")
    read -r -a work <<<"$(pg_work "$3")"
    emit "$1" "$2: database CPU per 1,000 rows" "$cpu" "s" info ""
    [ "${work[0]}" != nan ] && emit "$1" "$2: statements per row" "$(calc "${work[0]} / $4")" "" info ""
    emit "$1" "$2: transactions per row" "$(calc "${work[1]} / $4")" "" info ""
    emit "$1" "$2: job_rows writes per row" "$(calc "${work[2]} / $4")" "" info ""
}

# pg_database NAME: creates database NAME in the cluster and prints its libpq URI (with pg_stat_statements
# when PG_STATEMENTS=1).
pg_database() {
    "$(pg_bin)/createdb" -h "$PG_DIR" -U postgres "$1"
    [ "${PG_STATEMENTS:-0}" = 1 ] && psql "postgresql://postgres@/$1?host=$PG_DIR" -XqAc \
        "CREATE EXTENSION pg_stat_statements" >/dev/null
    echo "postgresql://postgres@/$1?host=$PG_DIR"
}

sandbox_stop() {
    if [ -n "$SANDBOX_PID" ]; then
        kill "$SANDBOX_PID" 2>/dev/null || true
        wait "$SANDBOX_PID" 2>/dev/null || true
        SANDBOX_PID=
    fi
}

sandbox_reset() {
    curl -fsS --noproxy '*' --max-time 30 -X POST "$BASE/_sandbox/reset" >/dev/null
}

# sandbox_stats [--full]: the counters as JSON (without --full: scalars, responsesByStatus, accepted, r429).
sandbox_stats() { "${PYLIB[@]}" stats "$BASE" "$@"; }

# csv_file ROWS: prints the path of a cached CSV of ROWS distinct sendable numbers, generating it if needed.
csv_file() {
    local rows=$1 path=$BENCH_CACHE/numbers-$1.csv
    mkdir -p "$BENCH_CACHE"
    if [ ! -s "$path" ]; then
        log "generating $path"
        "${PYLIB[@]}" gen "$rows" "$path"
    fi
    echo "$path"
}

# new_spool NAME CSV: a fresh spool under the work folder with CSV in its incoming folder; prints its path.
new_spool() {
    local spool=$WORK/$1
    rm -rf "$spool"
    mkdir -p "$spool/incoming"
    cp "$2" "$spool/incoming/.numbers.csv.part"
    mv "$spool/incoming/.numbers.csv.part" "$spool/incoming/numbers.csv"
    echo "$spool"
}

# monitored OUT TIMEOUT CMD…: runs CMD under GNU time with lib.py's monitor (wall time, peak RSS, peak thread
# count sampled every 50 ms from /proc/PID/status); the JSON result goes to OUT. CMD's output goes to OUT.log.
monitored() {
    local out=$1 timeout=$2
    shift 2
    bg_run "${PYLIB[@]}" monitor --out "$out" --timeout "$timeout" --sample-ms 50 --pids "$PIDS" \
        --stdout "$out.log" --stderr "$out.log" -- "$@" >/dev/null
}

# jget FILE-OR-JSON KEY[.KEY…]: one value out of a JSON object (a file path or the JSON text itself).
jget() {
    python3 - "$1" "$2" <<'PY'
import json, os, sys
src, path = sys.argv[1], sys.argv[2]
value = json.load(open(src)) if os.path.exists(src) else json.loads(src)
for key in path.split("."):
    value = value.get(key) if isinstance(value, dict) else None
print("" if value is None else value)
PY
}

# calc EXPRESSION: floating-point arithmetic (awk), e.g. calc "50000 / 9.2".
calc() { awk "BEGIN { v = $1; printf \"%.4f\n\", v }"; }

# emit SCENARIO METRIC VALUE UNIT OP TARGET: records one measurement (VALUE `nan` when there is none).
# OP is >=, <=, <, ==, within5% or info; run-all.sh judges the median of the runs against TARGET.
emit() {
    local value=${3:-nan}
    [[ $value =~ ^-?[0-9.]+([eE][-+]?[0-9]+)?$ ]] && value=$(awk "BEGIN { printf \"%.6g\", $value }")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$value" "$4" "$5" "$6" >>"$BENCH_RESULTS"
    if [ "$5" = info ]; then
        printf '  %-4s %-40s %12s %s\n' "$1" "$2" "$value" "$4"
    else
        printf '  %-4s %-40s %12s %-4s (target %s %s)\n' "$1" "$2" "$value" "$4" "$5" "$6"
    fi
}

# One `verifyd run --once` of a throughput scenario (a, b): NAME ROWS TIMEOUT_S CSV, then the run's
# extra options. Sets RUN_JSON (the monitor's figures) and REPORT (the report check); returns non-zero
# when the run failed, after logging why.
throughput_run() {
    local name=$1 rows=$2 timeout=$3 csv=$4
    shift 4
    local spool rc=0
    spool=$(new_spool "$name" "$csv")
    RUN_JSON="$WORK/$name.json"
    monitored "$RUN_JSON" "$timeout" "$VERIFYD" run --once --spool "$spool" --api-base "$BASE" --settle 0s "$@" || rc=$?
    REPORT=$("${PYLIB[@]}" report "$spool" "$rows")
    log "$name: run $(cat "$RUN_JSON"); report $REPORT"
    run_succeeded "$name" "$rc" "$RUN_JSON.log"
}

# N runners on one store at once, each `verifyd run --once` of its own spool holding its share of CSV's rows:
# NAME N TIMEOUT_S CSV DB, then the runs' extra options. Sets WALL_S (from the first start to the last exit).
# Returns non-zero when a run failed, after logging why.
runners_run() {
    local name=$1 count=$2 timeout=$3 csv=$4 db=$5
    shift 5
    local rows per i spool started ended rc=0 pids=()
    rows=$(($(wc -l <"$csv") - 1))
    per=$((rows / count))
    for i in $(seq "$count"); do
        spool=$WORK/$name-$i
        rm -rf "$spool"
        mkdir -p "$spool/incoming"
        { head -n 1 "$csv"; tail -n +2 "$csv" | sed -n "$(((i - 1) * per + 1)),$((i * per))p"; } \
            >"$spool/incoming/.part.csv"
        mv "$spool/incoming/.part.csv" "$spool/incoming/part-$i.csv"
    done
    started=$(date +%s.%N)
    for i in $(seq "$count"); do
        timeout "$timeout" "$VERIFYD" run --once --spool "$WORK/$name-$i" --db "$db" --api-base "$BASE" --settle 0s \
            "$@" >"$WORK/$name-$i.log" 2>&1 &
        pids+=($!)
        echo "$!" >>"$PIDS"
    done
    for i in $(seq "$count"); do
        wait "${pids[$((i - 1))]}" || { rc=$?; log "$name: runner $i failed ($rc): $(tail -n 5 "$WORK/$name-$i.log")"; }
    done
    ended=$(date +%s.%N)
    WALL_S=$(calc "$ended - $started")
    log "$name: $count runners, $rows rows, $WALL_S s"
    return "$rc"
}

# One `verifyd run --once` with the sandbox's counters polled while it runs (c, g, h): NAME ROWS TIMEOUT_S CSV
# INTERVAL_S, then the run's extra options. The sandbox's counters are reset first. Sets RUN_JSON (the monitor's
# figures), SAMPLES (the poll's file), STATS (the sandbox's counters after the run) and REPORT (the report
# check); returns non-zero when the run failed, after logging why.
polled_run() {
    local name=$1 rows=$2 timeout=$3 csv=$4 interval=$5
    shift 5
    local spool out=$WORK/$name rc=0
    spool=$(new_spool "$name" "$csv")
    sandbox_reset
    RUN_JSON=$out.json
    SAMPLES=$out.samples
    "${PYLIB[@]}" monitor --out "$RUN_JSON" --timeout "$timeout" --pids "$PIDS" --stdout "$out.log" \
        --stderr "$out.log" -- "$VERIFYD" run --once --spool "$spool" --api-base "$BASE" --settle 0s "$@" >/dev/null &
    local monitor=$!
    echo "$monitor" >>"$PIDS"
    bg_run "${PYLIB[@]}" poll "$BASE" "$SAMPLES" "$monitor" --interval "$interval" --timeout "$((timeout + 10))"
    wait "$monitor" || rc=$?
    STATS=$(sandbox_stats)
    REPORT=$("${PYLIB[@]}" report "$spool" "$rows")
    log "$name: run $(cat "$RUN_JSON"); sandbox $STATS; report $REPORT"
    run_succeeded "$name" "$rc" "$out.log"
}

# run_succeeded NAME RC LOG: whether the monitored run (its figures in $RUN_JSON, its status RC, its output in
# LOG) exited 0; if not, logs the output's last lines and returns 1.
run_succeeded() {
    local name=$1 rc=$2 output=$3
    if [ "$rc" -ne 0 ] || [ "$(jget "$RUN_JSON" exit)" != 0 ]; then
        log "$name: the run failed: $(tail -n 5 "$output")"
        return 1
    fi
}

# share429: the share of the sandbox's requests answered 429 in $STATS, in per cent (nan without requests).
share429() {
    local requests
    requests=$(jget "$STATS" requests)
    if [ "${requests:-0}" -gt 0 ]; then calc "100 * $(jget "$STATS" r429) / $requests"; else echo nan; fi
}

