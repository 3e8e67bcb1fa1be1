public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

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
    /// The TCP port the server listens on (the chosen one when the configuration asked for port 0).
    public let port: Int
    /// The listening socket.
    private let channel: any Channel
    /// The event loops the server owns and shuts down.
    private let group: MultiThreadedEventLoopGroup
    /// The counters behind ``stats()``.
    private let recorder: StatsRecorder
    /// Where the codes are printed; written out on shutdown.
    private let codeLog: CodeLog
    /// For the shutdown message.
    private let logger: Logger

    /// Wraps a bound server.
    private init(
        port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup, recorder: StatsRecorder,
        codeLog: CodeLog, logger: Logger
    ) {
        self.port = port
        self.channel = channel
        self.group = group
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
        let recorder = StatsRecorder()
        let codeLog = CodeLog(writer: configuration.codeLineWriter)
        let router = SandboxRouter(
            v1: V1Routes(configuration: configuration, stats: recorder, codeLog: codeLog),
            v2: V2Routes(configuration: configuration, stats: recorder, codeLog: codeLog))
        let pipeline = SandboxPipeline(
            router: router, stats: recorder, latency: configuration.latency,
            rateLimit: configuration.rateLimit > 0 ? RateLimit(perSecond: configuration.rateLimit) : nil,
            faults: configuration.faults.plan, codeLog: codeLog, logger: logger)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.autoRead, value: false)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(decoder))
                    try channel.pipeline.syncOperations.addHandler(SandboxHTTPHandler(pipeline: pipeline))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let port = channel.localAddress?.port ?? configuration.port
        beforeAccepting(port)
        try await channel.setOption(.autoRead, value: true).get()
        logger.info("sandbox listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
        return SandboxServer(
            port: port, channel: channel, group: group, recorder: recorder, codeLog: codeLog, logger: logger)
    }

    /// A copy of the counters (the same figures as `GET /_sandbox/stats`).
    public func stats() -> SandboxStats {
        recorder.snapshot()
    }

    /// Sets every counter back to zero (as `POST /_sandbox/reset`); verifications in progress are kept.
    public func resetStats() {
        recorder.reset()
    }

    /// Stops listening, closes every connection, stops the event loops and writes out the last code lines.
    ///
    /// - Throws: if the event loops fail to shut down.
    public func shutdown() async throws {
        try? await channel.close()
        codeLog.stopNotifying()
        try await group.shutdownGracefully()
        await codeLog.close()
        logger.debug("sandbox stopped", metadata: ["port": "\(port)"])
    }
}
