import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

@testable import VerifySandbox

/// A clock the tests move by hand.
final class TestClock: Sendable {
    /// The current time.
    private let current = Mutex(Date(timeIntervalSince1970: 1_750_000_000))

    /// The current time.
    var now: Date { current.withLock { $0 } }

    /// Moves the clock forward.
    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// Collects what a code log writes.
final class CodeLineSink: Sendable {
    /// The bytes written so far.
    private let written = Mutex<[UInt8]>([])

    /// The text written so far.
    var text: String { written.withLock { String(decoding: $0, as: UTF8.self) } }

    /// The lines written so far.
    var lines: [String] { text.split(separator: "\n").map(String.init) }

    /// Appends what the code log wrote.
    func write(_ bytes: [UInt8]) {
        written.withLock { $0.append(contentsOf: bytes) }
    }
}

/// A started sandbox plus a client and clock bound to it.
struct SandboxFixture: Sendable {
    /// The server.
    var server: SandboxServer
    /// A client for its port.
    var client: TestHTTPClient
    /// Its clock.
    var clock: TestClock
    /// Its configuration.
    var configuration: SandboxConfiguration
    /// The code lines it printed.
    var codeLines: CodeLineSink

    // MARK: V1 helpers

    /// The API key header of the default configuration.
    var v1Auth: [(String, String)] { [("X-Authy-API-Key", configuration.apiKey)] }

    /// `POST …/start` with a form body.
    func v1Start(_ parameters: String, headers: [(String, String)]? = nil) async throws -> TestResponse {
        try await client.send(
            TestRequest(
                method: .POST, uri: "/protected/json/phones/verification/start",
                headers: (headers ?? v1Auth) + [("Content-Type", "application/x-www-form-urlencoded")],
                body: parameters))
    }

    /// `GET …/{action}?query`.
    func v1Get(_ action: String, _ query: String) async throws -> TestResponse {
        try await client.send(
            TestRequest(method: .GET, uri: "/protected/json/phones/verification/\(action)?\(query)", headers: v1Auth))
    }

    // MARK: V2 helpers

    /// Basic auth for given credentials.
    static func basic(_ user: String, _ password: String) -> [(String, String)] {
        [("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())]
    }

    /// Basic auth with the configured credentials.
    var v2Auth: [(String, String)] { Self.basic(configuration.accountSid, configuration.authToken) }

    /// `POST /v2/Services/{sid}/{resource}` with a form body.
    func v2Post(
        _ resource: String, _ body: String, service: String? = nil, headers: [(String, String)]? = nil
    ) async throws -> TestResponse {
        try await client.send(
            TestRequest(
                method: .POST, uri: "/v2/Services/\(service ?? configuration.serviceSid)/\(resource)",
                headers: (headers ?? v2Auth) + [("Content-Type", "application/x-www-form-urlencoded")], body: body))
    }

    /// `GET /v2/Services/{sid}/{resource}`.
    func v2Get(_ resource: String) async throws -> TestResponse {
        try await client.send(
            TestRequest(method: .GET, uri: "/v2/Services/\(configuration.serviceSid)/\(resource)", headers: v2Auth))
    }

    /// `GET` a Verification Attempts URI: `/v2/Attempts…`, or an absolute `http://HOST/v2/Attempts…` link.
    func attempts(_ uri: String) async throws -> TestResponse {
        let path = uri.range(of: "/v2/").map { String(uri[$0.lowerBound...]) } ?? uri
        return try await client.send(TestRequest(method: .GET, uri: path, headers: v2Auth))
    }

    /// Starts (or re-sends) a V2 verification by SMS and returns it.
    func v2Start(_ number: String, channel: String = "sms") async throws -> V2VerificationBody {
        let response = try await v2Post(
            "Verifications", "To=\(number.replacingOccurrences(of: "+", with: "%2B"))&Channel=\(channel)")
        return try response.decode()
    }
}

/// Runs a body against a fresh sandbox on an ephemeral port of 127.0.0.1, and shuts it down afterwards.
///
/// - Parameters:
///   - latency: the sandbox's latency.
///   - configure: changes the rest of its configuration; the clock is the fixture's and the code lines go to the
///     fixture's sink.
///   - body: the test.
func withSandbox(
    latency: Duration = .zero, configure: (inout SandboxConfiguration) -> Void = { _ in },
    _ body: (SandboxFixture) async throws -> Void
) async throws {
    let clock = TestClock()
    let codeLines = CodeLineSink()
    var configuration = SandboxConfiguration(latency: latency)
    configure(&configuration)
    configuration.now = { clock.now }
    configuration.codeLineWriter = codeLines.write
    var logger = Logger(label: "sandbox-test")
    logger.logLevel = .critical
    let server = try await SandboxServer.start(
        configuration: configuration, logger: logger, eventLoops: .shared(MultiThreadedEventLoopGroup.singleton))
    let fixture = SandboxFixture(
        server: server, client: TestHTTPClient(port: server.port), clock: clock, configuration: configuration,
        codeLines: codeLines)
    do {
        try await body(fixture)
    } catch {
        try await server.shutdown()
        throw error
    }
    try await server.shutdown()
}

/// Writes raw bytes on a new connection to the sandbox on `port` and reads everything until the server closes it:
/// pipelined requests, the last one saying `Connection: close`.
func exchange(port: Int, _ request: String) async throws -> String {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: request))
        var received = ByteBuffer()
        for try await var chunk in inbound { received.writeBuffer(&chunk) }
        return String(buffer: received)
    }
}

