import NIOCore
import NIOHTTP1

/// The per-connection channel handler: collects a request, asks the pipeline what to do, and does it.
///
/// It sits right behind NIO's HTTP/1.1 request decoder and writes its answers as finished bytes (status line,
/// headers and body in one buffer): the sandbox's answers are all small JSON bodies of known length, and NIO's
/// response encoder, header validator and pipelining handler cost more per request than the sandbox's own
/// work. The ordering those handlers guaranteed is kept here: answers leave in the order their requests came,
/// even when requests are pipelined and answers are delayed. Latency is a task scheduled on the connection's
/// event loop; no thread ever waits. An answer whose request printed a code line is held until the line is written
/// (``CodeLog/whenWritten(_:on:_:)``), so a client holding the answer can already read the code on the sandbox's
/// output. A long poll of the stats (``SandboxAction/respondWithStats(whenStartsReach:timeout:)``) is an answer
/// held the same way, until the stats recorder says the starts reached the count or the timeout passed; its bytes
/// are made then. It lives on one event loop and is not `Sendable`.
final class SandboxHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

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
        /// An answer said `Connection: close`: later requests are ignored until the connection is closed.
        case closing
    }

    /// An answer waiting for its delay to pass, for its code line to be written, for a long poll's event, or for
    /// the answers before it.
    private struct PendingReply {
        /// The complete HTTP response; `nil` closes the connection without one (an injected drop). A long poll's
        /// answer is `nil` until it is made, and waits (``isWaiting``) meanwhile.
        var bytes: ByteBuffer?
        /// Whether the connection stays open after it.
        var keepAlive: Bool
        /// When it may be sent.
        var due: NIODeadline
        /// Tells it apart from the other answers of the connection.
        var number: UInt64
        /// The code line it must not overtake, while that is not known to be written.
        var codeLine: CodeLog.Ticket?
        /// Whether it waits to be told it may go: its code line is written, or a long poll's answer is made.
        var isWaiting = false
    }

    /// The shared request pipeline.
    private let pipeline: SandboxPipeline
    /// Where the handler is in the current request.
    private var state = State.idle
    /// Answers not yet sent, oldest first.
    private var pendingReplies = CircularBuffer<PendingReply>()
    /// The task that sends the oldest pending answer when it is due; cancelled if the connection goes first.
    private var scheduledReply: Scheduled<Void>?
    /// Whether answers were written since the last flush.
    private var needsFlush = false
    /// The number of the next pending answer.
    private var nextReplyNumber: UInt64 = 0

    /// Creates the handler for one connection.
    init(pipeline: SandboxPipeline) {
        self.pipeline = pipeline
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (_, .closing):
            break
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
            state = head.isKeepAlive ? .idle : .closing
            let request = SandboxRequest(head: head, body: body)
            switch pipeline.action(for: request) {
            case .respond(let response, let delay):
                reply(response, version: head.version, keepAlive: head.isKeepAlive, after: delay, context: context)
            case .close(let delay):
                state = .closing
                enqueue(bytes: nil, keepAlive: false, due: .now() + TimeAmount(delay), context: context)
            case .hang:
                state = .closing
            case .respondWithStats(let count, let timeout):
                respondWithStats(
                    whenStartsReach: count, timeout: timeout, version: head.version, keepAlive: head.isKeepAlive,
                    context: context)
            }
        case (.end, .discarding(let head)):
            state = .closing
            let tooLarge = SandboxResponse(status: 413, body: Array(#"{"message":"request body too large"}"#.utf8))
            reply(tooLarge, version: head.version, keepAlive: false, after: .zero, context: context)
        case (.end, .idle):
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        scheduledReply?.cancel()
        scheduledReply = nil
        pendingReplies.removeAll()
    }

    /// A request the decoder cannot parse gets 400 and the connection is closed, as NIO's server error
    /// handler does; any other error closes the connection.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError, pendingReplies.isEmpty, case .idle = state {
            state = .closing
            var bytes = context.channel.allocator.buffer(capacity: 96)
            bytes.writeString("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            context.writeAndFlush(wrapOutboundOut(bytes)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
            return
        }
        context.close(promise: nil)
    }

    /// Sends an answer now, or queues it behind earlier answers, its delay and its code line.
    private func reply(
        _ response: SandboxResponse, version: HTTPVersion, keepAlive: Bool, after delay: Duration,
        context: ChannelHandlerContext
    ) {
        let bytes = Self.serialize(
            response, version: version, keepAlive: keepAlive, allocator: context.channel.allocator)
        if delay <= .zero, pendingReplies.isEmpty, response.codeLine.map(pipeline.codeLog.isWritten) ?? true {
            send(bytes, keepAlive: keepAlive, context: context)
            return
        }
        // The line is only waited for when the answer is due (with a latency, it is written long before).
        enqueue(
            bytes: bytes, keepAlive: keepAlive, due: .now() + TimeAmount(delay), codeLine: response.codeLine,
            context: context)
    }

    /// Queues an answer (or a drop, `bytes` `nil`) behind the earlier ones; returns its number.
    @discardableResult
    private func enqueue(
        bytes: ByteBuffer?, keepAlive: Bool, due: NIODeadline, codeLine: CodeLog.Ticket? = nil, isWaiting: Bool = false,
        context: ChannelHandlerContext
    ) -> UInt64 {
        let number = nextReplyNumber
        pendingReplies.append(
            PendingReply(
                bytes: bytes, keepAlive: keepAlive, due: due, number: number, codeLine: codeLine, isWaiting: isWaiting))
        nextReplyNumber += 1
        if scheduledReply == nil { scheduleOldestReply(context: context) }
        return number
    }

    /// Queues the stats' answer, to be made and sent once the starts reach `count` or `timeout` has passed (the
    /// stats recorder says which comes first, on this event loop).
    private func respondWithStats(
        whenStartsReach count: Int, timeout: Duration, version: HTTPVersion, keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        let number = enqueue(bytes: nil, keepAlive: keepAlive, due: .now(), isWaiting: true, context: context)
        let pipeline = self.pipeline
        let allocator = context.channel.allocator
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        pipeline.stats.whenStarts(reach: count, on: context.eventLoop, timeout: TimeAmount(timeout)) {
            let bytes = Self.serialize(
                pipeline.statsResponse(), version: version, keepAlive: keepAlive, allocator: allocator)
            handler.value.release(reply: number, bytes: bytes, context: boundContext.value)
        }
    }

    /// A pending answer may go: its code line is written, or (`bytes` given) a long poll's answer is made. Nothing
    /// happens when the answer is gone (the connection closed meanwhile) or no longer waits.
    private func release(reply number: UInt64, bytes: ByteBuffer? = nil, context: ChannelHandlerContext) {
        guard let index = pendingReplies.firstIndex(where: { $0.number == number }), pendingReplies[index].isWaiting
        else { return }
        if let bytes { pendingReplies[index].bytes = bytes }
        pendingReplies[index].codeLine = nil
        pendingReplies[index].isWaiting = false
        if index == pendingReplies.startIndex, scheduledReply == nil { sendDueReplies(context: context) }
    }

    /// Whether the oldest pending answer may go at `now`: it is due, does not wait for a long poll's event, and its
    /// code line (if any) is written. When the line is not written yet, the code log is asked to say when it is
    /// (``release(reply:bytes:context:)``).
    private func oldestIsReady(at now: NIODeadline, context: ChannelHandlerContext) -> Bool {
        guard let oldest = pendingReplies.first, oldest.due <= now, !oldest.isWaiting else { return false }
        guard let ticket = oldest.codeLine else { return true }
        let number = oldest.number
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let waits = pipeline.codeLog.whenWritten(ticket, on: context.eventLoop) {
            handler.value.release(reply: number, context: boundContext.value)
        }
        pendingReplies[pendingReplies.startIndex].codeLine = nil
        pendingReplies[pendingReplies.startIndex].isWaiting = waits
        return !waits
    }

    /// Schedules the oldest pending answer for its due time; one that waits for its code line or a long poll's
    /// event is sent by ``release(reply:bytes:context:)`` instead.
    private func scheduleOldestReply(context: ChannelHandlerContext) {
        guard let oldest = pendingReplies.first, !oldest.isWaiting else { return }
        scheduledReply = context.eventLoop.assumeIsolated().scheduleTask(deadline: oldest.due) {
            self.scheduledReply = nil
            self.sendDueReplies(context: context)
        }
    }

    /// Sends every pending answer that is ready, in order, then waits for the next one.
    private func sendDueReplies(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        while oldestIsReady(at: now, context: context), let oldest = pendingReplies.first {
            pendingReplies.removeFirst()
            send(oldest.bytes, keepAlive: oldest.keepAlive, context: context)
            if !oldest.keepAlive { return }
        }
        flushIfNeeded(context: context)
        scheduleOldestReply(context: context)
    }

    /// Writes one answer; the flush follows at the end of the current read (or batch of due answers), except for
    /// a last answer, which is flushed at once and followed by closing the connection. No answer (`nil`) closes
    /// the connection after flushing the answers before it.
    private func send(_ bytes: ByteBuffer?, keepAlive: Bool, context: ChannelHandlerContext) {
        guard let bytes else {
            pendingReplies.removeAll()
            needsFlush = false
            context.flush()
            context.close(promise: nil)
            return
        }
        guard keepAlive else {
            pendingReplies.removeAll()
            needsFlush = false
            context.writeAndFlush(wrapOutboundOut(bytes)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
            return
        }
        context.write(wrapOutboundOut(bytes), promise: nil)
        needsFlush = true
    }

    /// Flushes written answers, if any.
    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        context.flush()
    }

    /// The complete HTTP/1.x response: status line, the response's own headers, `Content-Type`,
    /// `Content-Length`, `Connection`, and the JSON body.
    static func serialize(
        _ response: SandboxResponse, version: HTTPVersion, keepAlive: Bool, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var bytes = allocator.buffer(capacity: 160 + response.body.count)
        bytes.writeString("HTTP/\(version.major).\(version.minor) \(response.status) ")
        bytes.writeString(HTTPResponseStatus(statusCode: response.status).reasonPhrase)
        bytes.writeStaticString("\r\n")
        for header in response.headers {
            bytes.writeString(header.name)
            bytes.writeStaticString(": ")
            bytes.writeString(header.value)
            bytes.writeStaticString("\r\n")
        }
        bytes.writeStaticString("Content-Type: application/json; charset=utf-8\r\nContent-Length: ")
        bytes.writeString(String(response.body.count))
        bytes.writeStaticString(keepAlive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n")
        bytes.writeBytes(response.body)
        return bytes
    }
}
