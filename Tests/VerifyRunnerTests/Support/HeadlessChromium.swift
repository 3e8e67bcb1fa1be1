import Foundation

/// Renders a self-contained HTML page in headless Chromium (Debian's `chromium`) through
/// `scripts/render-html.sh`, for tests that look at a page in a real browser: the screenshot, and the
/// console errors, failed loads and network requests the page caused (a self-contained page has none);
/// or watches a page served on loopback update itself (``watch(url:expression:dump:timeout:)``).
/// Every call blocks (about 1.5 s a render); from an `async` test, call it inside ``offThePool(_:)``.
enum HeadlessChromium {
    /// Why there is no render to judge (as opposed to a page that rendered with errors).
    enum Failure: Error, CustomStringConvertible {
        /// Neither `$CHROMIUM`, `/usr/lib/chromium/chromium` nor `chromium` on `PATH` exists.
        case chromiumMissing
        /// The script failed (Chromium crashed or timed out, python3 missing…): its standard error.
        case renderFailed(status: Int32, stderr: String)
        /// `scripts/watch-page.sh` failed (the value did not change in time, Chromium crashed…): its standard error
        /// and the readings it printed.
        case watchFailed(status: Int32, output: String)
        /// The script succeeded but the PNG is missing or empty.
        case noPNG(String)
        /// The file does not start with a PNG signature and IHDR chunk.
        case notPNG(String)
        /// The python3 PNG decoder failed: its standard error.
        case decodeFailed(String)

        var description: String {
            switch self {
            case .chromiumMissing:
                return "headless Chromium not found: apt-get install chromium (or make deps), or set $CHROMIUM"
            case .renderFailed(let status, let stderr):
                return "scripts/render-html.sh exited \(status): "
                    + stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            case .watchFailed(let status, let output):
                return "scripts/watch-page.sh exited \(status): "
                    + output.trimmingCharacters(in: .whitespacesAndNewlines)
            case .noPNG(let path): return "Chromium wrote no PNG to \(path)"
            case .notPNG(let path): return "not a PNG: \(path)"
            case .decodeFailed(let stderr):
                return "cannot decode the PNG: " + stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
    }

    /// The repository's root: three folders above `Tests/VerifyRunnerTests/Support/`.
    static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Whether a Chromium binary is there, the way the script looks for it (for `.enabled(if:)`).
    static var isAvailable: Bool {
        if let override = ProcessInfo.processInfo.environment["CHROMIUM"] {
            return FileManager.default.isExecutableFile(atPath: override)
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let candidates =
            ["/usr/lib/chromium/chromium"]
            + path.split(separator: ":").flatMap { ["\($0)/chromium", "\($0)/chromium-browser"] }
        return candidates.contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Renders the page at path `html` into a `width`×`height` PNG at `png` and returns its error lines,
    /// empty for a clean page. Each line starts with `uncaught-exception:`, `console-error:`,
    /// `log-error:`, `load-failed:` or `network-request:` (any request not `file:`/`data:`; it is
    /// failed, never sent). Throws ``Failure`` when there is no render to judge.
    static func render(html: String, to png: String, width: Int = 1200, height: Int = 1600) throws -> [String] {
        guard isAvailable else { throw Failure.chromiumMissing }
        let output = try run(
            "/bin/bash", [repositoryRoot + "/scripts/render-html.sh", html, png, String(width), String(height)])
        guard output.status == 0 || output.status == 1 else {
            throw Failure.renderFailed(status: output.status, stderr: output.stderr)
        }
        guard (try? pngSize(png)) != nil else { throw Failure.noPNG(png) }
        return output.stdout.split(separator: "\n").map(String.init)
    }

    /// What `scripts/watch-page.sh` saw of a page served on loopback, kept open until an expression changed.
    struct PageWatch {
        /// The expression's values, each a JSON text, in order: at least two, each unlike the one before.
        let readings: [String]
        /// Every URL the page asked for, in order.
        let requests: [String]
        /// The page's errors, as ``HeadlessChromium/render(html:to:width:height:)`` returns them, and `navigated:`
        /// lines for reloads; empty for a clean page.
        let errors: [String]
        /// The page once the value had changed: its HTML (`outerHTML`) and its text (`innerText`).
        let html: String
        let text: String
    }

    /// Loads `url` (`http://127.0.0.1:PORT/…`) and reads `expression` in the same page until its value changes,
    /// through `scripts/watch-page.sh`, which fails (``Failure/watchFailed(status:output:)``) when it has not
    /// changed within `timeout` seconds. Requests to any other origin are failed, never sent, and reported as
    /// errors. `dump` is a scratch file for the page's HTML and text.
    static func watch(url: String, expression: String, dump: String, timeout: Int = 60) throws -> PageWatch {
        guard isAvailable else { throw Failure.chromiumMissing }
        let output = try BuiltBinary.runToEnd(
            ["/usr/bin/env", "WATCH_PAGE_TIMEOUT=\(timeout)", "/bin/bash", repositoryRoot + "/scripts/watch-page.sh"]
                + [url, expression, dump])
        guard output.status == 0 || output.status == 1 else {
            throw Failure.watchFailed(status: output.status, output: output.stderr + output.stdout)
        }
        let lines = output.stdout.split(separator: "\n").map(String.init)
        let tagged = { (tag: String) in lines.filter { $0.hasPrefix(tag) }.map { String($0.dropFirst(tag.count)) } }
        let page =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dump))) as? [String: Any]
        return PageWatch(
            readings: tagged("reading: "), requests: tagged("request: "),
            errors: lines.filter { !$0.hasPrefix("reading: ") && !$0.hasPrefix("request: ") },
            html: page?["html"] as? String ?? "", text: page?["text"] as? String ?? "")
    }

