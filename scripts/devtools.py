"""Headless Chromium driven over --remote-debugging-pipe (the DevTools protocol on fds 3 and 4), stdlib only.

Shared by scripts/render-html.sh (`render`: screenshot a self-contained file: page) and scripts/watch-page.sh
(`watch`: load a page served on loopback and read an expression until it changes); their headers describe the
commands, their arguments and their output.

--enable-logging=stderr shows console messages ("INFO:CONSOLE") but not failed resource loads, so it cannot prove
what a page loaded: this driver hears them all from the DevTools protocol. Chromium is run hermetically: a fresh
temporary profile (removed on exit), no extensions or background networking, every host name resolving to nothing
and every proxied request going to a closed loopback port, so no packet leaves the machine even if interception
failed. Every request the page makes is intercepted (Fetch) and only those the command allows go on; the others are
failed, never sent, and reported.

Exit 2 with the reason on standard error when there is nothing to judge (Chromium missing, crashed or timed out);
else the command's own exit status.
"""
import base64, fcntl, json, os, pathlib, select, shutil, subprocess, sys, tempfile, time


def find_chromium():
    """$CHROMIUM, else the real binary (not Debian's /usr/bin/chromium wrapper, which adds its own flags and prints a
    shell warning on machines where /dev/shm has two mounts), else chromium or chromium-browser on PATH."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for candidate in ("/usr/lib/chromium/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class Browser:
    """One headless Chromium with one page, attached over the pipe. Collects, as one line each, the page's errors and
    the requests it made; `allow(url)` says which requests may go on, and only those to the loopback host `direct`
    (if any) reach the network: every other one goes to a closed proxy port."""

    def __init__(self, name, timeout, width, height, allow, direct):
        self.name, self.allow = name, allow
        self.deadline = time.monotonic() + timeout   # the whole run: a hung page fails, never hangs a test
        self.chrome, self.buffer, self.next_id, self.session = None, b"", 0, None
        self.errors, self.requests, self.urls, self.loads, self.navigations = [], [], {}, set(), []
        chromium = find_chromium()
        if not chromium:
            self.fail("chromium not found (apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix=name + ".")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
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
            "--host-resolver-rules=MAP * ~NOTFOUND" + (", EXCLUDE " + direct if direct else ""), "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>" + (";" + direct if direct else ""),
            "--user-data-dir=" + self.profile, "--remote-debugging-pipe", "about:blank",
        ]
        self.log_path = os.path.join(self.profile, "chromium.log")
        self.log = open(self.log_path, "wb")
        try:
            self.chrome = subprocess.Popen([chromium] + flags, stdin=subprocess.DEVNULL, stdout=self.log,
                                           stderr=self.log, pass_fds=(3, 4), preexec_fn=child_fds,
                                           start_new_session=True)
        except OSError as error:
            self.fail("cannot start %s: %s" % (chromium, error))
        for fd in (to_chrome_r, from_chrome_w, high_r, high_w):
            os.close(fd)
        self.width, self.height = width, height

    def stop(self):
        """Kills what is left of Chromium's process group (it runs in its own session), then reaps the browser, and
        removes the profile. The browser is never reaped before this, so its process group id cannot have been
        reused."""
        if self.chrome is not None and self.chrome.returncode is None:
            try:
                os.killpg(self.chrome.pid, 9)
            except ProcessLookupError:
                pass
            self.chrome.wait()
        if getattr(self, "profile", None):
            shutil.rmtree(self.profile, ignore_errors=True)   # a failed removal must not change the exit status

    def close(self):
        """Asks the browser to close, waits for it to exit without reaping it (WNOWAIT), then stops what is left."""
        self.send("Browser.close", wait=False, browser=True)
        closing = time.monotonic() + 10
        while time.monotonic() < closing and not os.waitid(os.P_PID, self.chrome.pid,
                                                            os.WEXITED | os.WNOHANG | os.WNOWAIT):
            time.sleep(0.05)
        self.stop()

    def fail(self, message):
        self.stop()
        sys.stderr.write("%s: %s\n" % (self.name, message))
        sys.exit(2)

    def log_tail(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join([line for line in lines if "dbus" not in line.lower()][-15:])

    def read_message(self, until=None):
        """The next message from Chromium, or None once `until` (a monotonic time) passes; fails if Chromium exits or
        the deadline passes."""
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.fail("timed out")
            wait = left if until is None else min(left, until - time.monotonic())
            if wait <= 0:
                return None
            if select.select([self.from_chrome], [], [], wait)[0]:
                chunk = os.read(self.from_chrome, 1 << 20)
                if not chunk:
                    self.fail("chromium exited:\n" + self.log_tail())
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, wait=True, browser=False):
        """Sends a command (to the page's session unless `browser`); with `wait`, handles the events that come first
        and returns the result."""
        self.next_id += 1
        command = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not browser:
            command["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(command).encode() + b"\0")
        if not wait:
            return None
        mine = self.next_id
        while True:
            message = self.read_message()
            if message.get("id") == mine:
                if "error" in message:
                    self.fail("%s failed: %s" % (method, message["error"].get("message")))
                return message.get("result", {})
            self.handle(message)

    def note(self, line):
        line = " ".join(line.split())                 # one line each, whatever the message held
        if line not in self.errors:
            self.errors.append(line)

    @staticmethod
    def text_of(remote_object):
        for key in ("description", "value", "unserializableValue", "type"):
            if key in remote_object:
                return str(remote_object[key])
        return "?"

    def handle(self, message):
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "?")
            self.note("uncaught-exception: %s (%s:%d)" % (text.splitlines()[0], details.get("url", ""),
                                                          details.get("lineNumber", 0) + 1))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.note("console-error: " + " ".join(self.text_of(a) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.note("log-error: %s %s" % (params["entry"].get("text", ""), params["entry"].get("url", "")))
        elif method == "Network.requestWillBeSent":
            self.urls[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed":
            self.note("load-failed: %s (%s)" % (self.urls.get(params["requestId"], "?"), params.get("errorText", "")))
        elif method == "Page.lifecycleEvent" and params.get("name") == "load":
            self.loads.add(params.get("loaderId"))
        elif method == "Page.frameNavigated" and "parentId" not in params["frame"]:
            self.navigations.append(params["frame"].get("url", "?"))
        elif method == "Fetch.requestPaused":
            url = params["request"]["url"]
            self.requests.append(url)
            if self.allow(url):
                self.send("Fetch.continueRequest", {"requestId": params["requestId"]}, wait=False)
            else:
                self.note("network-request: " + url)
                self.send("Fetch.failRequest", {"requestId": params["requestId"], "errorReason": "BlockedByClient"},
                          wait=False)

    def load(self, url):
        """Opens a page, intercepts its every request, loads `url` and waits for its load event."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
            self.send(method)
        self.send("Page.setLifecycleEventsEnabled", {"enabled": True})
        self.send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False})
        navigation = self.send("Page.navigate", {"url": url})
        if navigation.get("errorText"):
            self.fail("cannot load %s: %s" % (url, navigation["errorText"]))
        while navigation.get("loaderId") not in self.loads:
            self.handle(self.read_message())
        self.navigations.clear()                      # the load itself; any later one is a reload

    def evaluate(self, expression, await_promise=False):
        """The value of `expression` in the page (JSON-serialisable values only); an exception fails the run."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": await_promise})
        if "exceptionDetails" in result:
            self.fail("%s threw: %s" % (expression, self.text_of(result["exceptionDetails"].get("exception", {}))))
        return result.get("result", {}).get("value")

    def wait(self, seconds):
        """Handles the page's events for `seconds`."""
        until = time.monotonic() + seconds
        while True:
            message = self.read_message(until)
            if message is None:
                return
            self.handle(message)


