import ArgumentParser
import Foundation
import Logging
import VerifyRunner
import VerifySandbox

/// `verifyd sandbox`: a local fake of both APIs (docs/sandbox.md), for trying verifyd without an account.
///
/// Prints `listening on http://127.0.0.1:PORT` and the credentials on standard output before it accepts the first
/// connection, then one line per code it sends (`2026-12-02T10:00:00Z verify-v2 code for +12025550189 is 744400`,
/// ` (sent again)` after a re-send), and serves until SIGTERM or SIGINT.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox", abstract: "Run a local fake of the Authy V1 and Verify V2 APIs.")

    @Option(name: .long, help: "Port on 127.0.0.1 (0 = any free port).")
    var port = 8089

    @Option(name: .long, help: "Delay added before every reply, in milliseconds.")
    var latencyMs = 0

    @Option(name: .long, help: "API requests per second accepted (bursts of one second's worth); 0 = no limit.")
    var rateLimit: Double = 0

    @Option(name: .long, help: "How long --rate-limit holds after the first API request, e.g. 30s (default: for ever).")
    var rateLimitFor: String?

    @Option(name: .long, help: "Random extra delay, 0…MS milliseconds, before every API reply.")
    var jitterMs = 0

    @Option(
        name: .customLong("fault-429"), help: "Probability (0…1) of a 429 with Retry-After (request not processed).")
    var fault429 = 0.0

    @Option(
        name: .customLong("fault-429-no-retry-after"), help: "Probability of a 429 without Retry-After (not processed)."
    )
    var fault429NoRetryAfter = 0.0

    @Option(name: .customLong("fault-503"), help: "Probability of a 503 (not processed).")
    var fault503 = 0.0

    @Option(name: .customLong("fault-500"), help: "Probability of a 500 after the request was processed.")
    var fault500 = 0.0

    @Option(name: .long, help: "Probability that the connection is closed before the request is processed.")
    var faultDropBefore = 0.0

    @Option(name: .long, help: "Probability that the connection is closed after the request was processed.")
    var faultDropAfter = 0.0

    @Option(name: .long, help: "Probability that a processed request never gets a reply.")
    var faultHang = 0.0

    @Option(name: .long, help: "Probability of a 200 whose body is not JSON (request processed).")
    var faultGarbage = 0.0

    @Option(
        name: .customLong("fault-60212"),
        help: "Probability that a V2 start is answered 429 60212, too many requests for the number (not processed).")
    var fault60212 = 0.0

    @Option(name: .long, help: "How long a code stays valid on both APIs, e.g. 20s, 10m (1s…1d).")
    var codeLifetime = "10m"

    @Option(
        name: .long, help: "Requests per minute the V2 Verification Attempts API admits (Twilio: 100); 0 = no limit.")
    var attemptsPerMinute = SandboxConfiguration.defaultAttemptsPerMinute

    private var faults: SandboxFaults {
        var faults = SandboxFaults()
        faults.rateLimited = fault429
        faults.rateLimitedWithoutRetryAfter = fault429NoRetryAfter
        faults.unavailable = fault503
        faults.internalError = fault500
        faults.dropBeforeProcessing = faultDropBefore
        faults.dropAfterProcessing = faultDropAfter
        faults.hang = faultHang
        faults.garbage = faultGarbage
        faults.numberBusy = fault60212
        faults.jitter = .milliseconds(jitterMs)
        return faults
    }

    func validate() throws {
        guard rateLimit >= 0, rateLimit <= 1_000_000 else { throw ValidationError("--rate-limit must be 0…1000000") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard (0...600_000).contains(latencyMs) else { throw ValidationError("--latency-ms must be 0…600000") }
        guard (0...600_000).contains(jitterMs) else { throw ValidationError("--jitter-ms must be 0…600000") }
        let probabilities = [
            fault429, fault429NoRetryAfter, fault503, fault500, faultDropBefore, faultDropAfter, faultHang,
            faultGarbage,
            fault60212,
        ]
        guard probabilities.allSatisfy({ (0...1).contains($0) }) else {
            throw ValidationError("each --fault-… probability must be 0…1")
        }
        guard let lifetime = DurationText.parse(codeLifetime), lifetime >= .seconds(1), lifetime <= .seconds(86_400)
        else { throw ValidationError("--code-lifetime must be a duration of 1s…1d, e.g. 20s or 10m") }
        guard (0...1_000_000).contains(attemptsPerMinute) else {
            throw ValidationError("--attempts-per-minute must be 0…1000000")
        }
        if let rateLimitFor, DurationText.parse(rateLimitFor) == nil {
            throw ValidationError("--rate-limit-for must be a whole number and s, m, h or d, e.g. 30s")
        }
        guard faults.totalProbability <= 1 else {
            throw ValidationError("the --fault-… probabilities add up to more than 1")
        }
    }

    func run() async throws {
        let logger = makeLogger()
        var configuration = SandboxConfiguration(
            port: port, latency: .milliseconds(latencyMs), rateLimit: rateLimit, faults: faults,
            codeLifetime: DurationText.parse(codeLifetime) ?? SandboxConfiguration.defaultCodeLifetime,
            attemptsPerMinute: attemptsPerMinute)
        configuration.rateLimitFor = rateLimitFor.flatMap(DurationText.parse)
        // Signals are watched before the port is announced: a SIGTERM right after the banner stops it gracefully.
        let (stopRequested, requestStop) = AsyncStream<Void>.makeStream()
        let watcher = SignalWatcher(
            logger: logger, stopping: "closing the connections and writing the code log",
            aborting: "the code log may lack its last lines"
        ) {
            requestStop.yield()
        }
        defer { watcher.cancel() }
        let server = try await SandboxServer.start(configuration: configuration, logger: logger) { port in
            let banner = """
                listening on http://127.0.0.1:\(port)
                credentials: AUTHY_API_KEY=\(configuration.apiKey) TWILIO_ACCOUNT_SID=\(configuration.accountSid) \
                TWILIO_AUTH_TOKEN=\(configuration.authToken) VERIFY_SERVICE_SID=\(configuration.serviceSid)

                """
            FileHandle.standardOutput.write(Data(banner.utf8))
        }
        for await _ in stopRequested { break }
        try await server.shutdown()
    }
}
