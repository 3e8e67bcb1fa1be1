#!/usr/bin/env bash
# Runs the benchmark scenarios RUNS times each (default 3) and prints a table: scenario, metric, min, median,
# max, target and the verdict on the median. Also writes bench/results/latest.md (date, machine, verifyd
# commit, sizes, the table) and bench/results/latest.tsv (every measurement).
# Usage: bench/run-all.sh [-n RUNS] [a b c d e f g h i j]
# Sizes: A_ROWS (50,000) B_ROWS (10,000) C_ROWS (6,000) D_ROWS (1,000,000) E_ROWS (1,000,000) F_ROWS (200,000)
# G_ROWS (6,000) H_ROWS (14,000) I_ROWS (50,000) J_ROWS (3,000 per runner).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
RUNS=3
if [ "${1:-}" = -n ]; then
    RUNS=$2
    shift 2
fi
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [-n RUNS] [a b c d e f g h i j]" >&2; exit 64; }
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(a b c d e f g h i j)
declare -A SCRIPT=([a]=a-throughput.sh [b]=b-latency.sh [c]=c-rate-limit.sh [d]=d-intake.sh [e]=e-million.sh
    [f]=f-outcomes.sh [g]=g-noise.sh [h]=h-lifting.sh [i]=i-postgres.sh [j]=j-ten-runners.sh)
for s in "${SCENARIOS[@]}"; do
    [ -n "${SCRIPT[$s]:-}" ] || { echo "unknown scenario $s (a b c d e f g h i j)" >&2; exit 64; }
done

mkdir -p "$BENCH_DIR/results"
TSV=$(mktemp /tmp/verifyd-bench-results.XXXXXX)
child=
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null
    rm -f "$TSV"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load=$(cut -d' ' -f1-3 /proc/loadavg)
failures=0
for s in "${SCENARIOS[@]}"; do
    for i in $(seq "$RUNS"); do
        echo "== ${SCRIPT[$s]} (run $i of $RUNS)"
        rc=0
        BENCH_RESULTS=$TSV "$BENCH_DIR/${SCRIPT[$s]}" &
        child=$!
        wait "$child" || rc=$?
        child=
        if [ "$rc" -ne 0 ]; then
            echo "   ${SCRIPT[$s]} failed (exit $rc)"
            failures=$((failures + 1))
        fi
    done
done

binary=${VERIFYD:-$ROOT/.build/release/verifyd}
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain -- Sources Package.swift Package.resolved 2>/dev/null)" ]; then
    commit="$commit (with uncommitted changes in Sources)"
fi
md=$BENCH_DIR/results/latest.md
{
    echo "# verifyd benchmark — $started"
    echo
    echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')," \
        "$(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)," \
        "load average at start $load"
    echo "- verifyd: $("$binary" --version 2>/dev/null || echo '?'), commit $commit," \
        "binary built $(date -u -r "$binary" '+%Y-%m-%d %H:%M UTC')"
    echo "- runs per scenario: $RUNS; scenarios: ${SCENARIOS[*]}; rows: a ${A_ROWS:-50000}, b ${B_ROWS:-10000}," \
        "c ${C_ROWS:-6000}, d ${D_ROWS:-1000000}, e ${E_ROWS:-1000000}, f ${F_ROWS:-200000}," \
        "g ${G_ROWS:-6000}, h ${H_ROWS:-14000}, i ${I_ROWS:-50000}, j ${J_ROWS:-3000} per runner"
    echo "- verdict on the median of the runs; a failed run counts in \"runs\" as failed"
    echo
} >"$md"
echo
cat "$md"
python3 "$BENCH_DIR/lib.py" aggregate "$TSV" "$md"
cp "$TSV" "$BENCH_DIR/results/latest.tsv"
echo
echo "written: $md"
[ "$failures" -eq 0 ] || { echo "$failures scenario run(s) failed" >&2; exit 1; }
