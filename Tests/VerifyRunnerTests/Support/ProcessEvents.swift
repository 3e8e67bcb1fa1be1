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

/// The standard error of a run started by ``BuiltBinary/start(_:environment:stderrFile:)`` with a file: the run
/// writes to a pipe, read as it comes (``PipeLines``); each chunk is appended to the file (tests read it
/// afterwards), then the waiters whose text is in a new line are told. The end of the pipe (the run exited)
/// tells the others that their line never came.
final class StderrCopy: Sendable {
    /// The lines read so far, and who waits for one or for the end.
    private struct State {
        /// Every line read, the last one without a newline included once the pipe ended.
        var lines: [String] = []
        /// The pipe ended: the file is complete.
        var ended = false
        /// Waiters for a line containing a text; told the line, or `nil` when the pipe ended without it.
        var lineWaiters: [(text: String, notify: @Sendable (String?) -> Void)] = []
        /// Waiters for the end.
        var endWaiters: [@Sendable () -> Void] = []
    }

    /// The copies of runs whose pipe has not ended yet, by run (kept, so its identity is not reused meanwhile).
    private static let running = Mutex<[ObjectIdentifier: (process: Process, copy: StderrCopy)]>([:])

    /// The file the lines are copied to.
    let path: String
    /// The lines and waiters.
    private let state = Mutex(State())

    private init(path: String) {
        self.path = path
    }

    /// Runs `process` with its standard error going to a pipe, copied to a new, empty file at `path`.
    static func run(_ process: Process, copyingStderrTo path: String) throws {
        let file = try FileHandle.emptyFileForWriting(at: path)
        let pipe = Pipe()
        process.standardError = pipe
        do {
            try process.run()  // closes the pipe's write end here: the pipe ends when the run's copy closes
        } catch {
            try? file.close()
            throw error
        }
        let copy = StderrCopy(path: path)
        let id = ObjectIdentifier(process)
        running.withLock { $0[id] = (process, copy) }
        PipeLines.read(
            pipe.fileHandleForReading, chunk: { file.write($0) }, lines: { copy.add($0) },
            end: { rest in
                try? file.close()
                copy.end(lastLine: rest)
                running.withLock { _ = $0.removeValue(forKey: id) }
            })
    }

    /// Calls `notify` with the first line of `process`'s standard error that contains `text`, once it is in the file
    /// at `path`, or with `nil` once the run's standard error ended without one. When the copy already ended, or
    /// the run has none, the file is complete: it is read once.
    static func whenLine(
        containing text: String, of process: Process, in path: String, _ notify: @escaping @Sendable (String?) -> Void
    ) {
        if let copy = running.withLock({ $0[ObjectIdentifier(process)]?.copy }), copy.path == path {
            copy.whenLine(containing: text, notify)
            return
        }
        let lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
        notify(lines.first { $0.contains(text) }.map(String.init))
    }

    /// Returns once `process`'s standard error is all in its file (at once when it has no copy running).
    static func finished(_ process: Process) async {
        guard let copy = running.withLock({ $0[ObjectIdentifier(process)]?.copy }) else { return }
        await withCheckedContinuation { continuation in copy.whenEnded { continuation.resume() } }
    }

    /// Tells the waiter of `text` its line, now or once it comes, or `nil` at the end.
    private func whenLine(containing text: String, _ notify: @escaping @Sendable (String?) -> Void) {
        let seen = state.withLock { state -> String?? in
            if let line = state.lines.first(where: { $0.contains(text) }) { return line }
            if state.ended { return .some(nil) }
            state.lineWaiters.append((text, notify))
            return nil
        }
        if let seen { notify(seen) }
    }

    /// Calls `notify` once the pipe ended (at once if it has).
    private func whenEnded(_ notify: @escaping @Sendable () -> Void) {
        let ended = state.withLock { state in
            if !state.ended { state.endWaiters.append(notify) }
            return state.ended
        }
        if ended { notify() }
    }

    /// Records new lines (already in the file) and tells the waiters whose text is in one.
    private func add(_ lines: [String]) {
        let told = state.withLock { state in
            state.lines += lines
            var told: [(line: String, notify: @Sendable (String?) -> Void)] = []
            state.lineWaiters.removeAll { waiter in
                guard let line = lines.first(where: { $0.contains(waiter.text) }) else { return false }
                told.append((line, waiter.notify))
                return true
            }
            return told
        }
        told.forEach { $0.notify($0.line) }
    }

    /// Records the end of the pipe (after its last line, `lastLine`, which has no newline), and tells the waiters
    /// left: their line never came.
    private func end(lastLine: String) {
        if !lastLine.isEmpty { add([lastLine]) }
        let (lineWaiters, endWaiters) = state.withLock { state in
            state.ended = true
            defer {
                state.lineWaiters = []
                state.endWaiters = []
            }
            return (state.lineWaiters, state.endWaiters)
        }
        lineWaiters.forEach { $0.notify(nil) }
        endWaiters.forEach { $0() }
    }
}
