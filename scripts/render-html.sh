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
# Chromium is driven over --remote-debugging-pipe (the DevTools protocol on fds 3 and 4) by a small
# stdlib-only python3 driver: --enable-logging=stderr shows console messages ("INFO:CONSOLE") but not
# failed resource loads, so it cannot prove a page self-contained. Chromium is run hermetically: a
# fresh temporary profile (removed on exit), no extensions or background networking, every host name
# resolving to nothing and every proxied request going to a closed loopback port, so no packet leaves
# the machine even if interception failed. $CHROMIUM overrides the binary.
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

# The real binary, not Debian's /usr/bin/chromium wrapper: the wrapper adds its own flags (extensions,
# API keys) and prints a shell warning on machines where /dev/shm has two mounts.
chromium=${CHROMIUM:-}
if [ -z "$chromium" ]; then
    for candidate in /usr/lib/chromium/chromium "$(command -v chromium || true)" \
        "$(command -v chromium-browser || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then chromium=$candidate; break; fi
    done
fi
[ -n "$chromium" ] || { echo "render-html: chromium not found (apt-get install chromium)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "render-html: python3 not found" >&2; exit 2; }

profile=$(mktemp -d "${TMPDIR:-/tmp}/render-html.XXXXXX")
# A failed removal must not change the exit status (an EXIT trap's failure would, under set -e).
trap 'rm -rf "$profile" || true' EXIT
rm -f "$png"

# The driver: starts Chromium with the pipe on fds 3/4, loads the page, collects errors, screenshots.
driver=$(cat <<'PY'
import base64, fcntl, json, os, pathlib, select, subprocess, sys, time

chromium, profile, html, png, width, height, timeout = sys.argv[1:8]
url = pathlib.Path(html).resolve().as_uri()      # percent-encodes spaces, "#", "%"
width, height = int(width), int(height)
deadline = time.monotonic() + int(timeout)    # the whole render: a hung page fails, never hangs a test

chrome = None
def stop_chromium():
    """Kills what is left of Chromium's process group (it runs in its own session), then reaps the
    browser. The browser is never reaped before this, so its process group id cannot have been reused."""
    if chrome is None or chrome.returncode is not None:
        return
    try:
        os.killpg(chrome.pid, 9)
    except ProcessLookupError:
        pass
    chrome.wait()

def fail(message):
    stop_chromium()
    sys.stderr.write("render-html: %s\n" % message)
    sys.exit(2)

to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()
# The child's ends, copied to fds >= 5 so that moving them to 3 and 4 cannot clobber one another.
high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 5)
high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 5)

def child_fds():
    os.dup2(high_r, 3)
    os.dup2(high_w, 4)

flags = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
    "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
    "--disable-domain-reliability", "--no-pings", "--disable-breakpad", "--metrics-recording-only",
    "--force-color-profile=srgb", "--window-size=%d,%d" % (width, height),
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--user-data-dir=" + profile, "--remote-debugging-pipe", "about:blank",
]
log_path = os.path.join(profile, "chromium.log")
log = open(log_path, "wb")
try:
    chrome = subprocess.Popen([chromium] + flags, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                              pass_fds=(3, 4), preexec_fn=child_fds, start_new_session=True)
except OSError as error:
    fail("cannot start %s: %s" % (chromium, error))
for fd in (to_chrome_r, from_chrome_w, high_r, high_w):
    os.close(fd)

def log_tail():
    log.flush()
    with open(log_path, "rb") as f:
        lines = f.read().decode("utf-8", "replace").splitlines()
    return "\n".join([line for line in lines if "dbus" not in line.lower()][-15:])

buffer = b""
def read_message():
    """The next message from Chromium; fails if it exits or the deadline passes."""
    global buffer
    while b"\0" not in buffer:
        left = deadline - time.monotonic()
        if left <= 0:
            fail("timed out rendering %s" % url)
        if select.select([from_chrome_r], [], [], left)[0]:
            chunk = os.read(from_chrome_r, 1 << 20)
            if not chunk:
                fail("chromium exited:\n" + log_tail())
            buffer += chunk
    message, buffer = buffer.split(b"\0", 1)
    return json.loads(message)

