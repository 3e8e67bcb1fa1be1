import CCurl

/// Owns one libcurl multi handle: the connection pool and the event loop state of the transport.
///
/// Every method except ``wakeup`` is called from the transport thread only; `curl_multi_cleanup`
/// runs in `deinit`, after the loop has removed all easy handles.
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

    /// The one capability other threads get: waking ``poll(timeoutMilliseconds:)``.
    var wakeup: CurlMultiWakeup { CurlMultiWakeup(raw: raw) }

    /// Starts driving `handle`'s transfer.
    func add(_ handle: CurlEasyHandle) throws(CurlError) {
        try check(curl_multi_add_handle(raw, handle.raw), "curl_multi_add_handle")
    }

    /// Stops driving `handle`'s transfer (finished or not); its connection returns to the cache.
    func remove(_ handle: CurlEasyHandle) throws(CurlError) {
        try check(curl_multi_remove_handle(raw, handle.raw), "curl_multi_remove_handle")
    }

    /// Does whatever network work is ready now, without blocking.
    func perform() throws(CurlError) {
        var running: Int32 = 0
        try check(curl_multi_perform(raw, &running), "curl_multi_perform")
    }

    /// Sleeps until a socket is ready, libcurl's next internal timeout, `timeoutMilliseconds`, or a
    /// ``CurlMultiWakeup/wake()`` from another thread, whichever comes first.
    func poll(timeoutMilliseconds: Int32) throws(CurlError) {
        try check(curl_multi_poll(raw, nil, 0, timeoutMilliseconds, nil), "curl_multi_poll")
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

/// Wakes the transport thread out of `curl_multi_poll` from any thread.
///
/// `@unchecked Sendable`: it wraps the raw `CURLM *` only to call `curl_multi_wakeup`, which libcurl
/// documents as callable from any thread. The pointer stays valid because ``TransferQueue`` calls
/// ``wake()`` only under its lock while it is open, and the transport thread cleans the multi handle
/// up only after it has seen the queue closed under that same lock.
struct CurlMultiWakeup: @unchecked Sendable {
    /// The `CURLM *` to wake.
    fileprivate let raw: UnsafeMutableRawPointer

    /// Makes the current or next `curl_multi_poll` return at once.
    func wake() {
        // Only fails for an invalid handle, which the type's invariant rules out.
        _ = curl_multi_wakeup(raw)
    }
}
