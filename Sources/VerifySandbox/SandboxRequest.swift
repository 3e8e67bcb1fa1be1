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
        if let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = uri[..<mark]
            query = uri[uri.index(after: mark)...]
        } else {
            path = uri
            query = ""
        }
    }

    /// The path's segments, without empty ones (`/v2/Services/VA1/Verifications` → `v2`, `Services`, …).
    ///
    /// Split on the UTF-8 bytes: a `/` always stands alone, and byte-wise search avoids grapheme breaking.
    var pathSegments: [Substring] {
        var segments: [Substring] = []
        segments.reserveCapacity(6)
        let utf8 = path.utf8
        var start = utf8.startIndex
        while start != utf8.endIndex {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: "/")) ?? utf8.endIndex
            if start != end { segments.append(path[start..<end]) }
            start = end == utf8.endIndex ? end : utf8.index(after: end)
        }
        return segments
    }

    /// The decoded query-string parameters.
    var queryParameters: FormParameters {
        FormDecoding.decode(query.utf8)
    }

    /// The decoded form-body parameters.
    var formParameters: FormParameters {
        FormDecoding.decode(body)
    }

    /// Whether the client declared a JSON body: its `Content-Type` contains `json` in any case.
    var hasJSONBody: Bool {
        guard let contentType = headers.first(name: "content-type") else { return false }
        // One pass, no copy: "json" repeats no prefix of itself, so a mismatch restarts at most at its `j`.
        let pattern = Self.json
        var matched = 0
        for byte in contentType.utf8 {
            let lowered = byte | 0x20  // only J/j, S/s, O/o, N/n become one of "json"
            if lowered == pattern[matched] {
                matched += 1
                if matched == pattern.count { return true }
            } else {
                matched = lowered == pattern[0] ? 1 : 0
            }
        }
        return false
    }

    /// `json`, the marker of a JSON content type.
    private static let json = Array("json".utf8)
}

/// A reply the sandbox sends: a status code and a JSON body.
struct SandboxResponse: Sendable {
    /// The HTTP status code.
    var status: Int
    /// The body, UTF-8 JSON.
    var body: [UInt8]
    /// Extra response headers (e.g. `Retry-After`), beside Content-Type, Content-Length and Connection.
    var headers: [(name: String, value: String)] = []
    /// The code line this request printed, if any: the answer is held until the line is written.
    var codeLine: CodeLog.Ticket?
}

extension SandboxResponse {
    /// The answer when the sandbox itself failed (it never should).
    static let internalError = SandboxResponse(
        status: 500, body: Array(#"{"message":"sandbox internal error","status":500}"#.utf8))
}
