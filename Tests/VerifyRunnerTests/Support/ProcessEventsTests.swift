import Foundation
import Testing

/// The events the end-to-end tests wait on instead of sleeping: a line on a run's standard error, a run's end.
@Suite struct ProcessEventsTests {
    /// `/bin/sh -c SCRIPT` with a pipe as its standard input and its standard error copied to `file`.
    private static func shell(_ script: String, stderrFile file: String) throws -> (Process, FileHandle) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        try StderrCopy.run(process, copyingStderrTo: file)
        return (process, input.fileHandleForWriting)
    }

    /// A line wakes its waiter, already in the file; one written after the wait began wakes it too; once the run
    /// has exited, the file holds everything it wrote.
    @Test(.timeLimit(.minutes(10))) func aLineWakesItsWaiterAndIsInTheFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.path + "/stderr.txt"
        let (run, input) = try Self.shell(#"echo first >&2; read x; echo "second $x" >&2; cat"#, stderrFile: file)

        #expect(try await BuiltBinary.waitForLine(containing: "first", in: file, of: run) == "first")
        // The wait is registered before the line is asked for: the line wakes it, nothing polls.
        let second: String? = await firstOf(
            { report in
                StderrCopy.whenLine(containing: "second", of: run, in: file) { report($0) }
                input.write(Data("2\n".utf8))
            }, deadline(50, "not within 50 s"))
        #expect(second == "second 2")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "first\nsecond 2\n")

        try input.close()
        #expect(try await run.exitStatus() == 0)
        #expect(try await BuiltBinary.waitForLine(containing: "second", in: file, of: run) == "second 2")
    }

    /// A run that exits without the line ends the wait at once, with the reason and what it wrote; its last line,
    /// without a newline, counts.
    @Test(.timeLimit(.minutes(10))) func aRunThatEndsWithoutTheLineEndsTheWait() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.path + "/stderr.txt"
        let (run, _) = try Self.shell("echo one >&2; printf last >&2", stderrFile: file)

        let error = await #expect(throws: BuiltBinary.LineNotSeen.self) {
            try await BuiltBinary.waitForLine(containing: "never", in: file, of: run)
        }
        #expect(error?.why == "the run ended")
        #expect(error?.stderr == "one\nlast")
        #expect(try await BuiltBinary.waitForLine(containing: "la", in: file, of: run) == "last")
        #expect(try await run.exitStatus() == 0)
    }

    /// Two waits on one run's end (the terminationHandler is set once, for both) are both told.
    @Test(.timeLimit(.minutes(10))) func everyWaiterOfARunsEndIsTold() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (run, input) = try Self.shell("read x", stderrFile: directory.path + "/stderr.txt")
        async let first: Void = firstOf(ProcessEnds.source(run, ()))
        async let second: Void = firstOf(ProcessEnds.source(run, ()))
        try input.close()
        _ = await (first, second)
        #expect(!run.isRunning)
    }
}
