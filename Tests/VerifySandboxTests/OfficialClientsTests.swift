import Dispatch
import Foundation
import Logging
import NIOPosix
import Testing

@testable import VerifySandbox

/// The sandbox as the official clients see it: Tests/Clients/official_clients.py drives twilio-python 9.13.0 and
/// authy-python 2.2.6, as published, against two in-process sandboxes: one on the real clock, one whose clock
/// stands still for the per-minute limit.
///
/// The clients live in `.build/clients-venv` (made by scripts/client-venv.sh, which scripts/install-deps.sh runs),
/// or in the Python that `VERIFYD_CLIENTS_PYTHON` names. Without them the test fails: it never skips.
@Suite struct OfficialClientsTests {
    /// The package's root folder: this file is `Tests/VerifySandboxTests/OfficialClientsTests.swift` in it.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The Python with the official clients.
    static var python: String {
        ProcessInfo.processInfo.environment["VERIFYD_CLIENTS_PYTHON"]
            ?? packageRoot.appendingPathComponent(".build/clients-venv/bin/python").path
    }

    @Test(.timeLimit(.minutes(5)))
    func twilioPythonAndAuthyPythonGetWhatTheRealAPIsAnswer() async throws {
        let python = Self.python
        try #require(
            FileManager.default.isExecutableFile(atPath: python),
            "no Python with the official clients at \(python): run scripts/client-venv.sh or set VERIFYD_CLIENTS_PYTHON"
        )
        var logger = Logger(label: "official-clients-test")
        logger.logLevel = .critical
        let codeLines = CodeLineSink()
        let configuration = SandboxConfiguration(codeLineWriter: codeLines.write)
        // The limit's sandbox stands still in time, so that its minute never runs out however slow the machine is.
        var frozen = configuration
        let instant = Date()
        frozen.now = { instant }
        let shared = SandboxServer.EventLoops.shared(MultiThreadedEventLoopGroup.singleton)
        let main = try await SandboxServer.start(configuration: configuration, logger: logger, eventLoops: shared)
        let limited = try await SandboxServer.start(configuration: frozen, logger: logger, eventLoops: shared)
        let script = Self.packageRoot.appendingPathComponent("Tests/Clients/official_clients.py").path
        let result: Result<(status: Int32, output: String), any Error>
        do {
            let bases = ["http://127.0.0.1:\(main.port)", "http://127.0.0.1:\(limited.port)"]
            result = .success(try await Self.run(python, [script] + bases))
        } catch {
            result = .failure(error)
        }
        try await main.shutdown()
        try await limited.shutdown()
        let (status, output) = try result.get()
        #expect(status == 0, "official_clients.py exited \(status):\n\(output)")
        #expect(output.contains("0 failed checks"), "\(output)")
        #expect(main.stats().attemptRequests > 0)
        let resend =
            "verify-v2 code for +12025550103 is \(VerificationCode.code(for: "+12025550103", length: 6)) (sent again)"
        #expect(codeLines.lines.contains { $0.hasSuffix(resend) })
    }

    /// Runs a program to its end, off the cooperative pool, with its output (standard output and error) in a
    /// temporary file; the environment is the test's, without proxies.
    ///
    /// - Returns: its exit status and its output.
    static func run(_ program: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let outputURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("official-clients-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let output = try FileHandle(forWritingTo: outputURL)
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        var environment = ProcessInfo.processInfo.environment
        for proxy in ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"] {
            environment[proxy] = nil
        }
        process.environment = environment
        let status = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return (status, (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "")
    }
}
