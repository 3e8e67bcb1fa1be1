/// A complete HTTP response: any status the server sent, 4xx and 5xx included.
public struct HTTPResponse: Sendable, Equatable {
    /// The status code of the final response (after any `100 Continue`).
    public var status: Int
    /// Response headers with lowercased names; when a name repeats, the last value wins.
    public var headers: [String: String]
    /// The response body, decoded from any transfer encoding.
    public var body: [UInt8]

    /// Creates a response (the transport does; tests and fakes may too).
    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
