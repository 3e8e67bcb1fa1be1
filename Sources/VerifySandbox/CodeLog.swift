import Dispatch
import Foundation
import NIOCore
import Synchronization

/// The sandbox's code lines: one line per code sent, written as soon as the code is sent, in order.
///
/// Printing each code is what the sandbox is for: a person or a script reading its standard output learns the code
/// of every number a client starts, re-sends included:
///
/// ```
/// 2026-12-02T10:00:00Z verify-v2 code for +12025550189 is 744400
/// 2026-12-02T10:00:07Z verify-v2 code for +12025550189 is 744400 (sent again)
/// ```
///
/// The routes format a line on their event loop (cheap: arithmetic and appends) and add it to a buffer under a
/// lock; a private serial Dispatch queue writes the buffer out right away — one `write` per line when the output
/// keeps up, several lines in one `write` when it falls behind — so an event loop never waits for the output.
/// The answer to the request that sent a code is held until its line is written (see ``whenWritten(_:on:_:)``):
/// whoever has the answer can already read the line. Should the output stop being read, at most ``capacity``
/// bytes wait; further lines are dropped (their answers are not held) and counted in a note line once the output
/// moves again.
final class CodeLog: Sendable {
    /// A recorded line, to wait for with ``whenWritten(_:on:_:)``.
    struct Ticket: Sendable, Equatable {
        /// The line's position among every line recorded, from 1.
        fileprivate var sequence: UInt64
    }

    /// A request whose answer waits for a line.
    private struct Waiter {
        /// The line it waits for.
        var sequence: UInt64
        /// Its connection's event loop, where ``notify`` runs.
        var eventLoop: any EventLoop
        /// Sends the answer; runs on ``eventLoop``.
        var notify: @Sendable () -> Void
    }

    /// The lines on their way out, and who waits for them.
    private struct State {
        /// Lines recorded and not yet handed to the writer.
        var bytes: [UInt8] = []
        /// Lines recorded so far (the sequence of the latest).
        var recorded: UInt64 = 0
        /// Lines written so far (every line up to this sequence).
        var written: UInt64 = 0
        /// Lines not kept because ``capacity`` bytes were already waiting.
        var dropped = 0
        /// Whether the queue is writing or about to.
        var isWriting = false
        /// Set at shutdown: waiters are no longer told, their event loops are going away.
        var isNotifying = true
        /// Answers waiting for their line, in no particular order.
        var waiters: [Waiter] = []
    }

    /// Most bytes kept waiting for a slow output; further lines are dropped and counted.
    static let capacity = 4 << 20

    /// Receives the text of each write, on ``queue``; it may block.
    private let writer: @Sendable ([UInt8]) -> Void
    /// The waiting lines and waiters.
    private let state = Mutex(State())
    /// Where lines are written out, off the event loops.
    private let queue = DispatchQueue(label: "verifyd.sandbox.code-log")

    /// Creates a code log.
    ///
    /// - Parameter writer: receives complete lines, one call per write, on a private serial queue.
    init(writer: @escaping @Sendable ([UInt8]) -> Void) {
        self.writer = writer
    }

    /// Records the code sent to a number, and starts writing it out.
    ///
    /// - Parameters:
    ///   - code: the code.
    ///   - number: the E.164 number.
    ///   - provider: the provider's name, `authy-v1` or `verify-v2`.
    ///   - isResend: whether the code was sent again for a pending verification (the line says `(sent again)`).
    ///   - date: the time printed in the line.
    /// - Returns: the line's ticket, or `nil` when the line was dropped because the output is too far behind.
    func record(
        code: String, for number: String, provider: StaticString, isResend: Bool, at date: Date
    ) -> Ticket? {
        let (ticket, startsWriting) = state.withLock { state -> (Ticket?, Bool) in
            guard state.bytes.count < Self.capacity else {
                state.dropped += 1
                return (nil, false)
            }
            Self.appendLine(
                to: &state.bytes, date: date, provider: provider, number: number, code: code, isResend: isResend)
            state.recorded += 1
            let startsWriting = !state.isWriting
            state.isWriting = true
            return (Ticket(sequence: state.recorded), startsWriting)
        }
        if startsWriting { queue.async { self.writeOut() } }
        return ticket
    }

    /// Whether the ticket's line is written.
    func isWritten(_ ticket: Ticket) -> Bool {
        state.withLock { ticket.sequence <= $0.written }
    }

    /// Arranges for `notify` to run on `eventLoop` once the ticket's line is written.
    ///
    /// - Parameters:
    ///   - ticket: the line.
    ///   - eventLoop: where `notify` runs.
    ///   - notify: what to do then (send the held answer).
    /// - Returns: `false` when the line is already written (`notify` will not run), else `true`.
    func whenWritten(
        _ ticket: Ticket, on eventLoop: any EventLoop, _ notify: @escaping @Sendable () -> Void
    ) -> Bool {
        state.withLock { state in
            guard ticket.sequence > state.written else { return false }
            state.waiters.append(Waiter(sequence: ticket.sequence, eventLoop: eventLoop, notify: notify))
            return true
        }
    }

    /// Stops telling waiters that their line is written, for good: called before the event loops shut down, so
    /// nothing is scheduled on a loop that is gone. Lines are still written.
    func stopNotifying() {
        state.withLock { state in
            state.isNotifying = false
            state.waiters = []
        }
    }

    /// Returns once every line recorded before the call is written.
    func close() async {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume() }
        }
    }

    /// Writes the waiting lines until none is left, telling their waiters after each write; runs on ``queue``.
    private func writeOut() {
        while true {
            let batch = state.withLock { state -> (bytes: [UInt8], through: UInt64, dropped: Int)? in
                guard !state.bytes.isEmpty || state.dropped > 0 else {
                    state.isWriting = false
                    return nil
                }
                defer {
                    state.bytes = []
                    state.dropped = 0
                }
                return (state.bytes, state.recorded, state.dropped)
            }
            guard var batch else { return }
            if batch.dropped > 0 {
                batch.bytes.append(
                    contentsOf: "(\(batch.dropped) code lines dropped: standard output too slow)\n".utf8)
            }
            writer(batch.bytes)
            state.withLock { state in
                state.written = batch.through
                guard state.isNotifying else { return }
                // Scheduling on an event loop never blocks; doing it under the lock keeps `stopNotifying()` exact.
                for waiter in state.waiters where waiter.sequence <= batch.through {
                    waiter.eventLoop.execute(waiter.notify)
                }
                state.waiters.removeAll { $0.sequence <= batch.through }
            }
        }
    }

    /// Appends one line: `TIME PROVIDER code for NUMBER is CODE`, then ` (sent again)` for a re-send.
    static func appendLine(
        to bytes: inout [UInt8], date: Date, provider: StaticString, number: String, code: String, isResend: Bool
    ) {
        ISO8601Timestamp.write(date, into: &bytes)
        bytes.append(UInt8(ascii: " "))
        provider.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: " code for ".utf8)
        bytes.append(contentsOf: number.utf8)
        bytes.append(contentsOf: " is ".utf8)
        bytes.append(contentsOf: code.utf8)
        if isResend { bytes.append(contentsOf: " (sent again)".utf8) }
        bytes.append(UInt8(ascii: "\n"))
    }
}
