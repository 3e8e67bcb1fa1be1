import Dispatch
import Foundation
import Logging
import Synchronization

/// The sandbox's code lines, written to standard error in batches.
///
/// Printing each new code is what the sandbox is for (SPEC.md §6), but a log handler that formats and writes one
/// line per request (a time-zone lookup and an unbuffered `write` each) cost more than answering the request.
/// So the routes append ready-made lines to a buffer under a lock, and a private Dispatch queue writes the
/// buffer out at most ``flushDelay`` later, and once more on ``close()``: event loops never wait for the
/// terminal. The lines keep swift-log's stream format, with the time in UTC:
///
/// ```
/// 2025-06-15T15:06:40Z info verifyd : provider=authy-v1 [VerifySandbox] code for +12025550189 is 4400
/// ```
///
/// New codes are written at `info`, re-sent ones at `debug`, each only when the server's logger lets that level
/// through; the logger's own handler is not used for these lines.
final class CodeLog: Sendable {
    /// Lines waiting to be written.
    private struct Pending {
        /// The text of the lines.
        var bytes: [UInt8] = []
        /// Lines not kept because the buffer was full (standard error not keeping up).
        var dropped = 0
        /// Whether a write-out is already scheduled.
        var isFlushScheduled = false
    }

    /// The longest a line waits before it is written.
    static let flushDelay = DispatchTimeInterval.milliseconds(100)
    /// Most bytes kept waiting; further lines are counted and dropped until the next write-out.
    static let capacity = 4 << 20

    /// The lowest level written.
    private let minimumLevel: Logger.Level
    /// `LABEL ` as written after the level (the logger's label).
    private let label: [UInt8]
    /// Receives each batch, on ``queue``.
    private let sink: @Sendable ([UInt8]) -> Void
    /// The waiting lines.
    private let pending = Mutex(Pending())
    /// Where batches are written out, off the event loops.
    private let queue = DispatchQueue(label: "verifyd.sandbox.code-log")

    /// Creates a code log.
    ///
    /// - Parameters:
    ///   - label: the label printed in each line (the server logger's).
    ///   - minimumLevel: the lowest level written (the server logger's).
    ///   - sink: receives each batch of complete lines; standard error by default.
    init(
        label: String, minimumLevel: Logger.Level,
        sink: @escaping @Sendable ([UInt8]) -> Void = { try? FileHandle.standardError.write(contentsOf: $0) }
    ) {
        self.label = Array(label.utf8)
        self.minimumLevel = minimumLevel
        self.sink = sink
    }

    /// Records the code sent to a number.
    ///
    /// - Parameters:
    ///   - code: the code.
    ///   - number: the E.164 number.
    ///   - isNew: whether the verification is new (`info`) or the code was re-sent (`debug`).
    ///   - provider: the provider's name, e.g. `authy-v1`.
    ///   - date: the time printed in the line.
    func record(code: String, for number: String, isNew: Bool, provider: StaticString, at date: Date) {
        let level: Logger.Level = isNew ? .info : .debug
        guard level >= minimumLevel else { return }
        let schedule = pending.withLock { pending in
            guard pending.bytes.count < Self.capacity else {
                pending.dropped += 1
                return false
            }
            Self.appendLine(
                to: &pending.bytes, date: date, level: level, label: label, provider: provider, number: number,
                code: code)
            let wasScheduled = pending.isFlushScheduled
            pending.isFlushScheduled = true
            return !wasScheduled
        }
        if schedule {
            queue.asyncAfter(deadline: .now() + Self.flushDelay) { self.flush() }
        }
    }

    /// Writes out every waiting line; returns once they are written.
    func close() async {
        await withCheckedContinuation { continuation in
            queue.async {
                self.flush()
                continuation.resume()
            }
        }
    }

    /// Hands the waiting lines to the sink; runs on ``queue``.
    private func flush() {
        var batch = pending.withLock { pending in
            defer { pending = Pending() }
            return pending
        }
        if batch.dropped > 0 {
            batch.bytes.append(contentsOf: "(\(batch.dropped) code lines dropped: standard error too slow)\n".utf8)
        }
        if !batch.bytes.isEmpty { sink(batch.bytes) }
    }

    /// Appends one line: `TIME LEVEL LABEL : provider=PROVIDER [VerifySandbox] code for NUMBER is CODE`.
    static func appendLine(
        to bytes: inout [UInt8], date: Date, level: Logger.Level, label: [UInt8], provider: StaticString,
        number: String, code: String
    ) {
        ISO8601Timestamp.write(date, into: &bytes)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: level.rawValue.utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: label)
        bytes.append(contentsOf: " : provider=".utf8)
        provider.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: " [VerifySandbox] code for ".utf8)
        bytes.append(contentsOf: number.utf8)
        bytes.append(contentsOf: " is ".utf8)
        bytes.append(contentsOf: code.utf8)
        bytes.append(UInt8(ascii: "\n"))
    }
}
