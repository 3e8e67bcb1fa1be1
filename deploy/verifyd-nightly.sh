#!/usr/bin/env bash
# verifyd-nightly: nightly re-verification, run by cron as the verifyd user
# (deploy/verifyd-nightly.cron). Install it as /usr/local/bin/verifyd-nightly, mode 0755.
#
#   verifyd-nightly EXPORT [RUN OPTIONS...]       once a night: submit EXPORT, then run
#   verifyd-nightly --no-export [RUN OPTIONS...]  every hour: run only
#
# 1. With EXPORT (a .csv or .jsonl file, e.g. last quarter's sign-ups), copies it into the
#    spool's incoming/ folder with `verifyd submit`, under a dated name: signups-2026-11-27.csv.
#    `submit` copies atomically, so verifyd never reads half a file.
# 2. Drains the spool with `verifyd run --once --send-window 09:00-20:00 --cooldown 8h`. RUN
#    OPTIONS are added to that command (e.g. --rate 20, --max-sends 50000 or --countries US,CA);
#    give both cron lines the same ones: the run that sends a row is the one whose options hold.
#    --send-window: a verification starts only while the recipient's local time is between
#    09:00 and 20:00. The other rows wait, untouched; the run sends what it can, prints per job
#    how many rows wait and when the next window opens, and exits 0 with the job unfinished.
#    The hourly `--no-export` run sends them as their windows open.
#    --cooldown: a number that any other job sent successfully within it ends `skipped`. It is
#    checked whenever a run takes up a job, for every row not sent yet, waiting rows included.
#    Tonight's job is checked at about 02:30; a number whose window was closed then went out last
#    night only once its window opened, which with an 11-hour window and hourly runs can be as
#    little as 10 hours before (less for a number whose zones share only part of the window, such
#    as a toll-free +1 800 number: deploy/README.md). So keep the cooldown shorter than the
#    window's length minus the time between two runs; 8h leaves two hours for long runs. Without
#    a send window the default is 20h: a number that last night's run sent at 02:30:10 is 23 h 59 min 55 s old when
#    tonight's job is checked at about 02:30:05, and --cooldown 24h would skip it every other
#    night. Either way, keep the cooldown a few hours shorter than the time between two sends.
# 3. Appends everything to $VERIFYD_LOG. On failure it also writes one line to standard error,
#    which cron mails to MAILTO. Rows left waiting for their window are no failure: no mail.
#
# One run at a time: a run that finds an earlier one still working (the 01:05 run still sending
# at 02:30, say) leaves the spool to it and exits 0. The export is submitted before that check,
# so the earlier run or the next one sends it.
#
# Exit status: verifyd's own. 0 done, rows left waiting for their window included; 1 fatal (a job
# paused, e.g. the API refused the key, or another verifyd run holds the spool, such as the
# daemon; the next run resumes the job); 64 bad usage. Also 1 when EXPORT is missing or
# `verifyd submit` failed.
#
# Settings (environment variables; the paths match deploy/verifyd.service):
#   VERIFYD_SPOOL             the spool                      /var/lib/verifyd
#   VERIFYD_SEND_WINDOW       --send-window ("" = none)      09:00-20:00
#   VERIFYD_COOLDOWN          --cooldown                     8h, or 20h without a send window
#   VERIFYD_PROVIDER          authy-v1 or verify-v2          authy-v1
#   VERIFYD_API_KEY_FILE      Authy key, mode 0600 or 0400   /etc/verifyd/authy-api-key
#   VERIFYD_AUTH_TOKEN_FILE   Twilio token (verify-v2)       /etc/verifyd/twilio-auth-token
#                             verify-v2 also needs TWILIO_ACCOUNT_SID and VERIFY_SERVICE_SID.
#   VERIFYD_METRICS_FILE      for node_exporter ("" = none)  /var/lib/prometheus/node-exporter/verifyd.prom
#   VERIFYD_LOG               log file                       /var/log/verifyd/nightly.log
#   VERIFYD_SUBMIT_ONLY       "yes": submit, do not run (and `--no-export` does nothing). For
#                             hosts where verifyd.service works on the same spool: the daemon
#                             picks the file up. (Give the daemon the same --send-window and
#                             --cooldown then.)
#   VERIFYD                   the verifyd binary             /usr/local/bin/verifyd
#   VERIFYD_NIGHTLY_LOCK      lock against overlapping runs  /run/lock/verifyd-nightly.lock
set -euo pipefail

