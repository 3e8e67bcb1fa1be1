public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A local HTTP/1.1 server that fakes both verification APIs (Authy V1 and Verify V2) for tests, benchmarks
/// and `verifyd sandbox`.
///
/// It listens on ``SandboxConfiguration/host`` (127.0.0.1 by default) with keep-alive and many concurrent
/// connections, on its own SwiftNIO event loops (one per core). Number rules, codes and error bodies are
/// described on ``SandboxConfiguration`` and in docs/sandbox.md. Every code it sends, re-sends included, is
/// printed as soon as it is sent, one line each, to ``SandboxConfiguration/codeLineWriter`` (standard output by
/// default): `2026-12-02T10:00:00Z authy-v1 code for +12025550189 is 4400`, with ` (sent again)` after a re-send
/// (see ``CodeLog``); nothing is logged per request. The per-request path is kept lean (hand-written JSON, no
/// per-request formatting or hashing beyond the ledgers and counters) because benchmarks run the sandbox beside
/// the client on one machine.
///
/// ```swift
/// let server = try await SandboxServer.start(configuration: SandboxConfiguration(), logger: logger)
/// // talk to http://127.0.0.1:\(server.port)
/// print(server.stats().starts)
/// try await server.shutdown()
/// ```
public final class SandboxServer: Sendable {
    /// The event loops a server runs on.
    enum EventLoops: Sendable {
        /// Its own, one per core, shut down with it.
        case owned(MultiThreadedEventLoopGroup)
        /// Someone else's, left running (tests share one group between many servers).
        case shared(any EventLoopGroup)

        /// The group.
        var group: any EventLoopGroup {
            switch self {
            case .owned(let group): group
            case .shared(let group): group
            }
        }

        /// Shuts the group down if the server owns it.
        func shutdownIfOwned() async throws {
            if case .owned(let group) = self { try await group.shutdownGracefully() }
        }
    }

    /// The TCP port the server listens on (the chosen one when the configuration asked for port 0).
    public let port: Int
    /// The listening socket.
    private let channel: any Channel
    /// The event loops the server runs on.
    private let eventLoops: EventLoops
    /// The connections it accepted, closed on shutdown.
    private let connections: OpenConnections
    /// The counters behind ``stats()``.
    private let recorder: StatsRecorder
    /// Where the codes are printed; written out on shutdown.
    private let codeLog: CodeLog
    /// For the shutdown message.
    private let logger: Logger

    /// Wraps a bound server.
    private init(
        port: Int, channel: any Channel, eventLoops: EventLoops, connections: OpenConnections,
        recorder: StatsRecorder, codeLog: CodeLog, logger: Logger
    ) {
        self.port = port
        self.channel = channel
        self.eventLoops = eventLoops
        self.connections = connections
        self.recorder = recorder
        self.codeLog = codeLog
        self.logger = logger
    }

    /// Binds and starts a sandbox.
    ///
    /// - Parameters:
    ///   - configuration: address, latency, credentials, clock and where the code lines go.
    ///   - logger: receives the startup line and unexpected errors.
    ///   - beforeAccepting: called with the bound port before the first connection is accepted, so that what it
    ///     prints (`verifyd sandbox`'s banner) comes before any code line.
    /// - Returns: the running server; call ``shutdown()`` when done.
    /// - Throws: when the address cannot be bound (e.g. the port is taken).
    public static func start(
        configuration: SandboxConfiguration = SandboxConfiguration(), logger: Logger,
        beforeAccepting: (_ port: Int) -> Void = { _ in }
    ) async throws -> SandboxServer {
        try await start(
            configuration: configuration, logger: logger,
            eventLoops: .owned(MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)),
            beforeAccepting: beforeAccepting)
    }

    /// Binds and starts a sandbox on the given event loops.
    ///
    /// Tests run many sandboxes at once on one shared group: a group of its own costs a server three descriptors
    /// per event loop, and a test process with too many descriptors open trips Foundation's `Process.run`.
    ///
    /// - Parameters:
    ///   - configuration: address, latency, credentials, clock and where the code lines go.
    ///   - logger: receives the startup line and unexpected errors.
    ///   - eventLoops: the group to run on, owned (shut down with the server) or shared.
    ///   - beforeAccepting: called with the bound port before the first connection is accepted.
    /// - Returns: the running server; call ``shutdown()`` when done.
    /// - Throws: when the address cannot be bound (e.g. the port is taken).
    static func start(
        configuration: SandboxConfiguration, logger: Logger, eventLoops: EventLoops,
        beforeAccepting: (_ port: Int) -> Void = { _ in }
    ) async throws -> SandboxServer {
        let recorder = StatsRecorder()
        let codeLog = CodeLog(writer: configuration.codeLineWriter)
        let router = SandboxRouter(
            v1: V1Routes(configuration: configuration, stats: recorder, codeLog: codeLog),
            v2: V2Routes(configuration: configuration, stats: recorder, codeLog: codeLog))
        let pipeline = SandboxPipeline(
            router: router, stats: recorder, latency: configuration.latency,
            rateLimit: configuration.rateLimit > 0
                ? RateLimit(perSecond: configuration.rateLimit, lastsFor: configuration.rateLimitFor) : nil,
            faults: configuration.faults.plan, codeLog: codeLog, logger: logger)
        let connections = OpenConnections()
        let bootstrap = ServerBootstrap(group: eventLoops.group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.autoRead, value: false)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                connections.insert(channel)
                return channel.eventLoop.makeCompletedFuture {
                    let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(decoder))
                    try channel.pipeline.syncOperations.addHandler(SandboxHTTPHandler(pipeline: pipeline))
                }
            }
        let channel: any Channel
        let port: Int
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
            port = channel.localAddress?.port ?? configuration.port
            beforeAccepting(port)
            try await channel.setOption(.autoRead, value: true).get()
        } catch {
            try? await eventLoops.shutdownIfOwned()
            throw error
        }
        logger.info("sandbox listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
        return SandboxServer(
            port: port, channel: channel, eventLoops: eventLoops, connections: connections, recorder: recorder,
            codeLog: codeLog, logger: logger)
    }

    /// A copy of the counters (the same figures as `GET /_sandbox/stats`).
    public func stats() -> SandboxStats {
        recorder.snapshot()
    }

    /// Sets every counter back to zero (as `POST /_sandbox/reset`); verifications in progress are kept.
    public func resetStats() {
        recorder.reset()
    }

    /// Stops listening, closes every connection, stops the event loops it owns and writes out the last code lines.
    ///
    /// - Throws: if the event loops fail to shut down.
    public func shutdown() async throws {
        try? await channel.close()
        codeLog.stopNotifying()
        await connections.closeAll()
        try await eventLoops.shutdownIfOwned()
        await codeLog.close()
        logger.debug("sandbox stopped", metadata: ["port": "\(port)"])
    }
}

/// The connections a server accepted that are still open, so that its shutdown closes them also when its event
/// loops are shared (and so not shut down with it).
final class OpenConnections: Sendable {
    /// The open connections by identity.
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// Keeps a new connection until it closes.
    func insert(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in
            self.channels.withLock { $0[id] = nil }
        }
    }

    /// Closes every connection still open and waits for each to close.
    func closeAll() async {
        for channel in channels.withLock({ Array($0.values) }) {
            try? await channel.close()
        }
    }
}
