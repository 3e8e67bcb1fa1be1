import Dispatch
import Foundation
import Synchronization
import Testing

@testable import VerifyRunner

/// ``CurlTransport`` against a ``ScriptedHTTPServer`` on 127.0.0.1: responses, failures and their
/// "may have been sent" verdict, concurrency, connection reuse and shutdown.
///
/// The time limit only turns a hang (a completion that never comes) into a failure. It is ten minutes, longer than
/// the whole test run: with every suite running beside it on two cores, each of a test's awaits can wait seconds
/// for a thread of Swift's cooperative pool, and a one-minute limit failed tests that were only slow.
@Suite(.timeLimit(.minutes(10)))
struct CurlTransportTests {
    /// Where completions run (serial, so that ``flush(_:)`` can wait for all dispatched ones).
    let completions = DispatchQueue(label: "CurlTransportTests.completions")
    /// Limits that keep a broken test from hanging for long.
    let configuration = CurlTransport.Configuration(
        totalTimeout: .seconds(10), maxConnections: 16, userAgent: "verifyd-tests")

    @Test func okResponseCarriesStatusHeadersAndBody() async throws {
        let server = try ScriptedHTTPServer { _ in
            .respond(
                status: 200, headers: [("Content-Type", "text/plain"), ("X-Custom", "first"), ("x-custom", "last")],
                body: Array("hello".utf8))
        }
        defer { server.stop() }
        try await withTransport { transport in
            let result = await transport.response(
                for: HTTPRequest(method: .get, url: server.url("/hello")), on: completions)
            let response = try result.get()
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/plain")
            #expect(response.headers["x-custom"] == "last")
            #expect(response.body == Array("hello".utf8))
        }
    }

    @Test(arguments: [[], Array(0...255) + Array("To=%2B15005550006&Channel=sms".utf8)])
    func postBodyAndHeadersArriveIntact(body: [UInt8]) async throws {
        let server = try ScriptedHTTPServer { _ in .respond(status: 201) }
        defer { server.stop() }
        try await withTransport { transport in
            let request = HTTPRequest(
                method: .post, url: server.url("/v2/Services/VA1/Verifications?x=1"),
                headers: [
                    .init(name: "Content-Type", value: "application/octet-stream"),
                    .init(name: "Authorization", value: "Basic QUM6dG9rZW4="),
                    .init(name: "X-Empty", value: ""),
                ],
                body: body)
            let response = try await transport.response(for: request, on: completions).get()
            #expect(response.status == 201)

            var arrivals = server.requests.makeAsyncIterator()
            let received = try #require(await arrivals.next())
            #expect(received.method == "POST")
            #expect(received.target == "/v2/Services/VA1/Verifications?x=1")
            #expect(received.headers["content-type"] == "application/octet-stream")
            #expect(received.headers["authorization"] == "Basic QUM6dG9rZW4=")
            #expect(received.headers["x-empty"] == "")
            #expect(received.headers["user-agent"] == "verifyd-tests")
            #expect(received.headers["expect"] == nil)
            #expect(received.body == body)
        }
    }

    @Test func tooManyRequestsExposesRetryAfter() async throws {
        let server = try ScriptedHTTPServer { _ in .respond(status: 429, headers: [("Retry-After", "7")]) }
        defer { server.stop() }
        try await withTransport { transport in
            let response = try await transport.response(
                for: HTTPRequest(method: .get, url: server.url("/limited")), on: completions
            ).get()
            #expect(response.status == 429)
            #expect(response.headers["retry-after"] == "7")
        }
    }

    @Test func serverErrorIsAResponse() async throws {
        let server = try ScriptedHTTPServer { _ in .respond(status: 500, body: Array("oops".utf8)) }
        defer { server.stop() }
        try await withTransport { transport in
            let response = try await transport.response(
                for: HTTPRequest(method: .post, url: server.url("/fail"), body: Array("a=b".utf8)), on: completions
            ).get()
            #expect(response.status == 500)
            #expect(response.body == Array("oops".utf8))
        }
    }

