import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import VerifySandbox

@Suite struct SandboxServerTests {
    @Test func statsCountRequestsByNumberAndStatus() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=202-555-0189")
            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550189")
            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550000")
            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550189", headers: [])
            _ = try await sandbox.v2Post("Verifications", "To=%2B447911123456&Channel=sms")
            _ = try await sandbox.v2Post("VerificationCheck", "To=%2B447911123456&Code=1234")  // wrong: 200 pending
            _ = try await sandbox.v1Get("status", "country_code=1&phone_number=2025550189")

            let expected = SandboxStats(
                requests: 7, starts: 4, checks: 1, statusQueries: 1,
                startsByNumber: ["+12025550189": 2, "+12025550000": 1, "+447911123456": 1],
                deliveredByNumber: ["+12025550189": 2, "+447911123456": 1],
                responsesByStatus: ["200": 4, "201": 1, "401": 1, "403": 1])
            #expect(sandbox.server.stats() == expected)

            let overHTTP = try await sandbox.client.send(TestRequest(method: .GET, uri: "/_sandbox/stats"))
            #expect(overHTTP.status == 200)
            #expect(try overHTTP.decode(SandboxStats.self) == expected)
            #expect(overHTTP.text.contains(#""startsByNumber""#))
            #expect(overHTTP.text.contains(#""responsesByStatus""#))
            #expect(overHTTP.text.contains(#""deliveredByNumber""#))
            #expect(sandbox.server.stats() == expected, "control requests are not counted")
        }
    }

    @Test func resetClearsTheCountersButKeepsVerifications() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550189")
            let reset = try await sandbox.client.send(TestRequest(method: .POST, uri: "/_sandbox/reset"))
            #expect(reset.status == 200)
            #expect(sandbox.server.stats() == SandboxStats())

            let check = try await sandbox.v1Get(
                "check", "country_code=1&phone_number=2025550189&verification_code=4400")
            #expect(check.status == 200)
            sandbox.server.resetStats()
            #expect(sandbox.server.stats() == SandboxStats())
        }
    }

    /// `POST /_sandbox/codes/expire` ends every pending code of both providers: V1's status says `expired`, V2's
    /// verification is gone; the answer counts them.
    @Test func expiringTheCodesEndsEveryPendingVerification() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550189")
            _ = try await sandbox.v2Post("Verifications", "To=%2B447911123456&Channel=sms")
            let expire = try await sandbox.client.send(TestRequest(method: .POST, uri: "/_sandbox/codes/expire"))
            #expect(expire.status == 200)
            #expect(try expire.decode([String: Int].self) == ["expired": 2])

            let status = try await sandbox.v1Get("status", "country_code=1&phone_number=2025550189")
            #expect(status.text.contains(#""status":"expired""#), "\(status.text)")
            let check = try await sandbox.v2Post("VerificationCheck", "To=%2B447911123456&Code=744400")
            #expect(check.status == 404)
        }
    }

    /// `wait_for_starts=N` when the starts already reached N: the stats come at once (the 10-minute timeout never
    /// matters; the test's time limit is only a safety net).
    @Test(.timeLimit(.minutes(10))) func aStatsLongPollAnswersAtOnceWhenTheStartsAreReached() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550189")
            _ = try await sandbox.v2Post("Verifications", "To=%2B447911123456&Channel=sms")
            let poll = try await sandbox.client.send(
                TestRequest(method: .GET, uri: "/_sandbox/stats?wait_for_starts=2&timeout_ms=600000"))
            #expect(poll.status == 200)
            #expect(try poll.decode(SandboxStats.self) == sandbox.server.stats())
            #expect(sandbox.server.stats().starts == 2)
        }
    }

    /// A long poll issued before the start it waits for is answered by that start. Both requests go on one
    /// connection, the poll first, so the sandbox holds the poll before the start arrives: the start's answer
    /// waits behind the poll's, and both come.
    @Test(.timeLimit(.minutes(10))) func aStatsLongPollIsAnsweredByTheStartThatReachesItsCount() async throws {
        try await withSandbox { sandbox in
            let poll = "GET /_sandbox/stats?wait_for_starts=1&timeout_ms=600000 HTTP/1.1\r\nHost: x\r\n\r\n"
            let body = "To=%2B447911123456&Channel=sms"
            let start =
                "POST /v2/Services/\(sandbox.configuration.serviceSid)/Verifications HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: \(sandbox.v2Auth[0].1)\r\nConnection: close\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                + body
            let text = try await exchange(port: sandbox.server.port, poll + start)
            let statuses = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
            #expect(statuses == ["200", "201"], "\(text)")
            let statsBody = try #require(text.range(of: #""starts":1"#), "\(text)")
            let startBody = try #require(text.range(of: #""status":"pending""#), "\(text)")
            #expect(statsBody.lowerBound < startBody.lowerBound, "the poll's answer comes first")
        }
    }

    /// A long poll whose count never comes is answered when its timeout passes, with the counts as they are.
    @Test(.timeLimit(.minutes(10))) func aStatsLongPollAnswersWithTheCountsAsTheyAreWhenItsTimeoutPasses() async throws
    {
        try await withSandbox { sandbox in
            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550189")
            let poll = try await sandbox.client.send(
                TestRequest(method: .GET, uri: "/_sandbox/stats?wait_for_starts=5&timeout_ms=0"))
            #expect(poll.status == 200)
            #expect(try poll.decode(SandboxStats.self).starts == 1)
        }
    }

    @Test func aStatsLongPollRefusesCountsAndTimeoutsThatAreNotWholeNumbers() async throws {
        try await withSandbox { sandbox in
            for query in ["wait_for_starts=x", "wait_for_starts=-1", "wait_for_starts=1&timeout_ms=1.5"] {
                let poll = try await sandbox.client.send(TestRequest(method: .GET, uri: "/_sandbox/stats?" + query))
                #expect(poll.status == 400, "\(query)")
            }
            #expect(sandbox.server.stats() == SandboxStats(), "control requests are not counted")
        }
    }

    @Test func keepAliveConnectionServesRequestsInOrder() async throws {
        try await withSandbox { sandbox in
            let start = TestRequest(
                method: .POST, uri: "/protected/json/phones/verification/start",
                headers: sandbox.v1Auth + [("Content-Type", "application/x-www-form-urlencoded")],
                body: "via=sms&country_code=1&phone_number=2025550189")
            let check = TestRequest(
                method: .GET,
                uri: "/protected/json/phones/verification/check?country_code=1&phone_number=2025550189"
                    + "&verification_code=4400",
                headers: sandbox.v1Auth)
            let responses = try await sandbox.client.sendOnOneConnection([start, check, check])
            #expect(responses.map(\.status) == [200, 200, 404])
            #expect(responses.allSatisfy { $0.headers.first(name: "connection") == "keep-alive" })
        }
    }

    @Test func manyConcurrentConnectionsAreAllServed() async throws {
        try await withSandbox { sandbox in
            let count = 200
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<count {
                    group.addTask {
                        try await sandbox.v2Post("Verifications", "To=%2B1202555\(1000 + index)&Channel=sms").status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == count)
            #expect(statuses.allSatisfy { $0 == 201 })
            let stats = sandbox.server.stats()
            #expect(stats.starts == count)
            #expect(stats.startsByNumber.count == count)
        }
    }

    @Test func latencyDelaysButStillAnswersEveryRequest() async throws {
        try await withSandbox(latency: .milliseconds(5)) { sandbox in
            let responses = try await sandbox.client.sendOnOneConnection(
                Array(
                    repeating: TestRequest(
                        method: .GET, uri: "/protected/json/phones/verification/status?uuid=x",
                        headers: sandbox.v1Auth),
                    count: 3))
            #expect(responses.map(\.status) == [404, 404, 404])
        }
    }

    @Test func unknownPathsAndMethodsAreNotFound() async throws {
        try await withSandbox { sandbox in
            let unknown = try await sandbox.client.send(TestRequest(method: .GET, uri: "/nothing/here"))
            #expect(unknown.status == 404)
            let wrongMethod = try await sandbox.v1Get("start", "via=sms&country_code=1&phone_number=2025550189")
            #expect(wrongMethod.status == 404)
            #expect(try wrongMethod.decode(V1ErrorBody.self).errorCode == "60000")
            let v2Unknown = try await sandbox.v2Get("Verifications")
            #expect(v2Unknown.status == 404)
            #expect(try v2Unknown.decode(V2ErrorBody.self).code == 20404)
            #expect(sandbox.server.stats().responsesByStatus == ["404": 3])
        }
    }

    @Test func oversizedBodiesAreRefused() async throws {
        try await withSandbox { sandbox in
            let body = "x=" + String(repeating: "a", count: SandboxHTTPHandler.maximumBodySize)
            let response = try await sandbox.client.send(
                TestRequest(method: .POST, uri: "/v2/Services/x/Verifications", body: body))
            #expect(response.status == 413)
            #expect(response.headers.first(name: "connection") == "close")
        }
    }

    @Test(.timeLimit(.minutes(10)), arguments: [true, false])
    func shutdownClosesOpenConnections(ownEventLoops: Bool) async throws {
        var logger = Logger(label: "sandbox-test")
        logger.logLevel = .critical
        let configuration = SandboxConfiguration(codeLineWriter: { _ in })
        let server =
            ownEventLoops
            ? try await SandboxServer.start(configuration: configuration, logger: logger)
            : try await SandboxServer.start(
                configuration: configuration, logger: logger,
                eventLoops: .shared(MultiThreadedEventLoopGroup.singleton))
        let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: server.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let partsAfterShutdown = try await connection.executeThenClose { inbound, outbound in
            var parts = inbound.makeAsyncIterator()
            let head = HTTPRequestHead(
                version: .http1_1, method: .GET, uri: "/nothing", headers: ["Host": "127.0.0.1"])
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            while let part = try await parts.next() {
                if case .end = part { break }  // answered: the server holds this keep-alive connection
            }
            try await server.shutdown()
            var count = 0
            while try await parts.next() != nil { count += 1 }  // ends when the server closes it
            return count
        }
        #expect(partsAfterShutdown == 0)
    }

    @Test func twoSandboxesOnPortZeroGetDifferentPorts() async throws {
        try await withSandbox { first in
            try await withSandbox { second in
                #expect(first.server.port > 0)
                #expect(second.server.port > 0)
                #expect(first.server.port != second.server.port)
            }
        }
    }
}