    /// The width and height of the PNG at `path`, from its IHDR chunk.
    static func pngSize(_ path: String) throws -> (width: Int, height: Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure.noPNG(path) }
        defer { try? handle.close() }
        let head = [UInt8](try handle.read(upToCount: 24) ?? Data())
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard head.count == 24, Array(head[0..<8]) == signature, Array(head[12..<16]) == Array("IHDR".utf8)
        else { throw Failure.notPNG(path) }
        let bigEndian = { (offset: Int) in head[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (bigEndian(16), bigEndian(20))
    }

    /// How many distinct pixel values the PNG at `path` holds, counting no further than `limit`: 1 for a
    /// blank page. Decoded by python3's zlib (8-bit grey or RGB(A), not interlaced, as Chromium writes
    /// them); a few seconds at most for 1200×1600, less when `limit` is reached early.
    static func distinctColors(in path: String, upTo limit: Int = 64) throws -> Int {
        let output = try run("/usr/bin/env", ["python3", "-c", countColors, path, String(limit)])
        guard output.status == 0, let count = Int(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw Failure.decodeFailed(output.stderr) }
        return count
    }

    /// Whether the PNG at `path` is one colour all over, as a page that painted nothing is.
    static func isBlank(_ path: String) throws -> Bool {
        try distinctColors(in: path, upTo: 2) < 2
    }

    /// Runs `executable ARGUMENTS` to completion.
    private static func run(_ executable: String, _ arguments: [String]) throws -> BuiltBinary.Output {
        try BuiltBinary.runToEnd([executable] + arguments)
    }

    /// python3 PATH LIMIT: prints the number of distinct pixel values (at most LIMIT) of an 8-bit PNG.
    private static let countColors = #"""
        import struct, sys, zlib
        path, limit = sys.argv[1], int(sys.argv[2])
        data = open(path, "rb").read()
        if data[:8] != b"\x89PNG\r\n\x1a\n":
            sys.exit("not a PNG")
        pos, idat, ihdr = 8, [], None
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            if kind == b"IHDR":
                ihdr = struct.unpack(">IIBBBBB", data[pos + 8:pos + 21])
            elif kind == b"IDAT":
                idat.append(data[pos + 8:pos + 8 + length])
            pos += 12 + length
        width, height, depth, color_type, _, _, interlace = ihdr
        if depth != 8 or interlace != 0 or color_type not in (0, 2, 4, 6):
            sys.exit("unsupported PNG: %r" % (ihdr,))
        bpp = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
        stride = width * bpp
        raw = zlib.decompress(b"".join(idat))
        prev, seen = bytearray(stride), set()
        for y in range(height):
            start = y * (stride + 1)
            kind, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])   # filter type, row
            if kind == 2 and not any(row):
                row = bytearray(prev)                     # "same as the row above": common, so fast
            elif kind == 1:
                for i in range(bpp, stride): row[i] = (row[i] + row[i - bpp]) & 255
            elif kind == 2:
                for i in range(stride): row[i] = (row[i] + prev[i]) & 255
            elif kind == 3:
                for i in range(stride):
                    row[i] = (row[i] + ((row[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
            elif kind == 4:
                for i in range(stride):
                    a, b = (row[i - bpp] if i >= bpp else 0), prev[i]
                    c = prev[i - bpp] if i >= bpp else 0
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            seen.update(bytes(row[i:i + bpp]) for i in range(0, stride, bpp))
            if len(seen) >= limit:
                break
            prev = row
        print(min(len(seen), limit))
        """#
}
