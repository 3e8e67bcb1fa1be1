import Foundation

/// Runs of the built `verifyd` started as close together as possible: each is created behind a small shell that
/// says it is ready and waits for a line on its standard input; once every one of them waits, each gets its line,
/// and all `exec` the binary at once. Launched one after another instead, the first would be a process launch
/// ahead of the second.
enum StartingLine {
    /// A run created and waiting at the line: the process, its standard input (the line comes through it) and
    /// its outputs.
    private struct Waiting: @unchecked Sendable {
        // @unchecked: Process and Pipe are reference types that are only touched by one thread at a time here.
        let process: Process
        let line: Pipe
        let stdout: Pipe
        let stderr: Pipe
    }

    /// A run ended before it was ready: its shell could not start or wait.
    struct NotReady: Error, CustomStringConvertible {
        let arguments: [String]
        var description: String { "verifyd \(arguments.joined(separator: " ")) ended before the start" }
    }

    /// Runs `verifyd ARGUMENTS` for each element of `commands`, all let go at one moment, and returns what each
    /// printed and returned, in the order of `commands`. A run still going after `seconds` is killed (status 9).
    static func runTogether(
        _ commands: [[String]], environment extra: [String: String] = [:], killedAfter seconds: Double = 120
    ) async throws -> [BuiltBinary.Output] {
        let waiting = try await offThePool { try letGo(commands, environment: BuiltBinary.environment(extra)) }
        // Every output is read from the start, so that no run waits on a full pipe while the test waits for another.
        let drains = waiting.map {
            (stdout: Drain($0.stdout.fileHandleForReading), stderr: Drain($0.stderr.fileHandleForReading))
        }
        var outputs: [BuiltBinary.Output] = []
        for (run, drain) in zip(waiting, drains) {
            let status = try await run.process.exitStatus(killedAfter: seconds)
            let text = try await offThePool { (stdout: drain.stdout.text(), stderr: drain.stderr.text()) }
            outputs.append(BuiltBinary.Output(status: status, stdout: text.stdout, stderr: text.stderr))
        }
        return outputs
    }

    /// Creates every run, waits until each is ready (its shell printed `.`), then gives each its line.
    private static func letGo(_ commands: [[String]], environment: [String: String]) throws -> [Waiting] {
        // `$0` is the binary, `$@` its arguments.
        let shell = #"printf . && read -r line && exec "$0" "$@""#
        let waiting = try commands.map { arguments in
            let run = Waiting(process: Process(), line: Pipe(), stdout: Pipe(), stderr: Pipe())
            run.process.executableURL = URL(fileURLWithPath: "/bin/sh")
            run.process.arguments = ["-c", shell, BuiltBinary.path] + arguments
            run.process.environment = environment
            run.process.standardInput = run.line
            run.process.standardOutput = run.stdout
            run.process.standardError = run.stderr
            try run.process.run()
            return run
        }
        for (run, arguments) in zip(waiting, commands) {
            guard try run.stdout.fileHandleForReading.read(upToCount: 1) == Data(".".utf8) else {
                throw NotReady(arguments: arguments)
            }
        }
        for run in waiting { try run.line.fileHandleForWriting.write(contentsOf: Data("\n".utf8)) }
        return waiting
    }
}
