import CCurl

/// Why a transfer produced no HTTP response.
///
/// ``requestMayHaveBeenSent`` is what retry logic must look at: when it is `false` the request
/// provably never left the process (DNS failure, connection refused, connect timeout, transport
/// shut down before the transfer started) and resending is safe; when it is `true` the server may
/// have acted on it, so the outcome is "in doubt".
public struct TransportFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The libcurl `CURLcode` (e.g. 6 could not resolve, 7 could not connect, 28 timed out,
    /// 52 empty reply, 42 aborted: the transport was shut down).
    public var curlCode: Int32
    /// curl's text for the code, followed by the detail from `CURLOPT_ERRORBUFFER` when there is one.
    public var message: String
    /// `true` when the request may have reached the server: bytes of it were sent
    /// (`CURLINFO_REQUEST_SIZE` > 0) or a connection was established before the failure.
    /// `false` when it provably never left.
    public var requestMayHaveBeenSent: Bool
    /// `true` when the connect timeout or the total timeout expired.
    public var isTimeout: Bool

    /// Creates a failure (the transport does; tests and fakes may too).
    public init(curlCode: Int32, message: String, requestMayHaveBeenSent: Bool, isTimeout: Bool) {
        self.curlCode = curlCode
        self.message = message
        self.requestMayHaveBeenSent = requestMayHaveBeenSent
        self.isTimeout = isTimeout
    }

    /// One line naming the failed transfer, curl's message and code, and whether the request may
    /// have been sent.
    public var description: String {
        let fate = requestMayHaveBeenSent ? "request may have been sent" : "request not sent"
        return "HTTP transfer failed: \(message) (curl code \(curlCode); \(fate))"
    }

    /// The failure of a request held back because its ``SendDeadline`` had passed when the transport thread was
    /// about to write it: nothing that could start a verification left (at most its header, never its body).
    public static let heldBackAtDeadline = TransportFailure(
        curlCode: Int32(CURLE_ABORTED_BY_CALLBACK.rawValue), message: "held back: its send deadline had passed",
        requestMayHaveBeenSent: false, isTimeout: false)

    /// Whether this is ``heldBackAtDeadline``.
    public var wasHeldBackAtDeadline: Bool { self == Self.heldBackAtDeadline }

    /// The failure of a transfer that ``CurlTransport/shutdown()`` ended, or that was sent after it.
    static func shutDown(requestMayHaveBeenSent: Bool) -> TransportFailure {
        TransportFailure(
            curlCode: Int32(CURLE_ABORTED_BY_CALLBACK.rawValue), message: "transport shut down",
            requestMayHaveBeenSent: requestMayHaveBeenSent, isTimeout: false)
    }
}
