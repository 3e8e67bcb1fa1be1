#!/usr/bin/env bash
# The main job on the embedded default: build, start the sandbox, run the example jobs through
# `verifyd run --once`, print the summary and the report paths, and check every report row against
# the status its example file predicts (the `expect` column).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh build
swift build --product verifyd
bin=.build/debug/verifyd
spool=jobs
log=$(mktemp)
"$bin" sandbox --port 0 >"$log" 2>/dev/null &
sandbox=$!
trap 'kill $sandbox 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
base=$(grep -o 'http://127.0.0.1:[0-9]*' "$log")
echo "sandbox: $base"
export AUTHY_API_KEY=sandbox-api-key
"$bin" submit --spool "$spool" jobs/examples/*.csv jobs/examples/*.jsonl
out=$("$bin" run --once --spool "$spool" --api-base "$base" --rate 0)
echo "$out"
# Every report row carries its example's `expect` column: compare it with the status reached.
for report in $(echo "$out" | sed -n 's/^  report: //p'); do
    python3 - "$report" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
# A line that could not be read at all has no expect column: intake reports it invalid.
bad = [r for r in rows if r["status"] != (r["expect"] or "invalid")]
print(f"{sys.argv[1]}: {len(rows)} rows, {len(rows) - len(bad)} as expected")
for r in bad: print(f"  line {r['line']}: expected {r['expect']}, got {r['status']} ({r['message']})")
sys.exit(1 if bad else 0)
PY
done
