/// An HTTP request as the providers build it.
///
/// ``CurlTransport`` sends it as is: redirects are not followed, and libcurl adds only `Host`,
/// `User-Agent`, `Accept: */*`, `Content-Length` and, for a `post` without one, `Content-Type:
/// application/x-www-form-urlencoded`.
///
/// ```swift
/// let request = HTTPRequest(
///     method: .post, url: "https://verify.twilio.com/v2/Services/VA.../Verifications",
///     headers: [.init(name: "Content-Type", value: "application/x-www-form-urlencoded")],
///     body: Array("To=%2B15005550006&Channel=sms".utf8))
/// ```
public struct HTTPRequest: Sendable, Equatable {
    /// The HTTP methods the providers use.
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    /// One request header line.
    public struct Header: Sendable, Equatable {
        /// The field name, e.g. `Authorization`.
        public var name: String
        /// The field value; an empty value is sent as an empty header.
        public var value: String

        /// Creates a header line.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The method; `post` sends ``body``, `get` sends no body.
    public var method: Method
    /// The absolute `http://` or `https://` URL, query included.
    public var url: String
    /// Header lines in the order they are sent.
    public var headers: [Header]
    /// The request body (ignored for `get`).
    public var body: [UInt8]

    /// Creates a request.
    public init(method: Method, url: String, headers: [Header] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}