@Suite struct RateLimitTests {
    @Test func admitsOneSecondOfBurstThenPacesAtTheRate() throws {
        let limit = RateLimit(perSecond: 10)
        let start = ContinuousClock.now
        let burst = (0..<10).map { _ in limit.admit(now: start) }
        #expect(burst.allSatisfy { $0 == nil })
        let refused = try #require(limit.admit(now: start))
        #expect(refused > .zero && refused <= .milliseconds(100))
        #expect(limit.admit(now: start + .milliseconds(100)) == nil)
        #expect(limit.admit(now: start + .milliseconds(100)) != nil)
        // Over ten seconds at most rate × time + burst get through.
        var admitted = 0
        for tick in 0..<10_000 where limit.admit(now: start + .milliseconds(tick)) == nil { admitted += 1 }
        #expect(admitted <= 100)
        #expect(admitted >= 98)
    }

    private func request(_ path: String) -> SandboxRequest {
        SandboxRequest(head: HTTPRequestHead(version: .http1_1, method: .POST, uri: path), body: [])
    }

    @Test func refusalsCarryTheProvidersCodeAndRetryAfter() throws {
        let v2 = RateLimit.refusal(for: request("/v2/Services/VA/Verifications"), retryAfter: .milliseconds(300))
        #expect(v2.status == 429)
        #expect(String(decoding: v2.body, as: UTF8.self).contains("20429"))
        #expect(v2.headers.map(\.name) == ["Retry-After"] && v2.headers.first?.value == "1")
        let v1 = RateLimit.refusal(
            for: request("/protected/json/phones/verification/start"), retryAfter: .seconds(2))
        #expect(String(decoding: v1.body, as: UTF8.self).contains(#""error_code":"60003""#))
        #expect(v1.headers.first?.value == "2")
    }
}
