import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import VerifySandbox

@Suite struct SandboxHTTPHandlerTests {
    @Test func serializesTheWholeResponseInOneBuffer() {
        let response = SandboxResponse(status: 429, body: Array("{}".utf8), headers: [("Retry-After", "2")])
        let bytes = SandboxHTTPHandler.serialize(
            response, version: .http1_1, keepAlive: true, allocator: ByteBufferAllocator())
        #expect(
            String(buffer: bytes)
                == "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\n"
                + "Content-Type: application/json; charset=utf-8\r\nContent-Length: 2\r\n"
                + "Connection: keep-alive\r\n\r\n{}")
    }

    @Test func pipelinedRequestsAreAnsweredInOrderDespiteLatency() async throws {
        try await withSandbox(latency: .milliseconds(5)) { sandbox in
            let start =
                "POST /protected/json/phones/verification/start HTTP/1.1\r\nHost: x\r\n"
                + "X-Authy-API-Key: \(sandbox.configuration.apiKey)\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 46\r\n\r\n"
                + "via=sms&country_code=1&phone_number=2025550189"
            let stats = "GET /_sandbox/stats HTTP/1.1\r\nHost: x\r\n\r\n"
            let unknown = "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            let text = try await exchange(port: sandbox.server.port, start + stats + unknown)
            let statuses = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
            #expect(statuses == ["200", "200", "404"])
            let startBody = try #require(text.range(of: #""carrier":"Sandbox Mobile""#))
            let statsBody = try #require(text.range(of: #""starts":1"#))
            #expect(startBody.lowerBound < statsBody.lowerBound, "the delayed start answer comes first")
            #expect(text.hasSuffix(#"{"message":"Not found","status":404}"#))
        }
    }

    @Test func aRequestThatCannotBeParsedGets400AndTheConnectionCloses() async throws {
        try await withSandbox { sandbox in
            let text = try await exchange(port: sandbox.server.port, "NOT HTTP AT ALL\r\n\r\n")
            #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
            #expect(text.contains("Connection: close\r\n"))
        }
    }
}
