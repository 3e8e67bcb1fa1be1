import CCurl

/// A libcurl call that returned an error code.
///
/// Keeps the raw code, the call that failed and libcurl's own text for the code
/// (`curl_easy_strerror` for easy-interface codes, `curl_multi_strerror` for multi-interface codes).
/// `check(_:_:)` below is the single place where libcurl return codes are tested and turned into
/// Swift errors; the initialisers exist for the few calls that report failure without a code
/// (`curl_easy_init` returning `NULL`).
struct CurlError: Error, CustomStringConvertible {
    /// Which libcurl interface produced the code; the two number their codes independently.
    enum Interface: Sendable {
        /// A `CURLcode` from `curl_easy_*` calls or a finished transfer.
        case easy
        /// A `CURLMcode` from `curl_multi_*` calls.
        case multi
    }

    /// The interface whose code table `code` belongs to.
    let interface: Interface
    /// The raw `CURLcode` or `CURLMcode` value.
    let code: Int32
    /// The libcurl function (or transfer step) that failed.
    let function: String
    /// libcurl's text for `code`.
    let message: String

    /// Whether the code is `CURLE_OPERATION_TIMEDOUT` (a connect or total timeout expired).
    var isTimeout: Bool { interface == .easy && code == Int32(CURLE_OPERATION_TIMEDOUT.rawValue) }

    /// Wraps an easy-interface code, with `curl_easy_strerror`'s text.
    init(_ code: CURLcode, function: String) {
        self.interface = .easy
        self.code = Int32(code.rawValue)
        self.function = function
        self.message = String(cString: curl_easy_strerror(code))
    }

    /// Wraps a multi-interface code, with `curl_multi_strerror`'s text.
    init(_ code: CURLMcode, function: String) {
        self.interface = .multi
        self.code = code.rawValue
        self.function = function
        self.message = String(cString: curl_multi_strerror(code))
    }

    var description: String {
        let prefix = interface == .easy ? "CURLE" : "CURLM"
        return "\(function) failed: \(message) (\(prefix) \(code))"
    }
}

/// Throws a ``CurlError`` unless an easy-interface call returned `CURLE_OK`.
///
/// - Parameters:
///   - code: The value a `curl_easy_*` call returned, or a finished transfer's result.
///   - function: What was attempted, for the error's description; built only on failure (a transfer sets
///     about fifteen options, and their names would otherwise be formatted for every request).
/// - Throws: ``CurlError`` carrying `code` and `curl_easy_strerror`'s text.
func check(_ code: CURLcode, _ function: @autoclosure () -> String = #function) throws(CurlError) {
    guard code != CURLE_OK else { return }
    throw CurlError(code, function: function())
}

/// Throws a ``CurlError`` unless a multi-interface call returned `CURLM_OK`.
///
/// - Parameters:
///   - code: The value a `curl_multi_*` call returned.
///   - function: What was attempted, for the error's description; built only on failure.
/// - Throws: ``CurlError`` carrying `code` and `curl_multi_strerror`'s text.
func check(_ code: CURLMcode, _ function: @autoclosure () -> String = #function) throws(CurlError) {
    guard code != CURLM_OK else { return }
    throw CurlError(code, function: function())
}
