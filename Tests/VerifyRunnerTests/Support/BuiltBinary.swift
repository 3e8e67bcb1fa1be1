import Dispatch
import Foundation

/// Runs the built `verifyd` executable (next to the test bundle in the build folder) as a child
/// process. Blocking waits run on a Dispatch queue, never on the cooperative pool.
enum BuiltBinary {
    /// `.build/<config>/verifyd`, or `$VERIFYD_BINARY`.
    static var path: String {
        if let override = ProcessInfo.processInfo.environment["VERIFYD_BINARY"] { return override }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // On Linux the test runner lives in `.build/debug/verifydPackageTests.xctest`.
        if folder.lastPathComponent.hasSuffix(".xctest") { folder.deleteLastPathComponent() }
        return folder.appendingPathComponent("verifyd").path
    }

    /// What a finished run printed and returned.
    struct Output: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The environment of the test process, minus any real credentials, plus `extra`.
    static func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["AUTHY_API_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "VERIFY_SERVICE_SID"] {
            environment[name] = nil
        }
        return environment.merging(extra) { $1 }
    }

    /// Starts `verifyd ARGUMENTS` in the background, for tests that signal it: standard output is
    /// discarded, standard error goes to `stderrFile` if given (through a pipe copied as it comes, so that a test
    /// can wait for a line: ``waitForLine(containing:in:of:)``).
    static func start(
        _ arguments: [String], environment extra: [String: String] = [:], stderrFile: String? = nil
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment(extra)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        if let stderrFile {
            try StderrCopy.run(process, copyingStderrTo: stderrFile)
        } else {
            try process.run()
        }
        return process
    }

    /// Runs `verifyd ARGUMENTS` to completion; with a `launcher` (e.g. `["/bin/bash", "-c", "ulimit -f 64;
    /// exec \"$0\" \"$@\""]`), runs `LAUNCHER… verifyd ARGUMENTS`.
    static func run(
        _ arguments: [String], environment extra: [String: String] = [:], launcher: [String] = []
    ) async throws -> Output {
        try await offThePool { try runToEnd(launcher + [path] + arguments, environment: environment(extra)) }
    }

    /// Runs `COMMAND` (an executable's path, then its arguments) to completion on the calling thread,
    /// with no standard input and both outputs drained off that thread.
    static func runToEnd(_ command: [String], environment: [String: String]? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdoutData = Drain(out.fileHandleForReading)
        let stderrData = Drain(err.fileHandleForReading)
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: stdoutData.text(), stderr: stderrData.text())
    }
}

extension BuiltBinary {
    /// Waits for a line containing `text` on the standard error of a run started with
    /// ``start(_:environment:stderrFile:)`` (`file` is its `stderrFile`), and returns that line, which is then in
    /// the file. The line wakes the wait as it is read (``StderrCopy``); throws ``LineNotSeen`` when the run's
    /// standard error ends without it, or, as a safety net, after `bound` seconds.
    static func waitForLine(
        containing text: String, in file: String, of run: Process, bound: Double = 120
    ) async throws -> String {
        let seen: String?? = await firstOf(
            { report in StderrCopy.whenLine(containing: text, of: run, in: file) { report($0) } },
            deadline(bound, .none))
        guard let seen else {
            throw LineNotSeen(text: text, why: "not within \(Int(bound)) s", stderr: Self.text(of: file))
        }
        guard let seen else { throw LineNotSeen(text: text, why: "the run ended", stderr: Self.text(of: file)) }
        return seen
    }

    /// What a run's standard-error file holds, for failure messages.
    private static func text(of file: String) -> String {
        (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
    }

    /// A line a test waited for never came.
    struct LineNotSeen: Error, CustomStringConvertible {
        let text: String
        /// Why the wait ended without it: the run ended, or the bound passed.
        let why: String
        let stderr: String
        var description: String { "no line with '\(text)' (\(why)) in: \(stderr)" }
    }
}

/// Reads a pipe to its end on a background thread, so a chatty child never blocks on a full pipe.
final class Drain: @unchecked Sendable {
    // @unchecked: `data` is written by the reader thread before `done` is signalled, read after.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        DispatchQueue.global().async {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }
    }

    /// Waits for the end of the pipe and returns what was read.
    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}

extension Process {
    /// Waits on a Dispatch queue for the process to end and returns its exit status; its standard error, when
    /// copied to a file (``BuiltBinary/start(_:environment:stderrFile:)``), is then all in the file. A process
    /// still running after `seconds` is killed (status 9), so a run that fails to stop fails its test instead of
    /// hanging the suite.
    func exitStatus(killedAfter seconds: Double = 120) async throws -> Int32 {
        let pid = processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
        defer { watchdog.cancel() }
        let status = try await offThePool {
            self.waitUntilExit()
            return self.terminationStatus
        }
        await StderrCopy.finished(self)
        return status
    }
}

/// Runs blocking `body` on a Dispatch queue and resumes with its result.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try body() })
        }
    }
}

extension FileHandle {
    /// A new, empty file at `path` (replacing one there), open for writing: a child process's standard error.
    static func emptyFileForWriting(at path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw CocoaError(.fileWriteUnknown) }
        return handle
    }
}
