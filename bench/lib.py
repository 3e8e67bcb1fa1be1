#!/usr/bin/env python3
"""Helpers for the verifyd benchmark scripts (called from bench/lib.sh).

Sub-commands:
  gen ROWS PATH                  write a CSV of ROWS distinct sendable numbers (+1202 3000001, 3000003, …)
  monitor [options] -- CMD...    run CMD under GNU time, sample its thread count, write a JSON result
  stats BASE [KEY...]            print the sandbox's counters (requests, starts, accepted, 429) as JSON
  poll BASE OUT PID [options]    sample the sandbox's counters every --interval s until PID exits
  slope SAMPLES ROWS             least-squares rate of accepted starts over the 10 %–90 % part of a run
  wait-logged LOG N PID T [OFF]  wait until the sandbox's log shows N accepted starts; exit 2 if PID
                                 ended first, 3 on timeout
  restart BASE T -- CMD...       start CMD, print seconds until the sandbox's request counter moves,
                                 then wait (≤ T s) for CMD to end
  report SPOOL ROWS              check the spool's single report: print the status counts as JSON
  delivered BEFORE AFTER         numbers delivered more than once across two full stats snapshots
  aggregate TSV [MD]             min/median/max table of a results file (and a Markdown copy)

Everything talks to 127.0.0.1 only; proxies from the environment are ignored.
"""

import csv
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

# Never go through a proxy, whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _check_local(base):
    if not re.match(r"^http://127\.0\.0\.1:\d+$", base):
        sys.exit(f"refusing non-loopback sandbox address {base!r}")


# ---------------------------------------------------------------------------------------------- numbers


def numbers(rows):
    """Yields `rows` distinct national numbers 202-3000001, 202-3000003, … skipping the 9999 endings."""
    subscriber = 3000001
    made = 0
    while made < rows:
        if subscriber % 10000 != 9999:
            yield f"+1202{subscriber:07d}"
            made += 1
        subscriber += 2
        if subscriber > 9999999:
            sys.exit("too many rows for the +1 202 number range")