/// A V1 error body (keys decoded from snake case); `error_code` must be a JSON string.
struct V1ErrorBody: Decodable {
    var errorCode: String
    var message: String
    var errors: [String: String]
    var success: Bool
}

/// A V1 start body.
struct V1StartBody: Decodable {
    var carrier: String
    var isCellphone: Bool
    var message: String
    var secondsToExpire: Int
    var uuid: String
    var success: Bool
}

/// A V1 check or status body.
struct V1MessageBody: Decodable {
    var message: String
    var success: Bool
    var status: String?
    var secondsToExpire: Int?
}

/// A Twilio error body; `code` must be a JSON integer.
struct V2ErrorBody: Decodable {
    var code: Int
    var message: String
    var moreInfo: String
    var status: Int
}

/// Checks that a response is Twilio's error body with this status, code and message.
func expectV2Error(
    _ response: TestResponse, status: Int, code: Int, message: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
    let error = try? response.decode(V2ErrorBody.self)
    #expect(error?.code == code, sourceLocation: sourceLocation)
    #expect(error?.message == message, sourceLocation: sourceLocation)
    #expect(error?.status == status, sourceLocation: sourceLocation)
    #expect(error?.moreInfo == "https://www.twilio.com/docs/errors/\(code)", sourceLocation: sourceLocation)
}

/// A V2 verification (create, fetch, check).
struct V2VerificationBody: Decodable {
    /// One send attempt.
    struct Attempt: Decodable {
        var time: String
        var channel: String
        var attemptSid: String
    }

    var sid: String
    var serviceSid: String
    var accountSid: String
    var to: String
    var channel: String
    var status: String
    var valid: Bool
    var dateCreated: String
    var dateUpdated: String
    var lookup: [String: String]?
    var sendCodeAttempts: [Attempt]?
    var url: String?
}

/// A verification attempt (`/v2/Attempts`).
struct V2AttemptBody: Decodable, Equatable {
    /// Its price.
    struct Price: Decodable, Equatable {
        var value: String?
        var currency: String
    }

    var sid: String
    var accountSid: String
    var serviceSid: String
    var verificationSid: String
    var dateCreated: String
    var dateUpdated: String
    var conversionStatus: String
    var channel: String
    var price: Price
    var channelData: [String: String]
    var url: String
}

/// A page of `GET /v2/Attempts`.
struct V2AttemptsPageBody: Decodable {
    /// The paging envelope.
    struct Meta: Decodable {
        var page: Int
        var pageSize: Int
        var firstPageUrl: String
        var previousPageUrl: String?
        var url: String
        var nextPageUrl: String?
        var key: String
    }

    var attempts: [V2AttemptBody]
    var meta: Meta
}

/// The body of `GET /v2/Attempts/Summary`.
struct V2AttemptsSummaryBody: Decodable, Equatable {
    var totalAttempts: Int
    var totalConverted: Int
    var totalUnconverted: Int
    var conversionRatePercentage: String
    var url: String
}
