#!/usr/bin/env bash
# verifyd-nightly: nightly re-verification, run by cron as the verifyd user
# (deploy/verifyd-nightly.cron). Install it as /usr/local/bin/verifyd-nightly, mode 0755.
#
#   verifyd-nightly EXPORT [RUN OPTIONS...]
#
# 1. Copies EXPORT (a .csv or .jsonl file, e.g. last quarter's sign-ups) into the spool's
#    incoming/ folder with `verifyd submit`, under a dated name: signups-2026-11-27.csv.
#    `submit` copies atomically, so verifyd never reads half a file.
# 2. Drains the spool with `verifyd run --once --cooldown 20h`. Numbers that any job sent
#    successfully in the last 20 hours are reported `skipped` and not sent again. RUN OPTIONS are
#    added to that command (e.g. --rate 20 or --max-sends 50000).
#    Why 20h and not 24h: the cooldown is checked when tonight's job starts sending, at about
#    02:30:05. A number that last night's run sent at 02:30:10 is then 23 h 59 min 55 s old, so
#    --cooldown 24h would skip it, and a list sent every night would go out only every other
#    night. Keep the cooldown a few hours shorter than the time between two runs.
# 3. Appends everything to $VERIFYD_LOG. On failure it also writes one line to standard error,
#    which cron mails to MAILTO.
#
# Exit status: verifyd's own. 0 done; 1 fatal (a job paused, e.g. the API refused the key, or
# another verifyd run holds the spool; the next run resumes the job); 64 bad usage. Also 1 when
# EXPORT is missing, or the nightly run of the day before is still working.
#
# Settings (environment variables; the defaults match deploy/verifyd.service):
#   VERIFYD_SPOOL             the spool                      /var/lib/verifyd
#   VERIFYD_COOLDOWN          --cooldown                     20h
#   VERIFYD_PROVIDER          authy-v1 or verify-v2          authy-v1
#   VERIFYD_API_KEY_FILE      Authy key, mode 0600 or 0400   /etc/verifyd/authy-api-key
#   VERIFYD_AUTH_TOKEN_FILE   Twilio token (verify-v2)       /etc/verifyd/twilio-auth-token
#                             verify-v2 also needs TWILIO_ACCOUNT_SID and VERIFY_SERVICE_SID.
#   VERIFYD_METRICS_FILE      for node_exporter ("" = none)  /var/lib/prometheus/node-exporter/verifyd.prom
#   VERIFYD_LOG               log file                       /var/log/verifyd/nightly.log
#   VERIFYD_SUBMIT_ONLY       "yes": submit, do not run. For hosts where verifyd.service works on
#                             the same spool: the daemon picks the file up. (Give the daemon
#                             --cooldown 20h then.)
#   VERIFYD                   the verifyd binary             /usr/local/bin/verifyd
#   VERIFYD_NIGHTLY_LOCK      lock against overlapping runs  /run/lock/verifyd-nightly.lock
set -euo pipefail

spool=${VERIFYD_SPOOL:-/var/lib/verifyd}
cooldown=${VERIFYD_COOLDOWN:-20h}
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
    echo "usage: verifyd-nightly EXPORT [RUN OPTIONS...]" >&2
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

# One nightly run at a time. If yesterday's run is still going, a person should look.
exec 9>"$lock"
flock -n 9 || fail 1 "the previous nightly run is still working; nothing done"

case $export_file in
    *.csv | *.jsonl) ;;
    *) fail 64 "$export_file: the export must be a .csv or .jsonl file" ;;
esac
[[ -f $export_file && -r $export_file ]] || fail 1 "$export_file: no such readable file"

say "start: $export_file"

# A dated copy, so the job, its report and done/ show which night it was. The copy is made by
# this user, so verifyd can read it (submit keeps the copy's mode).
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
name=$(basename -- "$export_file")
dated="$work/${name%.*}-$(date +%Y-%m-%d).${name##*.}"
cp -- "$export_file" "$dated"
status=0
"$verifyd" submit --spool "$spool" -- "$dated" || status=$?
[[ $status -eq 0 ]] || fail "$status" "verifyd submit failed: $(tail -n 1 -- "$log")"

if [[ $submit_only == yes ]]; then
    say "done: submitted; the daemon works on it"
    exit 0
fi

case $provider in
    authy-v1) credentials=(--api-key-file "$api_key_file") ;;
    verify-v2) credentials=(--provider verify-v2 --auth-token-file "$auth_token_file") ;;
    *) fail 64 "VERIFYD_PROVIDER must be authy-v1 or verify-v2, not '$provider'" ;;
esac
metrics=()
[[ -z $metrics_file ]] || metrics=(--metrics-file "$metrics_file")

"$verifyd" run --once --spool "$spool" --cooldown "$cooldown" "${credentials[@]}" "${metrics[@]}" "$@" \
    || status=$?
# verifyd's last line says why, e.g. "Error: job paused: …" or "Error: another verifyd run …".
[[ $status -eq 0 ]] || fail "$status" "verifyd run failed: $(tail -n 1 -- "$log")"
say "done"
