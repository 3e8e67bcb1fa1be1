public import ArgumentParser
import Foundation
import Logging
public import VerifyRunner

/// `--spool` and `--db`, shared by the commands that use the spool.
struct SpoolOptions: ParsableArguments {
    @Option(name: .long, help: "The spool folder.")
    var spool: String = "./jobs"

    @Option(name: .long, help: "The state store (default: SPOOL/verifyd.sqlite).")
    var db: String?

    /// The spool described by the options.
    var layout: Spool { Spool(root: spool) }

    /// Opens the store, with a clear message on failure.
    func openStore() throws -> JobStore {
        try layout.prepare()
        let path = db ?? layout.defaultDatabase
        do {
            return try JobStore(path: path)
        } catch {
            throw CommandFailure("cannot open the state store: \(error)")
        }
    }
}

/// `--provider`, `--api-base`, the credential files and `--timeout`, shared by `run` and `check`.
struct ProviderOptions: ParsableArguments {
    @Option(name: .long, help: "authy-v1 or verify-v2.")
    var provider: ProviderName = .authyV1

    @Option(name: .long, help: "Override the API base URL (http:// only for loopback).")
    var apiBase: String?

    @Option(name: .long, help: "File holding the Authy API key (else AUTHY_API_KEY).")
    var apiKeyFile: String?

    @Option(name: .long, help: "File holding the Twilio auth token (else TWILIO_AUTH_TOKEN).")
    var authTokenFile: String?

    @Option(name: .long, help: "Seconds before a request is abandoned.")
    var timeout: Double = 15

    func validate() throws {
        if let apiBase, let problem = ProviderName.problem(withBaseURL: apiBase) { throw ValidationError(problem) }
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 seconds") }
    }

    /// The provider with its credentials, loaded from the environment or files.
    ///
    /// - Parameter requireCredentials: `false` for runs that send nothing (`--dry-run`): missing
    ///   credentials are then replaced by empty ones that no request ever carries.
    func makeProvider(requireCredentials: Bool = true) throws -> any VerificationProvider {
        let credentials: Credentials
        do {
            credentials = try CredentialLoader().load(
                provider: provider, apiKeyFile: apiKeyFile, authTokenFile: authTokenFile)
        } catch {
            guard !requireCredentials else { throw CommandFailure("\(error)") }
            credentials = provider == .authyV1
                ? .authyV1(apiKey: "") : .verifyV2(accountSID: "", authToken: "", serviceSID: "")
        }
        return provider.makeProvider(baseURL: apiBase ?? provider.defaultBaseURL, credentials: credentials)
    }

    /// The HTTP transport for `concurrency` requests in flight.
    func makeTransport(concurrency: Int) throws -> CurlTransport {
        var configuration = CurlTransport.Configuration()
        configuration.totalTimeout = .milliseconds(Int64(timeout * 1000))
        configuration.maxConnections = max(1, concurrency)
        return try CurlTransport(configuration: configuration)
    }
}

extension ProviderName: ExpressibleByArgument {}
extension Channel: ExpressibleByArgument {}
extension InDoubtPolicy: ExpressibleByArgument {}

/// A fatal error for the command line: printed as `verifyd: message`, exit 1.
struct CommandFailure: Error, CustomStringConvertible {
    /// What went wrong, in one line.
    let description: String

    init(_ description: String) { self.description = description }
}

/// `--log-format`: how log lines look.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    /// Readable lines (swift-log's stream handler).
    case text
    /// One JSON object per line (``JSONLogHandler``).
    case json
}

/// The process-wide logger: lines on standard error, readable or JSON.
func makeLogger(level: Logger.Level = .info, format: LogFormat = .text) -> Logger {
    var logger = Logger(label: "verifyd") { label in
        switch format {
        case .text: StreamLogHandler.standardError(label: label)
        case .json: JSONLogHandler()
        }
    }
    logger.logLevel = level
    return logger
}
