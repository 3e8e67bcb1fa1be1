import Dispatch
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import VerifyRunner

/// `--metrics-port N`: serves, on one SwiftNIO event-loop thread, `GET /metrics` (the Prometheus text format) for
/// Prometheus to scrape a daemon, and for people the live page: `GET /` (``LivePage``), which shows every job's
/// progress from `GET /jobs.json` (what `status --json` prints). Everything is read-only: any method but GET and
/// HEAD is refused (405).
final class MetricsEndpoint {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any NIOCore.Channel
    private let jobs: JobStatusReader
    /// The port listened on (the kernel's choice when asked for port 0).
    let port: Int

    /// Listens on `host`:`port`; `/jobs.json` is read through `jobs`.
    init(host: String, port: Int, metrics: RunMetrics, jobs: JobStatusReader) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.jobs = jobs
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        MetricsRequestHandler(metrics: metrics, jobs: jobs))
                }
            }
        do {
            channel = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw CommandFailure("cannot serve metrics on \(host):\(port): \(error)")
        }
        self.port = channel.localAddress?.port ?? port
    }

    /// Stops listening, lets the reads of `/jobs.json` under way finish, and ends the event loop.
    func shutdown() {
        try? channel.close().wait()
        jobs.stop()
        try? group.syncShutdownGracefully()
    }
}

/// What `GET /jobs.json` answers: `status --json`'s text, read from a store of its own on a serial queue of its own,
/// never on the event loop.
///
/// The store is opened at the first request (the run has created it by then) as `status` opens it: a connection
/// beside the run's, which the run's commits never wait for (SQLite's WAL, or another PostgreSQL connection). A
/// store that cannot be opened is tried again at the next request.
final class JobStatusReader: @unchecked Sendable {
    // @unchecked: `store` is only touched on `queue`; `stopped` is a mutex; the other properties are constants.
    private let queue = DispatchQueue(label: "verifyd.live-page")
    private let open: @Sendable () throws -> any JobStoreReader & JobControlStore
    private let spool: Spool
    private var store: (any JobStoreReader & JobControlStore)?
    /// Whether ``stop()`` was called; reads are queued only while it is `false`, under its lock.
    private let stopped = Mutex(false)

    /// Reads the jobs of the store `open` opens, with the report folders of `spool`.
    init(spool: Spool, open: @escaping @Sendable () throws -> any JobStoreReader & JobControlStore) {
        self.spool = spool
        self.open = open
    }

    /// Reads the jobs on the reader's queue and calls `completion` there with `status --json`'s text, or with why the
    /// store could not be read, in one line. Once the reader is stopped, calls it at once with a failure.
    func read(_ completion: @escaping @Sendable (Result<String, JobStatusReadFailure>) -> Void) {
        let queued = stopped.withLock { stopped in
            guard !stopped else { return false }
            queue.async {
                completion(
                    Result {
                        let store = try self.store ?? self.open()
                        self.store = store
                        return try JobStatus.jsonText(JobStatus.read(from: store, spool: self.spool))
                    }.mapError { JobStatusReadFailure(message: "\($0)") })
            }
            return true
        }
        if !queued { completion(.failure(JobStatusReadFailure(message: "verifyd is stopping"))) }
    }

    /// Answers every read from now on at once, and waits for the reads queued before to be answered: their answers
    /// are written on an event loop that must still be running.
    func stop() {
        stopped.withLock { $0 = true }
        queue.sync {}
    }
}

/// The store could not be read for `/jobs.json`: why, in one line.
struct JobStatusReadFailure: Error {
    /// The error's text, its line breaks made spaces.
    let line: String

    init(message: String) {
        line = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// An answer of the endpoint.
private struct Response: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: [UInt8]
    /// Headers besides the content type, length and `Cache-Control: no-store`.
    var headers: [(String, String)] = []

    /// A short text answer, one line.
    static func text(_ status: HTTPResponseStatus, _ line: String) -> Response {
        Response(status: status, contentType: "text/plain; charset=utf-8", body: Array((line + "\n").utf8))
    }
}

/// Answers one connection's requests: `GET /metrics`, `GET /`, `GET /jobs.json`; 405 for any method but GET or HEAD,
/// 404 for any other path, 503 when the store cannot be read.
private final class MetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: RunMetrics
    private let jobs: JobStatusReader
    private var request: HTTPRequestHead?

    init(metrics: RunMetrics, jobs: JobStatusReader) {
        self.metrics = metrics
        self.jobs = jobs
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard head.method == .GET || head.method == .HEAD else {
            var refused = Response.text(.methodNotAllowed, "verifyd's pages are read-only: use GET")
            refused.headers = [("Allow", "GET, HEAD")]
            return write(refused, to: head, context: context)
        }
        switch path {
        case "/metrics":
            write(
                Response(
                    status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.exposition()),
                to: head, context: context)
        case "/":
            let nonce = LivePage.newNonce()
            write(
                Response(
                    status: .ok, contentType: "text/html; charset=utf-8", body: Array(LivePage.html(nonce: nonce).utf8),
                    headers: [
                        ("Content-Security-Policy", LivePage.contentSecurityPolicy(nonce: nonce)),
                        ("Referrer-Policy", "no-referrer"),
                    ]), to: head, context: context)
        case "/jobs.json":
            // Read on the reader's queue; the answer is written back on the channel's event loop.
            let answered = context.eventLoop.makePromise(of: Response.self)
            jobs.read { result in
                switch result {
                case .success(let json):
                    answered.succeed(
                        Response(status: .ok, contentType: "application/json", body: Array((json + "\n").utf8)))
                case .failure(let failure):
                    answered.succeed(.text(.serviceUnavailable, "cannot read the state store: \(failure.line)"))
                }
            }
            answered.futureResult.assumeIsolated().whenSuccess { self.write($0, to: head, context: context) }
        default:
            write(.text(.notFound, "verifyd serves only /, /jobs.json and /metrics"), to: head, context: context)
        }
    }

    private func write(_ response: Response, to head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))),
            promise: nil)
        if head.method != .HEAD {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))),
                promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !head.isKeepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