next_id = 0
session = None
def send(method, params=None, wait=True, browser=False):
    """Sends a command (to the page's session unless `browser`); with `wait`, handles the events that
    come first and returns the result."""
    global next_id
    next_id += 1
    command = {"id": next_id, "method": method, "params": params or {}}
    if session and not browser:
        command["sessionId"] = session
    os.write(to_chrome_w, json.dumps(command).encode() + b"\0")
    if not wait:
        return None
    mine = next_id
    while True:
        message = read_message()
        if message.get("id") == mine:
            if "error" in message:
                fail("%s failed: %s" % (method, message["error"].get("message")))
            return message.get("result", {})
        handle(message)

errors = []
def note(line):
    line = " ".join(line.split())                 # one line each, whatever the message held
    if line not in errors:
        errors.append(line)

def text_of(remote_object):
    for key in ("description", "value", "unserializableValue", "type"):
        if key in remote_object:
            return str(remote_object[key])
    return "?"

requests = {}        # requestId -> URL
loads = set()        # loaderIds whose document fired "load"
def handle(message):
    method, params = message.get("method"), message.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        text = details.get("exception", {}).get("description") or details.get("text", "?")
        note("uncaught-exception: %s (%s:%d)" % (text.splitlines()[0], details.get("url", ""),
                                                 details.get("lineNumber", 0) + 1))
    elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        note("console-error: " + " ".join(text_of(a) for a in params.get("args", [])))
    elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
        note("log-error: %s %s" % (params["entry"].get("text", ""), params["entry"].get("url", "")))
    elif method == "Network.requestWillBeSent":
        requests[params["requestId"]] = params["request"]["url"]
    elif method == "Network.loadingFailed":
        note("load-failed: %s (%s)" % (requests.get(params["requestId"], "?"), params.get("errorText", "")))
    elif method == "Page.lifecycleEvent" and params.get("name") == "load":
        loads.add(params.get("loaderId"))
    elif method == "Fetch.requestPaused":
        request = params["request"]["url"]
        if request.startswith(("file:", "data:", "about:", "blob:")):
            send("Fetch.continueRequest", {"requestId": params["requestId"]}, wait=False)
        else:
            note("network-request: " + request)
            send("Fetch.failRequest", {"requestId": params["requestId"], "errorReason": "BlockedByClient"},
                 wait=False)

def render():
    """Loads the page, waits for it to settle, writes the screenshot, closes the browser."""
    global session
    target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
        send(method)
    send("Page.setLifecycleEventsEnabled", {"enabled": True})
    send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
    send("Emulation.setDeviceMetricsOverride",
         {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    navigation = send("Page.navigate", {"url": url})
    if navigation.get("errorText"):
        fail("cannot load %s: %s" % (url, navigation["errorText"]))
    while navigation.get("loaderId") not in loads:
        handle(read_message())
    # Fonts ready and two frames painted, so the screenshot shows the finished layout.
    send("Runtime.evaluate", {"awaitPromise": True, "expression":
         "document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))"})
    shot = send("Page.captureScreenshot", {"format": "png", "fromSurface": True})
    with open(png, "wb") as f:
        f.write(base64.b64decode(shot["data"]))

    send("Browser.close", wait=False, browser=True)
    closing = time.monotonic() + 10
    # Waits for the browser to exit without reaping it (WNOWAIT), then stops any helper left over.
    while time.monotonic() < closing and not os.waitid(os.P_PID, chrome.pid,
                                                        os.WEXITED | os.WNOHANG | os.WNOWAIT):
        time.sleep(0.05)
    stop_chromium()

try:
    render()
except SystemExit:
    raise
except BaseException as error:       # e.g. the PNG cannot be written: a failure, not a page error
    fail("%s: %s" % (type(error).__name__, error))
for line in errors:
    print(line)
sys.exit(1 if errors else 0)
PY
)

status=0
python3 -c "$driver" "$chromium" "$profile" "$html" "$png" "$width" "$height" "$timeout" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then exit 2; fi
[ -s "$png" ] || { echo "render-html: chromium wrote no PNG to $png" >&2; exit 2; }
exit "$status"
