import NIOCore
import NIOHTTP1

/// The per-connection channel handler: collects a request, asks the pipeline what to do, and does it.
///
/// It sits behind NIO's HTTP/1.1 server pipeline with pipelining assistance, so it sees one request at a time
/// and answers in order on a keep-alive connection. Latency is a task scheduled on the connection's event loop;
/// no thread ever waits. It lives on one event loop and is not `Sendable`.
final class SandboxHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Largest body the sandbox reads; larger requests get 413 and the connection is closed.
    static let maximumBodySize = 64 * 1024

    /// Where the handler is in the current request.
    private enum State {
        /// Between requests.
        case idle
        /// Reading the body of a request.
        case receiving(HTTPRequestHead, [UInt8])
        /// The body was too large; the rest of it is skipped.
        case discarding(HTTPRequestHead)
    }

    /// The shared request pipeline.
    private let pipeline: SandboxPipeline
    /// Where the handler is in the current request.
    private var state = State.idle
    /// A delayed answer not yet sent, cancelled if the connection goes away first.
    private var scheduledReply: Scheduled<Void>?

    /// Creates the handler for one connection.
    init(pipeline: SandboxPipeline) {
        self.pipeline = pipeline
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), _):
            state = .receiving(head, [])
        case (.body(let buffer), .receiving(let head, var body)):
            guard body.count + buffer.readableBytes <= Self.maximumBodySize else {
                state = .discarding(head)
                return
            }
            state = .idle  // drop the array's second reference before appending, so it is not copied
            body.append(contentsOf: buffer.readableBytesView)
            state = .receiving(head, body)
        case (.body, _):
            break
        case (.end, .receiving(let head, let body)):
            state = .idle
            let request = SandboxRequest(head: head, body: body)
            perform(
                pipeline.action(for: request), version: head.version, keepAlive: head.isKeepAlive,
                context: context)
        case (.end, .discarding(let head)):
            state = .idle
            let tooLarge = SandboxResponse(status: 413, body: Array(#"{"message":"request body too large"}"#.utf8))
            write(tooLarge, version: head.version, keepAlive: false, context: context)
        case (.end, .idle):
            break
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        scheduledReply?.cancel()
        scheduledReply = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Carries out the pipeline's decision.
    private func perform(
        _ action: SandboxAction, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext
    ) {
        switch action {
        case .respond(let response, let delay) where delay <= .zero:
            write(response, version: version, keepAlive: keepAlive, context: context)
        case .respond(let response, let delay):
            scheduledReply = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
                self.scheduledReply = nil
                self.write(response, version: version, keepAlive: keepAlive, context: context)
            }
        }
    }

    /// Writes a complete JSON answer, and closes the connection afterwards unless it is kept alive.
    private func write(
        _ response: SandboxResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(3 + response.headers.count)
        for header in response.headers { headers.add(name: header.name, value: header.value) }
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(
            version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
