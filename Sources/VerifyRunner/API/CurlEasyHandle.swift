import CCurl

/// Owns one libcurl easy handle and its error buffer.
///
/// The handle is reused across transfers: ``reset()`` returns it to its initial state while libcurl
/// keeps live connections and caches in the multi handle. The type is not thread-safe, like the C
/// handle it owns: it lives on the transport thread for its whole life.
///
/// `curl_easy_cleanup` runs in `deinit`. The error buffer (`CURLOPT_ERRORBUFFER`) is allocated once
/// per handle and outlives every transfer that writes into it.
final class CurlEasyHandle {
    /// The `CURL *`; valid until `deinit`.
    let raw: UnsafeMutableRawPointer
    /// `CURL_ERROR_SIZE` bytes that libcurl fills with a detailed message when a transfer fails.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Creates a fresh easy handle.
    ///
    /// - Throws: ``CurlError`` (`CURLE_FAILED_INIT`) if libcurl cannot allocate one.
    init() throws(CurlError) {
        guard let raw = curl_easy_init() else { throw CurlError(CURLE_FAILED_INIT, function: "curl_easy_init") }
        self.raw = raw
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }

    /// Sets a `long` option.
    func set(_ option: CURLoption, long value: Int) throws(CurlError) {
        try check(ccurl_easy_setopt_long(raw, option, value), "curl_easy_setopt(\(option.rawValue))")
    }

    /// Sets a string option; libcurl copies the string.
    func set(_ option: CURLoption, string value: String) throws(CurlError) {
        try check(ccurl_easy_setopt_string(raw, option, value), "curl_easy_setopt(\(option.rawValue))")
    }

    /// Sets a pointer option; the caller keeps the pointee alive while the handle may use it.
    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws(CurlError) {
        try check(ccurl_easy_setopt_pointer(raw, option, value), "curl_easy_setopt(\(option.rawValue))")
    }

    /// Sets a `curl_off_t` option.
    func set(_ option: CURLoption, offT value: curl_off_t) throws(CurlError) {
        try check(ccurl_easy_setopt_off_t(raw, option, value), "curl_easy_setopt(\(option.rawValue))")
    }

    /// Installs the body callback (`CURLOPT_WRITEFUNCTION`).
    func setWriteFunction(_ callback: curl_write_callback) throws(CurlError) {
        try check(ccurl_easy_setopt_write_function(raw, callback), "curl_easy_setopt(WRITEFUNCTION)")
    }

    /// Installs the response header callback (`CURLOPT_HEADERFUNCTION`).
    func setHeaderFunction(_ callback: curl_write_callback) throws(CurlError) {
        try check(ccurl_easy_setopt_header_function(raw, callback), "curl_easy_setopt(HEADERFUNCTION)")
    }

    /// Installs the request body callback (`CURLOPT_READFUNCTION`).
    func setReadFunction(_ callback: curl_read_callback) throws(CurlError) {
        try check(ccurl_easy_setopt_read_function(raw, callback), "curl_easy_setopt(READFUNCTION)")
    }

    /// Installs the request body rewind callback (`CURLOPT_SEEKFUNCTION`).
    func setSeekFunction(_ callback: curl_seek_callback) throws(CurlError) {
        try check(ccurl_easy_setopt_seek_function(raw, callback), "curl_easy_setopt(SEEKFUNCTION)")
    }

    /// Installs the callback that runs immediately before the request is sent (`CURLOPT_PREREQFUNCTION`).
    func setPrerequestFunction(_ callback: curl_prereq_callback) throws(CurlError) {
        try check(ccurl_easy_setopt_prereq_function(raw, callback), "curl_easy_setopt(PREREQFUNCTION)")
    }

    /// Clears the error buffer and points `CURLOPT_ERRORBUFFER` at it (``reset()`` unsets it).
    func attachErrorBuffer() throws(CurlError) {
        errorBuffer[0] = 0
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
    }

    /// The detail libcurl wrote into the error buffer for the last failed transfer, or "".
    var errorDetail: String { String(cString: errorBuffer) }

    /// Reads a `long` value of the last transfer.
    func info(long info: CURLINFO) throws(CurlError) -> Int {
        var value = 0
        try check(ccurl_easy_getinfo_long(raw, info, &value), "curl_easy_getinfo(\(info.rawValue))")
        return value
    }

    /// Reads a `curl_off_t` value of the last transfer.
    func info(offT info: CURLINFO) throws(CurlError) -> curl_off_t {
        var value: curl_off_t = 0
        try check(ccurl_easy_getinfo_off_t(raw, info, &value), "curl_easy_getinfo(\(info.rawValue))")
        return value
    }

    /// Returns every option to its default, keeping connections, DNS and TLS session caches.
    func reset() {
        curl_easy_reset(raw)
    }
}

@available(*, unavailable)
extension CurlEasyHandle: Sendable {}
