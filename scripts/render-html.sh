#!/usr/bin/env bash
# Renders a self-contained HTML page in headless Chromium and writes a PNG screenshot of its viewport.
#
#   scripts/render-html.sh HTML_PATH PNG_PATH [WIDTH HEIGHT]      (default 1200 x 1600)
#
# Exit 0, printing nothing: the PNG was written and the page raised no error.
# Exit 1: the PNG was written, but the page raised errors; one line each on standard output:
#   uncaught-exception: MESSAGE   a script threw (Runtime.exceptionThrown)
#   console-error: MESSAGE        console.error / console.assert (Runtime.consoleAPICalled)
#   log-error: MESSAGE            a browser-side error (Log.entryAdded, level error), e.g.
#                                 "Failed to load resource: net::ERR_FILE_NOT_FOUND"
#   load-failed: URL (REASON)     a subresource failed to load (Network.loadingFailed)
#   network-request: URL          the page asked for something that is not file:, data: or about:
#                                 (it must be self-contained); the request is failed, never sent
# Exit 2: usage error, Chromium or python3 missing, Chromium failed, or no PNG; the reason is on
#   standard error. RENDER_HTML_TIMEOUT (seconds, default 60) bounds the whole render.
#
# Chromium is driven by scripts/devtools.py (the DevTools protocol over --remote-debugging-pipe, stdlib-only
# python3; hermetic: nothing leaves the machine), which scripts/watch-page.sh shares. $CHROMIUM overrides the binary.
set -euo pipefail

if [ $# -ne 2 ] && [ $# -ne 4 ]; then
    echo "usage: $0 HTML_PATH PNG_PATH [WIDTH HEIGHT]" >&2
    exit 2
fi
html=$1
png=$2
width=${3:-1200}
height=${4:-1600}
timeout=${RENDER_HTML_TIMEOUT:-60}   # seconds for the whole render
[ -f "$html" ] || { echo "render-html: no such file: $html" >&2; exit 2; }
case "$width$height$timeout" in
    *[!0-9]*) echo "render-html: WIDTH, HEIGHT and RENDER_HTML_TIMEOUT must be integers" >&2; exit 2 ;;
esac
command -v python3 >/dev/null || { echo "render-html: python3 not found" >&2; exit 2; }
rm -f "$png"

status=0
python3 "$(dirname "$0")/devtools.py" render "$html" "$png" "$width" "$height" "$timeout" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then exit 2; fi
[ -s "$png" ] || { echo "render-html: chromium wrote no PNG to $png" >&2; exit 2; }
exit "$status"
