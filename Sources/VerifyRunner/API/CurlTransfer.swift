import CCurl

/// One request on its way through the multi handle: the easy handle it borrowed from the pool, its
/// request header list and the response being assembled.
///
/// Lives on the transport thread. libcurl's callbacks find it through `CURLOPT_WRITEDATA`,
/// `CURLOPT_HEADERDATA`, `CURLOPT_READDATA`, `CURLOPT_SEEKDATA` and `CURLOPT_PREREQDATA`, which hold an
/// unretained pointer: ``CurlMultiLoop`` keeps the transfer alive in its table of active transfers until the
/// easy handle is out of the multi handle. The header list (`curl_slist`) is freed in `deinit`, which only runs
/// after that removal.
final class CurlTransfer {
    /// The caller's request and completion.
    let queued: QueuedTransfer
    /// The pooled easy handle doing the transfer.
    let handle: CurlEasyHandle
    /// `CURLOPT_HTTPHEADER`'s list; libcurl reads it until the transfer is removed.
    private var requestHeaders: UnsafeMutablePointer<curl_slist>?
    /// Headers of the latest response seen (reset at each status line, e.g. after `100 Continue`).
    private var responseHeaders: [String: String] = [:]
    /// The response body received so far.
    private var body: [UInt8] = []
    /// How many bytes of the request body libcurl has read so far.
    private var bodyOffset = 0
    /// Where the deadline checks this transfer passes are noted, for the loop's look once the turn is over.
    private let passedChecks: PassedDeadlineChecks
    /// Set when the request was held back at its deadline.
    private var wasHeldBack = false

    /// Pairs a queued request with a clean easy handle.
    init(_ queued: QueuedTransfer, handle: CurlEasyHandle, passedChecks: PassedDeadlineChecks) {
        self.queued = queued
        self.handle = handle
        self.passedChecks = passedChecks
    }

    deinit {
        curl_slist_free_all(requestHeaders)
    }

    /// Sets every option the request needs on the (freshly reset) easy handle.
    ///
    /// Besides the request itself this always sets `NOSIGNAL`, both timeouts, the http/https-only
    /// protocol list and HTTP/2 over TLS (with `PIPEWAIT` for https), so connections multiplex where
    /// the server offers it. TLS verification keeps libcurl's default (on).
    /// - Throws: ``CurlError`` if libcurl refuses an option or cannot allocate the header list.
    func configure(_ configuration: CurlTransport.Configuration) throws(CurlError) {
        let request = queued.request
        try handle.set(CURLOPT_NOSIGNAL, long: 1)
        try handle.set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        // TLS peer and host verification are libcurl's defaults; set here so no reused handle or
        // environment can have them off. verifyd has no option to turn them off.
        try handle.set(CURLOPT_SSL_VERIFYPEER, long: 1)
        try handle.set(CURLOPT_SSL_VERIFYHOST, long: 2)
        try handle.set(CURLOPT_URL, string: request.url)
        try handle.set(CURLOPT_CONNECTTIMEOUT_MS, long: configuration.connectTimeout.curlMilliseconds)
        try handle.set(CURLOPT_TIMEOUT_MS, long: (queued.timeout ?? configuration.totalTimeout).curlMilliseconds)
        try handle.set(CURLOPT_USERAGENT, string: configuration.userAgent)
        try handle.set(CURLOPT_HTTP_VERSION, long: CURL_HTTP_VERSION_2TLS)
        if request.url.prefix(6).lowercased() == "https:" {
            // Wait for a connection being set up to learn (by ALPN) whether it multiplexes, rather
            // than open another. Not for plain http: that is always HTTP/1.1 here, and libcurl only
            // learns so from the first response, so a slow first reply would hold back the rest.
            try handle.set(CURLOPT_PIPEWAIT, long: 1)
        }
        try handle.attachErrorBuffer()

        let context = Unmanaged.passUnretained(self).toOpaque()
        try handle.setWriteFunction { data, size, count, context in
            let length = size * count
            guard let data, let context else { return length }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            return length
        }
        try handle.set(CURLOPT_WRITEDATA, pointer: context)
        try handle.setHeaderFunction { data, size, count, context in
            let length = size * count
            guard let data, let context else { return length }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
            return length
        }
        try handle.set(CURLOPT_HEADERDATA, pointer: context)

        for header in request.headers {
            // "Name;" is libcurl's spelling of a header with an empty value ("Name:" would remove it).
            try appendRequestHeader(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        if request.method == .post {
            // No "Expect: 100-continue" round trip before larger bodies.
            try appendRequestHeader("Expect:")
            try configureBodyThatIsNeverReplayed(context: context)
        }
        if queued.deadline != nil {
            try handle.setPrerequestFunction { context, _, _, _, _ in
                guard let context else { return CURL_PREREQFUNC_OK }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                return transfer.mayLeaveNow() ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT
            }
            try handle.set(CURLOPT_PREREQDATA, pointer: context)
        }
        if let requestHeaders {
            try handle.set(CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(requestHeaders))
        }
    }

    /// Sends the POST body through a read callback whose seek callback refuses to rewind once any of
    /// the body was read.
    ///
    /// libcurl re-sends a request by itself when a reused HTTP/1.1 connection dies before the answer,
    /// which for a POST that reached the server is a second verification (a second SMS) that nobody
    /// asked for. It must rewind the body to do so; refused, it fails the transfer with
    /// `CURLE_SEND_FAIL_REWIND` instead, and the row goes through `in_doubt` like any request whose
    /// fate is unknown. (libcurl 7.88 has no option to turn those retries off.)
    private func configureBodyThatIsNeverReplayed(context: UnsafeMutableRawPointer) throws(CurlError) {
        try handle.set(CURLOPT_POST, long: 1)
        try handle.set(CURLOPT_POSTFIELDSIZE_LARGE, offT: curl_off_t(queued.request.body.count))
        try handle.setReadFunction { buffer, size, count, context in
            guard let buffer, let context else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.readBody(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
        }
        try handle.set(CURLOPT_READDATA, pointer: context)
        try handle.setSeekFunction { context, offset, origin in
            guard let context else { return Int32(CURL_SEEKFUNC_FAIL) }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            let isUnread = transfer.bodyOffset == 0 && offset == 0 && origin == SEEK_SET
            return Int32(isUnread ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL)
        }
        try handle.set(CURLOPT_SEEKDATA, pointer: context)
    }

    /// Copies the next bytes of the request body into libcurl's buffer; 0 at the end. Past the deadline the
    /// body is never handed over (`CURL_READFUNC_ABORT`): a request without its body starts nothing.
    private func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let requestBody = queued.request.body
        let count = min(buffer.count, requestBody.count - bodyOffset)
        guard count > 0 else { return 0 }
        guard bodyOffset > 0 || mayLeaveNow() else { return Int(CURL_READFUNC_ABORT) }
        requestBody.withUnsafeBytes { bytes in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[bodyOffset..<bodyOffset + count]))
        }
        bodyOffset += count
        return count
    }