def cmd_gen(argv):
    rows, path = int(argv[0]), argv[1]
    tmp = f"{path}.{os.getpid()}.part"
    with open(tmp, "w", newline="") as out:
        out.write("phone_number,country_code\n")
        out.writelines(f"{n},1\n" for n in numbers(rows))
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------- monitor


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _threads(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cmd_monitor(argv):
    """Runs CMD under `/usr/bin/time -f '%e %M'`, samples the thread count of CMD's process (the child
    of time) every --sample-ms, kills it after --timeout seconds. Writes JSON to --out:
    {exit, timed_out, wall_s (monotonic, spawn to exit), time_wall_s (%e), max_rss_kb (%M), peak_threads}."""
    opts = {"--out": None, "--timeout": "600", "--sample-ms": "50", "--pids": None,
            "--stdout": "/dev/null", "--stderr": "/dev/null"}
    while argv and argv[0] != "--":
        opts[argv[0]] = argv[1]
        argv = argv[2:]
    cmd = argv[1:]
    out = opts["--out"]
    timef = out + ".time"
    timeout = float(opts["--timeout"])
    period = float(opts["--sample-ms"]) / 1000
    with open(opts["--stdout"], "wb") as so, open(opts["--stderr"], "ab") as se:
        start = time.monotonic()
        errors = so if opts["--stderr"] == opts["--stdout"] else se
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%e %M", "-o", timef] + cmd, stdout=so, stderr=errors)
        child = None
        peak = 0
        timed_out = False

        def stop(*_):
            for pid in (child, proc.pid):
                if pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            sys.exit(130)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while proc.poll() is None:
            if child is None:
                kids = _children(proc.pid)
                if kids:
                    child = kids[0]
                    if opts["--pids"]:
                        with open(opts["--pids"], "a") as f:
                            f.write(f"{child}\n")
            if child is not None:
                peak = max(peak, _threads(child))
            if time.monotonic() - start > timeout:
                timed_out = True
                os.kill(child or proc.pid, signal.SIGKILL)
                break
            try:  # returns the moment the process ends, so the wall time is not rounded to a period
                proc.wait(timeout=period)
            except subprocess.TimeoutExpired:
                pass
        rc = proc.wait()
        wall = time.monotonic() - start
    time_wall, rss = None, None
    try:
        with open(timef) as f:
            last = f.read().strip().splitlines()[-1].split()
            time_wall, rss = float(last[0]), int(last[1])
    except (OSError, IndexError, ValueError):
        pass
    result = {"exit": rc, "timed_out": timed_out, "wall_s": round(wall, 4), "time_wall_s": time_wall,
              "max_rss_kb": rss, "peak_threads": peak}
    with open(out, "w") as f:
        json.dump(result, f)
    print(json.dumps(result))


# ---------------------------------------------------------------------------------------------- sandbox


def fetch(base, full=False):
    """The sandbox's counters. Without `full`, only the scalar counters and responsesByStatus, read
    with regular expressions so that a million-entry startsByNumber map is not parsed."""
    _check_local(base)
    with _OPENER.open(base + "/_sandbox/stats", timeout=60) as r:
        body = r.read()
    if full:
        return json.loads(body)
    by = json.loads(re.search(rb'"responsesByStatus":(\{[^}]*\})', body).group(1))
    stats = {k: int(re.search(rb'"' + k.encode() + rb'":(\d+)', body).group(1))
             for k in ("requests", "starts", "checks", "statusQueries")}
    stats["responsesByStatus"] = by
    stats["accepted"] = int(by.get("200", 0)) + int(by.get("201", 0))
    stats["r429"] = int(by.get("429", 0))
    return stats


def cmd_stats(argv):
    base = argv[0]
    full = "--full" in argv
    print(json.dumps(fetch(base, full=full)))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie counts as ended
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmd_poll(argv):
    """poll BASE OUT PID [--interval S] [--timeout S]: one JSON line per sample {t, accepted, requests, r429}
    (t in seconds since the poll started) until PID has ended, then one last sample."""
    base, out, pid = argv[0], argv[1], int(argv[2])
    opts = dict(zip(argv[3::2], argv[4::2]))
    interval = float(opts.get("--interval", "0.5"))
    timeout = float(opts.get("--timeout", "3600"))
    start = time.monotonic()
    with open(out, "w") as f:
        while True:
            alive = _alive(pid)
            t = time.monotonic() - start
            try:
                s = fetch(base)
                f.write(json.dumps({"t": round(t, 4), "accepted": s["accepted"], "requests": s["requests"],
                                    "r429": s["r429"]}) + "\n")
                f.flush()
            except OSError:
                pass
            if not alive or t > timeout:
                break
            next_at = start + (int(t / interval) + 1) * interval
            time.sleep(max(0.0, next_at - time.monotonic()))


def cmd_slope(argv):
    """slope SAMPLES ROWS: accepted starts per second, the least-squares slope over the samples whose
    accepted count lies in [10 %, 90 %] of ROWS (the steady state: no start-up burst, no tail)."""
    path, rows = argv[0], int(argv[1])
    samples = [json.loads(line) for line in open(path) if line.strip()]
    window = [s for s in samples if 0.1 * rows <= s["accepted"] <= 0.9 * rows]
    if len(window) < 3:  # a short run: fall back to everything between the first and the last start
        window = [s for s in samples if 0 < s["accepted"] < rows] or samples
    if len(window) < 2:
        print(json.dumps({"rate": None, "samples": len(window)}))
        return
    xs = [s["t"] for s in window]
    ys = [s["accepted"] for s in window]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    rate = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else None
    print(json.dumps({"rate": rate, "samples": len(window), "from_s": xs[0], "to_s": xs[-1]}))


def cmd_recovery(argv):
    """recovery SAMPLES LIFT_S TARGET: for a limit that lifts LIFT_S seconds after the first request, the
    accepted starts per second under the limit (least-squares slope from 5 s to LIFT_S - 2 s after the first
    request) and the seconds from the lift until the accepted starts of one second first reach TARGET."""
    path, lift_after, target = argv[0], float(argv[1]), float(argv[2])
    samples = [json.loads(line) for line in open(path) if line.strip()]
    first = next((s["t"] for s in samples if s["requests"] > 0), None)
    if first is None:
        print(json.dumps({"limited_rate": None, "seconds": None}))
        return
    lift = first + lift_after
    limited = [s for s in samples if first + 5 <= s["t"] <= lift - 2]
    limited_rate = None
    if len(limited) >= 2:
        xs, ys = [s["t"] for s in limited], [s["accepted"] for s in limited]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        sxx = sum((x - mx) ** 2 for x in xs)
        limited_rate = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else None
    seconds = None
    after = [s for s in samples if s["t"] >= lift]
    for index, start in enumerate(after):
        end = next((s for s in after[index + 1:] if s["t"] >= start["t"] + 1.0), None)
        if end is None:
            break
        if (end["accepted"] - start["accepted"]) / (end["t"] - start["t"]) >= target:
            seconds = round(start["t"] - lift, 2)
            break
    print(json.dumps({"limited_rate": limited_rate, "seconds": seconds, "first_request_s": first}))


def cmd_wait_logged(argv):
    """wait-logged OUT N PID TIMEOUT [OFFSET]: returns when the sandbox's standard output (the file OUT) holds N
    `code for +…` lines that are not re-sends (no ` (sent again)` at the end) after byte OFFSET (default 0),
    one per new verification it accepted; exit 2 when PID ended first, 3 on timeout. The file is read where
    the last look stopped, every 20 ms: unlike a /_sandbox/stats snapshot, whose cost grows with the numbers
    seen (about 0.4 s per 100,000, and it slows the run it watches), this costs the sandbox nothing."""
    log, target, pid, timeout = argv[0], int(argv[1]), int(argv[2]), float(argv[3])
    start = time.monotonic()
    seen, rest = 0, b""
    with open(log, "rb") as f:
        f.seek(int(argv[4]) if len(argv) > 4 else 0)
        while time.monotonic() - start < timeout:
            if not _alive(pid):
                sys.exit(2)
            lines = (rest + f.read()).split(b"\n")
            rest = lines.pop()
            seen += sum(1 for line in lines if b" code for +" in line and not line.endswith(b" (sent again)"))
            if seen >= target:
                print(json.dumps({"logged": seen, "after_s": round(time.monotonic() - start, 2)}))
                return
            time.sleep(0.02)
    sys.exit(3)


def cmd_restart(argv):
    """restart BASE TIMEOUT [--pids F] [--stdout F] [--stderr F] -- CMD...: starts CMD, prints JSON
    {first_request_s, exit, wall_s}: seconds from the spawn until the sandbox's request counter exceeds
    its value just before the spawn (polled every 20 ms), then waits up to TIMEOUT s for CMD to end."""
    base, timeout = argv[0], float(argv[1])
    argv = argv[2:]
    opts = {"--pids": None, "--stdout": "/dev/null", "--stderr": "/dev/null"}
    while argv and argv[0] != "--":
        opts[argv[0]] = argv[1]
        argv = argv[2:]
    cmd = argv[1:]
    baseline = fetch(base)["requests"]
    with open(opts["--stdout"], "wb") as so, open(opts["--stderr"], "ab") as se:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=so, stderr=so if opts["--stderr"] == opts["--stdout"] else se)
        if opts["--pids"]:
            with open(opts["--pids"], "a") as f:
                f.write(f"{proc.pid}\n")
        first = None
        while time.monotonic() - start < timeout:
            try:
                if fetch(base)["requests"] > baseline:
                    first = time.monotonic() - start
                    break
            except OSError:
                pass
            if proc.poll() is not None:
                break
            time.sleep(0.02)
        try:
            rc = proc.wait(timeout=max(1.0, timeout - (time.monotonic() - start)))
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    print(json.dumps({"first_request_s": first, "exit": rc, "wall_s": round(time.monotonic() - start, 3)}))