spool=${VERIFYD_SPOOL:-/var/lib/verifyd}
send_window=${VERIFYD_SEND_WINDOW-09:00-20:00}
if [[ -n $send_window ]]; then
    cooldown=${VERIFYD_COOLDOWN:-8h}
else
    cooldown=${VERIFYD_COOLDOWN:-20h}
fi
provider=${VERIFYD_PROVIDER:-authy-v1}
api_key_file=${VERIFYD_API_KEY_FILE:-/etc/verifyd/authy-api-key}
auth_token_file=${VERIFYD_AUTH_TOKEN_FILE:-/etc/verifyd/twilio-auth-token}
metrics_file=${VERIFYD_METRICS_FILE-/var/lib/prometheus/node-exporter/verifyd.prom}
log=${VERIFYD_LOG:-/var/log/verifyd/nightly.log}
submit_only=${VERIFYD_SUBMIT_ONLY:-no}
verifyd=${VERIFYD:-/usr/local/bin/verifyd}
# /run/lock is writable by every user on Debian. Not the spool's .verifyd.lock: verifyd takes that
# one itself, and would find it held by this script.
lock=${VERIFYD_NIGHTLY_LOCK:-/run/lock/verifyd-nightly.lock}

if [[ $# -lt 1 ]]; then
    echo "usage: verifyd-nightly EXPORT [RUN OPTIONS...]  or  verifyd-nightly --no-export [RUN OPTIONS...]" >&2
    exit 64
fi
export_file=$1
shift

# Keep the caller's standard error (cron's mail) on descriptor 3; everything else goes to the log.
exec 3>&2
exec >>"$log" 2>&1

say() { printf '%s verifyd-nightly: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() {
    local status=$1
    shift
    say "$* (exit $status)"
    printf 'verifyd-nightly: %s (exit %s); see %s\n' "$*" "$status" "$log" >&3
    exit "$status"
}

status=0
if [[ $export_file == --no-export ]]; then
    if [[ $submit_only == yes ]]; then
        say "nothing to do: VERIFYD_SUBMIT_ONLY=yes, the daemon sends"
        exit 0
    fi
    say "start: no export; sending what earlier runs left"
else
    case $export_file in
        *.csv | *.jsonl) ;;
        *) fail 64 "$export_file: the export must be a .csv or .jsonl file (or --no-export)" ;;
    esac
    [[ -f $export_file && -r $export_file ]] || fail 1 "$export_file: no such readable file"

    say "start: $export_file"

    # A dated copy, so the job, its report and done/ show which night it was. The copy is made by
    # this user, so verifyd can read it (submit keeps the copy's mode). It is submitted before the
    # lock below is taken: submit is safe beside a run, and a run still working picks it up.
    work=$(mktemp -d)
    trap 'rm -rf -- "$work"' EXIT
    name=$(basename -- "$export_file")
    dated="$work/${name%.*}-$(date +%Y-%m-%d).${name##*.}"
    cp -- "$export_file" "$dated"
    "$verifyd" submit --spool "$spool" -- "$dated" || status=$?
    [[ $status -eq 0 ]] || fail "$status" "verifyd submit failed: $(tail -n 1 -- "$log")"

    if [[ $submit_only == yes ]]; then
        say "done: submitted; the daemon works on it"
        exit 0
    fi
fi

# One run at a time. A run still working sends what this one would have (it claims a file submitted
# meanwhile, or the next run does), so this is no failure. A run that never ends shows in the
# metrics: verifyd_last_success_timestamp_seconds gets old.
exec 9>"$lock"
if ! flock -n 9; then
    say "done: an earlier run is still working on the spool; it or the next run sends the rest"
    exit 0
fi

case $provider in
    authy-v1) credentials=(--api-key-file "$api_key_file") ;;
    verify-v2) credentials=(--provider verify-v2 --auth-token-file "$auth_token_file") ;;
    *) fail 64 "VERIFYD_PROVIDER must be authy-v1 or verify-v2, not '$provider'" ;;
esac
metrics=()
[[ -z $metrics_file ]] || metrics=(--metrics-file "$metrics_file")
window=()
[[ -z $send_window ]] || window=(--send-window "$send_window")

"$verifyd" run --once --spool "$spool" --cooldown "$cooldown" "${window[@]}" "${credentials[@]}" \
    "${metrics[@]}" "$@" || status=$?
# verifyd's last line says why, e.g. "Error: job paused: …" or "Error: another verifyd run …".
# Rows waiting for their window are no failure: verifyd says per job how many wait and exits 0.
[[ $status -eq 0 ]] || fail "$status" "verifyd run failed: $(tail -n 1 -- "$log")"
say "done"
