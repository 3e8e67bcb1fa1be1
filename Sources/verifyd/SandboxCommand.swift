import ArgumentParser
import Foundation
import Logging
import VerifySandbox

/// `verifyd sandbox`: a local fake of both APIs (SPEC.md §6), for trying verifyd without an account.
///
/// Prints `listening on http://127.0.0.1:PORT` on standard output once it accepts connections, then
/// serves until SIGTERM or SIGINT.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox", abstract: "Run a local fake of the Authy V1 and Verify V2 APIs.")

    @Option(name: .long, help: "Port on 127.0.0.1 (0 = any free port).")
    var port = 8089

    @Option(name: .long, help: "Delay added before every reply, in milliseconds.")
    var latencyMs = 0

    @Option(name: .long, help: "API requests per second accepted (bursts of one second's worth); 0 = no limit.")
    var rateLimit: Double = 0

    func validate() throws {
        guard rateLimit >= 0, rateLimit <= 1_000_000 else { throw ValidationError("--rate-limit must be 0…1000000") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard (0...600_000).contains(latencyMs) else { throw ValidationError("--latency-ms must be 0…600000") }
    }

    func run() async throws {
        let logger = makeLogger()
        let configuration = SandboxConfiguration(port: port, latency: .milliseconds(latencyMs), rateLimit: rateLimit)
        let server = try await SandboxServer.start(configuration: configuration, logger: logger)
        let banner = """
            listening on http://127.0.0.1:\(server.port)
            credentials: AUTHY_API_KEY=\(configuration.apiKey) TWILIO_ACCOUNT_SID=\(configuration.accountSid) \
            TWILIO_AUTH_TOKEN=\(configuration.authToken) VERIFY_SERVICE_SID=\(configuration.serviceSid)

            """
        FileHandle.standardOutput.write(Data(banner.utf8))
        var watcher: SignalWatcher?
        await withCheckedContinuation { continuation in
            watcher = SignalWatcher { continuation.resume() }
        }
        watcher?.cancel()
        try await server.shutdown()
    }
}