    /// Whether the request may leave now, by its deadline (always without one). A pass is noted for the look
    /// after the turn (``PassedDeadlineChecks``); a refusal holds the request back for good.
    private func mayLeaveNow() -> Bool {
        guard let deadline = queued.deadline else { return true }
        let moment = deadline.nanoseconds
        guard !wasHeldBack, BootClock.now() < moment else {
            if !wasHeldBack { deadline.noteHeldBack() }
            wasHeldBack = true
            return false
        }
        passedChecks.note(deadline, moment: moment)
        return true
    }

    /// Appends one line to the request header list.
    private func appendRequestHeader(_ line: String) throws(CurlError) {
        guard let list = curl_slist_append(requestHeaders, line) else {
            throw CurlError(CURLE_OUT_OF_MEMORY, function: "curl_slist_append")
        }
        requestHeaders = list
    }

    /// Records one response header line as libcurl delivers it (status line and final blank line
    /// included, each with its CRLF).
    private func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        if line.starts(with: "HTTP/".utf8) {
            responseHeaders.removeAll(keepingCapacity: true)
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
        responseHeaders[name] = String(decoding: line[(colon + 1)...].trimmingHTTPWhitespace(), as: UTF8.self)
    }

    /// The caller's result for a transfer libcurl finished with `code`.
    func outcome(_ code: CURLcode) -> Result<HTTPResponse, TransportFailure> {
        if wasHeldBack { return .failure(.heldBackAtDeadline) }
        do throws(CurlError) {
            try check(code, "HTTP transfer")
            let status = try handle.info(long: CURLINFO_RESPONSE_CODE)
            return .success(HTTPResponse(status: status, headers: responseHeaders, body: body))
        } catch {
            let detail = handle.errorDetail
            return .failure(
                TransportFailure(
                    curlCode: error.code, message: detail.isEmpty ? error.message : "\(error.message): \(detail)",
                    requestMayHaveBeenSent: error.code == Int32(CURLE_SEND_FAIL_REWIND.rawValue)
                        || requestMayHaveBeenSent,
                    isTimeout: error.isTimeout))
        }
    }

    /// Whether any of the request may have reached the server: bytes of it were written, or a
    /// connection was established. Read before the handle is reset.
    ///
    /// A value libcurl cannot report counts as "may have been sent": wrongly answering "not sent"
    /// could make the caller send the request twice.
    var requestMayHaveBeenSent: Bool {
        let requestBytes = (try? handle.info(long: CURLINFO_REQUEST_SIZE)) ?? 1
        let connectMicroseconds = (try? handle.info(offT: CURLINFO_CONNECT_TIME_T)) ?? 1
        return requestBytes > 0 || connectMicroseconds > 0
    }
}

@available(*, unavailable)
extension CurlTransfer: Sendable {}

extension Duration {
    /// The duration in whole milliseconds for libcurl's `*_MS` options, at least 1 (0 means "no
    /// timeout" to libcurl) and clamped to `Int`.
    fileprivate var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? 1 : Int.max }
        return Int(clamping: max(1, milliseconds + attoseconds / 1_000_000_000_000_000))
    }
}

extension Slice<UnsafeRawBufferPointer> {
    /// The bytes without leading and trailing spaces, tabs, CR and LF.
    fileprivate func trimmingHTTPWhitespace() -> Slice<UnsafeRawBufferPointer> {
        let isWhitespace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        guard let first = firstIndex(where: { !isWhitespace($0) }),
            let last = lastIndex(where: { !isWhitespace($0) })
        else { return self[endIndex...] }
        return self[first...last]
    }
}
