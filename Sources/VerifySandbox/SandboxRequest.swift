import NIOCore
import NIOHTTP1

/// One complete HTTP request as the sandbox's pipeline sees it: the head, split into path and query, and the
/// whole body.
struct SandboxRequest: Sendable {
    /// The HTTP method.
    var method: HTTPMethod
    /// The path, without the query string, e.g. `/v2/Services/VA…/Verifications`.
    var path: Substring
    /// The raw query string after `?`, empty when there is none.
    var query: Substring
    /// The request headers.
    var headers: HTTPHeaders
    /// The body bytes, empty when there is none.
    var body: [UInt8]

    /// Splits a request head's URI into path and query.
    init(head: HTTPRequestHead, body: [UInt8]) {
        self.method = head.method
        self.headers = head.headers
        self.body = body
        let uri = Substring(head.uri)
        if let mark = uri.firstIndex(of: "?") {
            path = uri[..<mark]
            query = uri[uri.index(after: mark)...]
        } else {
            path = uri
            query = ""
        }
    }

    /// The path's segments, without empty ones (`/v2/Services/VA1/Verifications` → `v2`, `Services`, …).
    var pathSegments: [Substring] {
        path.split(separator: "/")
    }

    /// The decoded query-string parameters.
    var queryParameters: [String: String] {
        FormDecoding.decode(query.utf8)
    }

    /// The decoded form-body parameters.
    var formParameters: [String: String] {
        FormDecoding.decode(body)
    }

    /// Whether the client declared a JSON body.
    var hasJSONBody: Bool {
        headers.first(name: "content-type")?.lowercased().contains("json") ?? false
    }
}

/// A reply the sandbox sends: a status code and a JSON body.
struct SandboxResponse: Sendable {
    /// The HTTP status code.
    var status: Int
    /// The body, UTF-8 JSON.
    var body: [UInt8]
    /// Extra response headers (e.g. `Retry-After`), beside Content-Type, Content-Length and Connection.
    var headers: [(name: String, value: String)] = []
}

extension SandboxResponse {
    /// The answer when the sandbox itself failed (it never should).
    static let internalError = SandboxResponse(
        status: 500, body: Array(#"{"message":"sandbox internal error","status":500}"#.utf8))
}