def cmd_report(argv):
    """report SPOOL ROWS: status counts of the spool's only report.csv, plus `rows`, `not_sent` and
    `sending_rate` (summary.json's requests_per_second: requests over the job's sending time)."""
    spool, rows = argv[0], int(argv[1])
    reports = os.path.join(spool, "reports")
    jobs = sorted(os.listdir(reports)) if os.path.isdir(reports) else []
    counts = {}
    total = 0
    sending_rate = None
    if len(jobs) == 1:
        with open(os.path.join(reports, jobs[0], "report.csv"), newline="") as f:
            for row in csv.DictReader(f):
                counts[row["status"]] = counts.get(row["status"], 0) + 1
                total += 1
        with open(os.path.join(reports, jobs[0], "summary.json")) as f:
            sending_rate = json.load(f).get("requests_per_second")
    expected = "would_send" if "--dry-run" in argv else "sent"
    print(json.dumps({"jobs": len(jobs), "rows": total, "statuses": counts,
                      "not_sent": rows - counts.get(expected, 0), "sending_rate": sending_rate}))


def cmd_delivered(argv):
    """delivered BEFORE AFTER: how many numbers received a code more than once across two full stats
    snapshots (the sandbox was reset in between)."""
    total = {}
    for path in argv:
        with open(path) as f:
            for number, n in json.load(f)["deliveredByNumber"].items():
                total[number] = total.get(number, 0) + n
    print(json.dumps({"numbers": len(total), "twice": sum(1 for n in total.values() if n > 1)}))