def run(name, timeout, width, height, allow, body, direct=None):
    """Starts a browser and calls `body(browser)`; any unexpected error is a failure (exit 2), not a page error."""
    browser = Browser(name, timeout, width, height, allow, direct)
    try:
        status = body(browser)
    except SystemExit:
        raise
    except BaseException as error:       # e.g. the PNG cannot be written
        browser.fail("%s: %s" % (type(error).__name__, error))
    browser.close()
    return status


def render(html, png, width, height, timeout):
    """render-html.sh: loads the file, waits for it to settle, writes the screenshot; prints the error lines."""
    url = pathlib.Path(html).resolve().as_uri()      # percent-encodes spaces, "#", "%"

    def body(browser):
        browser.load(url)
        # Fonts ready and two frames painted, so the screenshot shows the finished layout.
        browser.evaluate("document.fonts.ready.then(() => new Promise(r => "
                         "requestAnimationFrame(() => requestAnimationFrame(r))))", await_promise=True)
        shot = browser.send("Page.captureScreenshot", {"format": "png", "fromSurface": True})
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        for line in browser.errors:
            print(line)
        return 1 if browser.errors else 0

    allow = lambda url: url.startswith(("file:", "data:", "about:", "blob:"))
    return run("render-html", int(timeout), int(width), int(height), allow, body)


def watch(url, expression, dump, timeout):
    """watch-page.sh: loads `url`, reads `expression` every 100 ms until it has given two different non-empty values,
    writes the page's HTML and text to `dump`; prints the readings, requests and error lines."""
    scheme, _, rest = url.partition("://")
    origin = scheme + "://" + rest.split("/", 1)[0]
    if scheme != "http" or not (origin.startswith("http://127.0.0.1:") or origin.startswith("http://[::1]:")):
        sys.stderr.write("watch-page: %s is not an http URL on loopback (127.0.0.1 or [::1] with a port)\n" % url)
        return 2

    def body(browser):
        browser.load(url)
        readings = []
        while len(readings) < 2:
            value = browser.evaluate(expression)
            if value not in (None, "") and (not readings or value != readings[-1]):
                readings.append(value)
                print("reading: " + json.dumps(value))
                sys.stdout.flush()
            browser.wait(0.1)
        for navigation in browser.navigations:
            browser.note("navigated: " + navigation)
        page = {"html": browser.evaluate("document.documentElement.outerHTML"),
                "text": browser.evaluate("document.body.innerText")}
        with open(dump, "w", encoding="utf-8") as f:
            json.dump(page, f)
        for request in browser.requests:
            print("request: " + request)
        for line in browser.errors:
            print(line)
        return 1 if browser.errors else 0

    allow = lambda request: request == origin or request.startswith(origin + "/")
    return run("watch-page", int(timeout), 1200, 1600, allow, body, direct=origin.split("://")[1].rsplit(":", 1)[0])


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    sys.exit({"render": render, "watch": watch}[command](*arguments))
