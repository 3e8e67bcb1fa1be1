import Dispatch
import Foundation
import Synchronization
import Testing

@testable import VerifyRunner

/// ``AttemptsClient`` against a scripted server on 127.0.0.1: it follows `next_page_url`, asks a failed page
/// again, and stops on a refusal or a page that points elsewhere.
@Suite(.timeLimit(.minutes(10)))
struct AttemptsClientTests {
    /// A page of one attempt, with a `next_page_url` on `server` when `next` is given.
    private static func page(_ index: Int, next: String?) -> [UInt8] {
        let nextURL = next.map { "\"\($0)\"" } ?? "null"
        return Array(
            """
            {"attempts":[{"sid":"VL\(index)","verification_sid":"VE\(index)","date_created":"2026-12-02T10:00:0\(index)Z",
            "conversion_status":"unconverted","channel":"sms","channel_data":{"to":"+1202555010\(index)"}}],
            "meta":{"page":\(index),"next_page_url":\(nextURL),"key":"attempts"}}
            """.utf8)
    }

    /// Lists with a client on `server` (no waiting between tries) and returns the pages' attempts and the end.
    private func list(on server: ScriptedHTTPServer) async throws
        -> (attempts: [VerificationAttempt], result: Result<AttemptsClient.Listing, AttemptsClient.Failure>)
    {
        let transport = try CurlTransport(configuration: .init(totalTimeout: .seconds(10)))
        defer { transport.shutdown() }
        let client = AttemptsClient(
            api: AttemptsAPI(baseURL: server.url(""), authorization: "Basic x", serviceSID: "VA1"),
            transport: transport,
            configuration: .init(retryPolicy: RetryPolicy(base: .milliseconds(1), cap: .milliseconds(1))))
        let queue = DispatchQueue(label: "AttemptsClientTests")
        let pages = Mutex<[VerificationAttempt]>([])
        let result = await withCheckedContinuation { continuation in
            client.list(
                AttemptsQuery(createdFrom: 0, createdTo: 100), on: queue,
                onPage: { page in pages.withLock { $0 += page } },
                completion: { continuation.resume(returning: $0) })
        }
        return (pages.withLock { $0 }, result)
    }

    /// A server whose script also gets the server's own base URL (for absolute `next_page_url`s) and the
    /// request's number (1-based).
    private func server(
        _ script: @escaping @Sendable (_ target: String, _ count: Int, _ base: String) -> ScriptedHTTPServer.Reply
    )
        throws -> ScriptedHTTPServer
    {
        let base = Mutex("")
        let count = Mutex(0)
        let server = try ScriptedHTTPServer { request in
            let number = count.withLock { count in
                count += 1
                return count
            }
            return script(request.target, number, base.withLock { $0 })
        }
        base.withLock { $0 = server.url("") }
        return server
    }

    @Test func everyPageIsReadAndAFailedPageIsAskedAgain() async throws {
        let server = try server { target, count, base in
            if target.contains("PageToken=PT2") { return .respond(status: 200, body: Self.page(3, next: nil)) }
            if target.contains("PageToken=PT1") {
                // The second page fails once with a server error, then answers.
                guard count > 2 else { return .respond(status: 500, body: Array("{}".utf8)) }
                return .respond(status: 200, body: Self.page(2, next: base + "/v2/Attempts?PageToken=PT2"))
            }
            return .respond(status: 200, body: Self.page(1, next: base + "/v2/Attempts?PageToken=PT1"))
        }
        defer { server.stop() }
        let listing = try await list(on: server)
        #expect(listing.attempts.map(\.sid) == ["VL1", "VL2", "VL3"])
        #expect(try listing.result.get().requests == 4)
    }

    @Test func aNextPageOnAnotherHostIsNotFollowed() async throws {
        let server = try server { _, _, _ in
            .respond(status: 200, body: Self.page(1, next: "http://127.0.0.2:9/v2/Attempts?PageToken=PT1"))
        }
        defer { server.stop() }
        let listing = try await list(on: server)
        #expect(listing.attempts.map(\.sid) == ["VL1"])
        guard case .failure(let failure) = listing.result else {
            Issue.record("the foreign page was followed")
            return
        }
        #expect(failure.description.contains("not on its own host") && failure.requests == 1)
    }

    @Test func aRefusalEndsTheListingAtOnce() async throws {
        let server = try server { _, _, _ in
            .respond(status: 403, body: Array(#"{"code":20003,"message":"Authenticate"}"#.utf8))
        }
        defer { server.stop() }
        let listing = try await list(on: server)
        #expect(listing.attempts.isEmpty)
        #expect(listing.result == .failure(.init(description: "HTTP 403: Authenticate (error 20003)", requests: 1)))
    }

    @Test func aTooManyRequestsAnswerIsWaitedOutAndAskedAgain() async throws {
        let server = try server { _, count, _ in
            guard count > 1 else {
                return .respond(status: 429, headers: [("Retry-After", "1")], body: Array(#"{"code":20429}"#.utf8))
            }
            return .respond(status: 200, body: Self.page(1, next: nil))
        }
        defer { server.stop() }
        let listing = try await list(on: server)
        #expect(listing.attempts.map(\.sid) == ["VL1"])
        #expect(try listing.result.get().requests == 2)
    }
}
