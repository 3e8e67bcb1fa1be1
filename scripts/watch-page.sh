#!/usr/bin/env bash
# Loads a page served on loopback in headless Chromium and, with the same page open (never reloaded), reads a
# JavaScript expression every 100 ms until it has given two different values: proof that the page updates itself.
#
#   scripts/watch-page.sh URL EXPRESSION DUMP_PATH
#
# URL is http://127.0.0.1:PORT/… (or http://[::1]:PORT/…); EXPRESSION must give a JSON value (a string, say);
# null and "" are "nothing shown yet" and not counted. Once the value has changed, DUMP_PATH gets the page as it
# then stands, as JSON: {"html": outerHTML, "text": innerText}.
#
# Standard output, one line each:
#   reading: JSON                 each value read that differs from the one before, in order
#   request: URL                  every request the page made, in order (those to the URL's origin went on)
# then the errors, as scripts/render-html.sh prints them (uncaught-exception:, console-error:, log-error:,
# load-failed:, network-request: — a request to any other origin, failed, never sent), and
#   navigated: URL                the page was navigated (reloaded) after it loaded
# Exit 0: the value changed and the page raised no error. Exit 1: it changed, but with errors.
# Exit 2: usage error, Chromium or python3 missing, Chromium failed, or WATCH_PAGE_TIMEOUT (seconds, default
#   60, for the whole run) passed before the value changed; the reason is on standard error (the readings
#   so far on standard output).
#
# Chromium is driven by scripts/devtools.py, shared with scripts/render-html.sh. $CHROMIUM overrides the binary.
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 URL EXPRESSION DUMP_PATH" >&2
    exit 2
fi
timeout=${WATCH_PAGE_TIMEOUT:-60}
case "$timeout" in
    '' | *[!0-9]*) echo "watch-page: WATCH_PAGE_TIMEOUT must be an integer" >&2; exit 2 ;;
esac
command -v python3 >/dev/null || { echo "watch-page: python3 not found" >&2; exit 2; }
rm -f "$3"

status=0
python3 "$(dirname "$0")/devtools.py" watch "$1" "$2" "$3" "$timeout" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then exit 2; fi
[ -s "$3" ] || { echo "watch-page: no page written to $3" >&2; exit 2; }
exit "$status"