# ---------------------------------------------------------------------------------------------- results


def _fmt(v):
    if v is None:
        return "—"
    if abs(v) >= 1000 or v == int(v):
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.1f}"
    return f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}"


def _passes(value, op, target):
    return {">=": value >= target, "<=": value <= target, "<": value < target, "==": value == target,
            "within5%": abs(value - target) <= 0.05 * target}[op]


def cmd_aggregate(argv):
    """aggregate TSV [MD]: the TSV has one line per measurement: scenario, metric, value, unit, op, target
    (op one of >= <= < == within5% info; value `nan` when the run produced none). Verdict on the median."""
    path = argv[0]
    groups = {}
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 6:
            continue
        scen, metric, value, unit, op, target = parts
        g = groups.setdefault((scen, metric), {"values": [], "missing": 0, "unit": unit, "op": op,
                                               "target": target})
        try:
            v = float(value)
            if v != v:
                raise ValueError
            g["values"].append(v)
        except ValueError:
            g["missing"] += 1
    header = ["scenario", "metric", "runs", "min", "median", "max", "target", "result"]
    table = []
    for (scen, metric), g in groups.items():
        vals = g["values"]
        unit = f" {g['unit']}" if g["unit"] and g["unit"] != "-" else ""
        runs = f"{len(vals)}" + (f" (+{g['missing']} failed)" if g["missing"] else "")
        if g["op"] == "info":
            target, verdict = "—", "info"
        else:
            t = float(g["target"])
            target = (f"{_fmt(t)}{unit} ±5%" if g["op"] == "within5%" else f"{g['op']} {_fmt(t)}{unit}")
            if not vals or g["missing"]:
                verdict = "FAIL (no figure)" if not vals else (
                    "PASS*" if _passes(statistics.median(vals), g["op"], t) else "FAIL")
            else:
                verdict = "PASS" if _passes(statistics.median(vals), g["op"], t) else "FAIL"
        cells = [scen, metric, runs]
        cells += [_fmt(min(vals)), _fmt(statistics.median(vals)), _fmt(max(vals))] if vals else ["—"] * 3
        table.append(cells + [target, verdict])
    widths = [max(len(header[i]), *(len(r[i]) for r in table)) if table else len(header[i])
              for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    if len(argv) > 1:
        with open(argv[1], "a") as md:
            md.write("| " + " | ".join(header) + " |\n")
            md.write("|" + "|".join("---" for _ in header) + "|\n")
            for r in table:
                md.write("| " + " | ".join(r) + " |\n")


COMMANDS = {"gen": cmd_gen, "monitor": cmd_monitor, "stats": cmd_stats, "poll": cmd_poll, "slope": cmd_slope,
            "recovery": cmd_recovery,
            "wait-logged": cmd_wait_logged, "restart": cmd_restart, "report": cmd_report,
            "delivered": cmd_delivered, "aggregate": cmd_aggregate}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