    @Test func connectionClosedWithoutReplyMayHaveBeenSent() async throws {
        let server = try ScriptedHTTPServer { _ in .closeConnection }
        defer { server.stop() }
        try await withTransport { transport in
            let result = await transport.response(
                for: HTTPRequest(method: .post, url: server.url("/close"), body: Array("a=b".utf8)), on: completions)
            let failure = try #require(result.failure)
            #expect(failure.curlCode == 52)  // CURLE_GOT_NOTHING
            #expect(failure.requestMayHaveBeenSent)
            #expect(!failure.isTimeout)
        }
    }

    /// libcurl re-sends a request by itself when a reused connection dies before the answer; for a
    /// POST that is a second verification. The transport refuses to rewind the body, so the server sees
    /// the request once and the caller learns that it may have been processed.
    @Test func aPostIsNeverReplayedOnAReusedConnectionThatDies() async throws {
        let posts = Mutex(0)
        let server = try ScriptedHTTPServer { request in
            guard request.method == "POST" else { return .respond(status: 200) }
            posts.withLock { $0 += 1 }
            return .closeConnection
        }
        defer { server.stop() }
        try await withTransport { transport in
            let warmUp = await transport.response(for: HTTPRequest(method: .get, url: server.url("/")), on: completions)
            #expect(try warmUp.get().status == 200)
            let result = await transport.response(
                for: HTTPRequest(method: .post, url: server.url("/start"), body: Array("a=b".utf8)), on: completions)
            let failure = try #require(result.failure)
            #expect(failure.requestMayHaveBeenSent)
            #expect(posts.withLock { $0 } == 1, "the POST reached the server exactly once")
        }
    }

    @Test func connectionRefusedWasNotSent() async throws {
        let port = try ScriptedHTTPServer.unusedPort()
        try await withTransport { transport in
            let result = await transport.response(
                for: HTTPRequest(method: .post, url: "http://127.0.0.1:\(port)/", body: Array("a=b".utf8)),
                on: completions)
            let failure = try #require(result.failure)
            #expect(failure.curlCode == 7)  // CURLE_COULDNT_CONNECT
            #expect(!failure.requestMayHaveBeenSent)
            #expect(!failure.isTimeout)
        }
    }

    @Test func silentServerTimesOutAfterTheRequestWasSent() async throws {
        let server = try ScriptedHTTPServer { _ in .noReply }
        defer { server.stop() }
        try await withTransport { transport in
            let result = await transport.response(
                for: HTTPRequest(method: .post, url: server.url("/slow"), body: Array("a=b".utf8)),
                timeout: .milliseconds(200), on: completions)
            let failure = try #require(result.failure)
            #expect(failure.isTimeout)
            #expect(failure.curlCode == 28)  // CURLE_OPERATION_TIMEDOUT
            #expect(failure.requestMayHaveBeenSent)
            #expect(!failure.message.isEmpty)
        }
    }

    @Test(arguments: ["file:///etc/hostname", "ftp://127.0.0.1/", "gopher://127.0.0.1/"])
    func onlyHTTPAndHTTPSAreAllowed(url: String) async throws {
        try await withTransport { transport in
            let result = await transport.response(for: HTTPRequest(method: .get, url: url), on: completions)
            let failure = try #require(result.failure)
            #expect(failure.curlCode == 1)  // CURLE_UNSUPPORTED_PROTOCOL
            #expect(!failure.requestMayHaveBeenSent)
        }
    }

