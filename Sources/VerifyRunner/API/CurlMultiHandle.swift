import CCurl

/// Owns one libcurl multi handle: the connection pool and the event loop state of the transport.
///
/// Every method is called from the transport thread only; `curl_multi_cleanup` runs in `deinit`,
/// after the loop has removed all easy handles and its callbacks.
final class CurlMultiHandle {
    /// The `CURLM *`; valid until `deinit`.
    private let raw: UnsafeMutableRawPointer

    /// Creates a multi handle that opens at most `maxConnections` connections at once and keeps as
    /// many alive in its cache.
    ///
    /// Transfers added beyond the limit wait inside libcurl until a connection frees up.
    /// - Throws: ``CurlError`` if libcurl cannot allocate the handle or refuses an option.
    init(maxConnections: Int) throws(CurlError) {
        guard let raw = curl_multi_init() else { throw CurlError(CURLM_OUT_OF_MEMORY, function: "curl_multi_init") }
        self.raw = raw
        try check(
            ccurl_multi_setopt_long(raw, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxConnections),
            "curl_multi_setopt(MAX_TOTAL_CONNECTIONS)")
        try check(ccurl_multi_setopt_long(raw, CURLMOPT_MAXCONNECTS, maxConnections), "curl_multi_setopt(MAXCONNECTS)")
    }

    deinit {
        curl_multi_cleanup(raw)
    }

    /// Starts driving `handle`'s transfer.
    func add(_ handle: CurlEasyHandle) throws(CurlError) {
        try check(curl_multi_add_handle(raw, handle.raw), "curl_multi_add_handle")
    }

    /// Stops driving `handle`'s transfer (finished or not); its connection returns to the cache.
    func remove(_ handle: CurlEasyHandle) throws(CurlError) {
        try check(curl_multi_remove_handle(raw, handle.raw), "curl_multi_remove_handle")
    }

    /// Installs libcurl's socket and timer callbacks (`CURLMOPT_SOCKETFUNCTION`,
    /// `CURLMOPT_TIMERFUNCTION`), both called with `context`, or removes them (`nil`).
    func setEventCallbacks(
        socket: curl_socket_callback?, timer: curl_multi_timer_callback?, context: UnsafeMutableRawPointer?
    ) throws(CurlError) {
        try check(ccurl_multi_setopt_socket_function(raw, socket), "curl_multi_setopt(SOCKETFUNCTION)")
        try check(ccurl_multi_setopt_pointer(raw, CURLMOPT_SOCKETDATA, context), "curl_multi_setopt(SOCKETDATA)")
        try check(ccurl_multi_setopt_timer_function(raw, timer), "curl_multi_setopt(TIMERFUNCTION)")
        try check(ccurl_multi_setopt_pointer(raw, CURLMOPT_TIMERDATA, context), "curl_multi_setopt(TIMERDATA)")
    }

    /// Lets libcurl act on `socket`, which is ready as `select` says (`CURL_CSELECT_*`).
    func socketReady(_ socket: Int32, select: Int32) throws(CurlError) {
        var running: Int32 = 0
        try check(curl_multi_socket_action(raw, socket, select, &running), "curl_multi_socket_action")
    }

    /// Lets libcurl act on its timeout (new transfers, timeouts, retries).
    func timeoutDue() throws(CurlError) {
        var running: Int32 = 0
        try check(
            curl_multi_socket_action(raw, ccurl_socket_timeout(), 0, &running), "curl_multi_socket_action(TIMEOUT)")
    }

    /// Returns the next finished transfer's easy handle and result, or `nil` when none is left.
    ///
    /// The values are copied out of libcurl's message, which does not survive
    /// ``remove(_:)``.
    func nextFinished() -> (handle: UnsafeMutableRawPointer, result: CURLcode)? {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(raw, &remaining) {
            if message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle {
                return (handle, message.pointee.data.result)
            }
        }
        return nil
    }
}

@available(*, unavailable)
extension CurlMultiHandle: Sendable {}
