import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A complete HTTP response as the tests see it.
struct TestResponse: Sendable {
    /// The status code.
    var status: Int
    /// The response headers.
    var headers: HTTPHeaders
    /// The body bytes.
    var body: [UInt8]

    /// Decodes the JSON body, mapping the wire's snake-case keys to camel-case properties.
    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(type, from: Data(body))
    }

    /// The body as text, for failure messages.
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// One request for ``TestHTTPClient``.
struct TestRequest: Sendable {
    /// The method.
    var method: HTTPMethod
    /// The URI: path and query.
    var uri: String
    /// Extra headers.
    var headers: [(String, String)] = []
    /// The body, if any.
    var body: String?
}

/// A tiny HTTP/1.1 client over real sockets (SwiftNIO), enough to talk to the sandbox in tests.
struct TestHTTPClient: Sendable {
    /// The sandbox's port on 127.0.0.1.
    var port: Int

    /// Sends one request on its own connection.
    func send(_ request: TestRequest) async throws -> TestResponse {
        try await sendOnOneConnection([request])[0]
    }

    /// Sends requests one after the other on a single keep-alive connection.
    func sendOnOneConnection(_ requests: [TestRequest]) async throws -> [TestResponse] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var parts = inbound.makeAsyncIterator()
            var responses: [TestResponse] = []
            for request in requests {
                var headers = HTTPHeaders([("Host", "127.0.0.1:\(port)")] + request.headers)
                if let body = request.body { headers.add(name: "Content-Length", value: String(body.utf8.count)) }
                do {
                    try await outbound.write(
                        .head(
                            HTTPRequestHead(
                                version: .http1_1, method: request.method, uri: request.uri,
                                headers: headers)))
                    if let body = request.body {
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
                    }
                    try await outbound.write(.end(nil))
                } catch {
                    // The server may answer and close before the whole request is written (a 413 for a body too
                    // large): its answer is read all the same, as an HTTP client does.
                    guard let early = try? await Self.readResponse(&parts), early.status != 0 else { throw error }
                    responses.append(early)
                    return responses
                }
                responses.append(try await Self.readResponse(&parts))
            }
            return responses
        }
    }

    /// Reads one response's parts up to its end.
    private static func readResponse(
        _ parts: inout NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    ) async throws -> TestResponse {
        var response = TestResponse(status: 0, headers: [:], body: [])
        while let part = try await parts.next() {
            switch part {
            case .head(let head):
                response.status = Int(head.status.code)
                response.headers = head.headers
            case .body(let buffer):
                response.body.append(contentsOf: buffer.readableBytesView)
            case .end:
                return response
            }
        }
        throw TestClientError.connectionClosed
    }
}

/// Failures of the test client.
enum TestClientError: Error {
    /// The server closed the connection before the response ended.
    case connectionClosed
}
