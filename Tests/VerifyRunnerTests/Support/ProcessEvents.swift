import Dispatch
import Foundation
import Synchronization

/// Where an event comes from, for ``firstOf(_:)``: given the function to call with the event's value, it arranges
/// for the call (at once, later, on any thread; more than once does no harm).
typealias EventSource<Value: Sendable> = (_ report: @escaping @Sendable (Value) -> Void) -> Void

/// Waits for whichever of several events comes first and returns its value; the later ones are ignored. Nothing
/// polls: each source reports its own event.
func firstOf<Value: Sendable>(_ sources: EventSource<Value>...) async -> Value {
    await withCheckedContinuation { continuation in
        let reported = Mutex(false)
        let report: @Sendable (Value) -> Void = { value in
            let isFirst = reported.withLock { reported in
                defer { reported = true }
                return !reported
            }
            if isFirst { continuation.resume(returning: value) }
        }
        for source in sources { source(report) }
    }
}

/// A safety net for ``firstOf(_:)``: `value` once `seconds` have passed, so that an event that never comes fails
/// its test instead of hanging the suite. A bound, never the event a test waits for.
func deadline<Value: Sendable>(_ seconds: Double, _ value: Value) -> EventSource<Value> {
    { report in DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { report(value) } }
}

/// Tells waiters when a child process ends.
///
/// A `Process` has one `terminationHandler`: this sets it once per process and tells every waiter, so that
/// several waits on one run (its starts, then a line of its log) do not take it from each other. A process is
/// kept here until it ends, so its identity is not reused meanwhile.
enum ProcessEnds {
    /// The processes waited on that have not ended yet, with their waiters.
    private static let waiting = Mutex<[ObjectIdentifier: (process: Process, waiters: [@Sendable () -> Void])]>([:])

    /// Calls `notify` once `process` has ended (at once if it has), on any thread.
    static func whenEnded(_ process: Process, _ notify: @escaping @Sendable () -> Void) {
        let id = ObjectIdentifier(process)
        let isFirst = waiting.withLock { waiting in
            defer { waiting[id, default: (process, [])].waiters.append(notify) }
            return waiting[id] == nil
        }
        if isFirst { process.terminationHandler = { _ in ended(id) } }
        // Foundation marks a process ended before it reads its handler: one that ended before the handler was set
        // is seen here.
        if !process.isRunning { ended(id) }
    }

    /// An event source for ``firstOf(_:)``: `value` once `process` has ended.
    static func source<Value: Sendable>(_ process: Process, _ value: Value) -> EventSource<Value> {
        { report in whenEnded(process) { report(value) } }
    }

    /// Tells the waiters of a process that ended, once.
    private static func ended(_ id: ObjectIdentifier) {
        let entry = waiting.withLock { $0.removeValue(forKey: id) }
        entry?.waiters.forEach { $0() }
    }
}

/// Reads a pipe on a thread of its own until its end (blocking reads: nothing polls), handing over each chunk as
/// it comes, then the complete lines in it; at the end, the rest after the last newline.
enum PipeLines {
    /// Starts reading `handle`, whose first bytes (already read) were `start`.
    ///
    /// - Parameters:
    ///   - handle: the read end of the pipe.
    ///   - start: bytes read from it before.
    ///   - chunk: each chunk read, before its lines.
    ///   - lines: the complete lines of the chunk (without their newline), if any.
    ///   - end: the pipe ended (every writer closed it); receives the text after the last newline.
    static func read(
        _ handle: FileHandle, after start: [UInt8] = [], chunk: @escaping @Sendable (Data) -> Void = { _ in },
        lines: @escaping @Sendable ([String]) -> Void, end: @escaping @Sendable (String) -> Void
    ) {
        Thread {
            var pending = start
            while true {
                var complete: [String] = []
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    complete.append(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
                if !complete.isEmpty { lines(complete) }
                let data = handle.availableData
                if data.isEmpty { break }
                chunk(data)
                pending += data
            }
            end(String(decoding: pending, as: UTF8.self))
        }.start()
    }
}