    @Test func concurrentRequestsEachCompleteOnceWithTheirOwnBody() async throws {
        let count = 200
        let server = try ScriptedHTTPServer { request in
            .respond(status: 200, body: Array("reply-\(request.headers["x-request-id"] ?? "?")".utf8))
        }
        defer { server.stop() }
        try await withTransport { transport in
            let (outcomes, continuation) = AsyncStream.makeStream(
                of: (id: Int, result: Result<HTTPResponse, TransportFailure>).self)
            for id in 0..<count {
                let request = HTTPRequest(
                    method: .get, url: server.url("/echo"), headers: [.init(name: "X-Request-Id", value: "\(id)")])
                transport.send(request, on: completions) { continuation.yield((id, $0)) }
            }

            var bodies: [Int: [UInt8]] = [:]
            var iterator = outcomes.makeAsyncIterator()
            for _ in 0..<count {
                let outcome = try #require(await iterator.next())
                #expect(bodies[outcome.id] == nil, "request \(outcome.id) completed twice")
                bodies[outcome.id] = try outcome.result.get().body
            }
            // After the join no completion can be dispatched any more; after the flush all have run.
            await transport.shutDownOffThePool()
            await flush(completions)
            continuation.finish()
            #expect(await iterator.next() == nil, "a completion ran more than once")

            #expect(bodies.count == count)
            for (id, body) in bodies { #expect(body == Array("reply-\(id)".utf8)) }
            #expect(server.acceptedConnections <= 16)
            #expect(transport.inFlightCount == 0)
        }
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let count = 20
        let server = try ScriptedHTTPServer { _ in .respond(status: 200, body: Array("ok".utf8)) }
        defer { server.stop() }
        try await withTransport { transport in
            for id in 0..<count {
                let request = HTTPRequest(method: .post, url: server.url("/\(id)"), body: Array("n=\(id)".utf8))
                let response = try await transport.response(for: request, on: completions).get()
                #expect(response.status == 200)
            }
            #expect(server.acceptedConnections == 1)
        }
    }

    @Test func shutdownFailsEveryRequestExactlyOnce() async throws {
        let count = 5
        let server = try ScriptedHTTPServer { _ in .noReply }
        defer { server.stop() }
        // Only the shutdown may end these requests: a machine busy enough to take the default 10 s between
        // their arrival and the shutdown would end them by timeout instead (curl code 28).
        var patient = configuration
        patient.totalTimeout = .seconds(600)
        let transport = try CurlTransport(configuration: patient)
        let (outcomes, continuation) = AsyncStream.makeStream(of: Result<HTTPResponse, TransportFailure>.self)
        let request = HTTPRequest(method: .post, url: server.url("/hang"), body: Array("a=b".utf8))
        for _ in 0..<count {
            transport.send(request, on: completions) { continuation.yield($0) }
        }
        var arrivals = server.requests.makeAsyncIterator()
        for _ in 0..<count { _ = try #require(await arrivals.next()) }
        #expect(transport.inFlightCount == count)

        await transport.shutDownOffThePool()
        transport.send(request, on: completions) { continuation.yield($0) }
        await flush(completions)
        continuation.finish()

        var failures: [TransportFailure] = []
        for await outcome in outcomes { failures.append(try #require(outcome.failure)) }
        #expect(failures.count == count + 1)
        for failure in failures.prefix(count) {
            #expect(failure.curlCode == 42)  // CURLE_ABORTED_BY_CALLBACK: shut down
            #expect(failure.requestMayHaveBeenSent)
        }
        #expect(failures.last?.requestMayHaveBeenSent == false)
        #expect(transport.inFlightCount == 0)
    }

    /// A request whose send deadline passes before it gets the one connection (busy with another request) is
    /// held back when the connection frees up: the server never sees it, and its completion says it was not sent.
    /// A request with an open deadline goes as usual.
    @Test func aRequestPastItsSendDeadlineIsHeldBackUnsent() async throws {
        let gate = DispatchSemaphore(value: 0)
        let server = try ScriptedHTTPServer { request in
            if request.target == "/first" { gate.wait() }
            return .respond(status: 201)
        }
        defer { server.stop() }
        var single = configuration
        single.maxConnections = 1
        let transport = try CurlTransport(configuration: single)
        let open = SendDeadline(until: BootClock.now() + 3_600_000_000_000)
        let closing = SendDeadline(until: BootClock.now() + 3_600_000_000_000)
        let (firstRequest, secondRequest, thirdRequest) = (
            HTTPRequest(method: .post, url: server.url("/first"), body: Array("To=1".utf8)),
            HTTPRequest(method: .post, url: server.url("/second"), body: Array("To=2".utf8)),
            HTTPRequest(method: .post, url: server.url("/third"), body: Array("To=3".utf8))
        )

        var arrivals = server.requests.makeAsyncIterator()
        async let first = transport.response(for: firstRequest, on: completions)
        #expect(try #require(await arrivals.next()).target == "/first")
        // The one connection is busy: the second request waits for it, and its deadline passes.
        async let second = transport.response(for: secondRequest, deadline: closing, on: completions)
        closing.close()
        gate.signal()
        #expect(try await first.get().status == 201)
        let heldBack = try #require(await second.failure)
        #expect(heldBack.wasHeldBackAtDeadline && !heldBack.requestMayHaveBeenSent)
        #expect(closing.requestsHeldBack == 1 && closing.requestsMayHaveLeftLate == 0)

        let third = await transport.response(for: thirdRequest, deadline: open, on: completions)
        #expect(try third.get().status == 201)
        #expect(try #require(await arrivals.next()).target == "/third", "the held-back request never arrived")
        #expect(open.requestsHeldBack == 0 && open.requestsMayHaveLeftLate == 0)
        await transport.shutDownOffThePool()
    }

    /// A request that reached the server on a reused connection, which then closed without an answer, and whose
    /// send deadline passed meanwhile: libcurl would retry it on a fresh connection, which needs the body rewound,
    /// and the rewind is refused before the retry's deadline check. So the request is not called "held back" (its
    /// row would be sent again without a question): it left once, and its completion says it may have been sent.
    @Test func aRequestThatLeftIsNeverCalledHeldBackWhenItsDeadlinePassesBeforeLibcurlsRetry() async throws {
        let deadline = SendDeadline(until: BootClock.now() + 3_600_000_000_000)
        let server = try ScriptedHTTPServer { request in
            guard request.target == "/start" else { return .respond(status: 200) }
            deadline.close()
            return .closeConnection
        }
        defer { server.stop() }
        var single = configuration
        single.maxConnections = 1
        let transport = try CurlTransport(configuration: single)
        var arrivals = server.requests.makeAsyncIterator()
        let warm = await transport.response(for: HTTPRequest(method: .get, url: server.url("/warm")), on: completions)
        #expect(try warm.get().status == 200, "the connection is open for the next request")
        #expect(try #require(await arrivals.next()).target == "/warm")

        let start = HTTPRequest(method: .post, url: server.url("/start"), body: Array("To=1".utf8))
        let failure = try #require(await transport.response(for: start, deadline: deadline, on: completions).failure)
        #expect(try #require(await arrivals.next()).target == "/start", "the request reached the server")
        #expect(!failure.wasHeldBackAtDeadline, "\(failure)")
        #expect(failure.requestMayHaveBeenSent, "\(failure)")
        #expect(deadline.requestsHeldBack == 0)
        await transport.shutDownOffThePool()
        server.stop()
        #expect(await arrivals.next() == nil, "the request reached the server once")
    }

    /// Runs `body` with a transport built from ``configuration``, shutting it down afterwards.
    private func withTransport(_ body: (CurlTransport) async throws -> Void) async throws {
        let transport = try CurlTransport(configuration: configuration)
        do {
            try await body(transport)
        } catch {
            await transport.shutDownOffThePool()
            throw error
        }
        await transport.shutDownOffThePool()
    }

    /// Waits until everything already dispatched to `queue` has run.
    private func flush(_ queue: DispatchQueue) async {
        await withCheckedContinuation { continuation in queue.async { continuation.resume() } }
    }
}

extension CurlTransport {
    /// Sends `request` and waits for its completion, which runs on `queue`.
    fileprivate func response(
        for request: HTTPRequest, timeout: Duration? = nil, deadline: SendDeadline? = nil, on queue: DispatchQueue
    ) async -> Result<HTTPResponse, TransportFailure> {
        await withCheckedContinuation { continuation in
            send(request, timeout: timeout, deadline: deadline, on: queue) { continuation.resume(returning: $0) }
        }
    }

    /// Runs the blocking ``shutdown()`` on a thread of its own, so the cooperative pool never waits.
    fileprivate func shutDownOffThePool() async {
        await withCheckedContinuation { continuation in
            Thread {
                self.shutdown()
                continuation.resume()
            }.start()
        }
    }
}

extension Result {
    /// The error, or `nil` for a success.
    fileprivate var failure: Failure? {
        guard case .failure(let error) = self else { return nil }
        return error
    }
}
