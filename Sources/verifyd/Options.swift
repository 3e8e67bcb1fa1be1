public import ArgumentParser
import Foundation
import Logging
public import VerifyRunner

/// `--spool` and `--db`, shared by the commands that use the spool.
struct SpoolOptions: ParsableArguments {
    @Option(name: .long, help: "The spool folder.")
    var spool: String = "./jobs"

    @Option(
        name: .long,
        help: """
            The state store: a SQLite file (default: SPOOL/verifyd.sqlite) or a postgresql:// URI \
            (password from PGPASSWORD or ~/.pgpass).
            """)
    var db: String?

    /// The spool described by the options.
    var layout: Spool { Spool(root: spool) }

    /// Opens the store, with a clear message on failure. With `creating` (`run`, which prepares the spool first),
    /// a store that is not there is created; the commands that only look at a store pass `false`: they create no
    /// spool folder, no file and no schema, and fail naming where they looked. An existing store at an older
    /// schema version is migrated either way.
    func openStore(creating: Bool) throws -> any JobStoring {
        let address = db ?? layout.defaultDatabase
        if PostgresAddress.isPostgres(address) && PostgresAddress.hasPassword(address) {
            throw CommandFailure(
                "--db must not carry a password (the command line is visible to every user): "
                    + "set PGPASSWORD or use ~/.pgpass")
        }
        do {
            return try JobStores.open(address, creating: creating)
        } catch let missing as StoreMissing {
            let spoolIsMissing = db == nil && !FileManager.default.fileExists(atPath: layout.root)
            throw CommandFailure(
                (spoolIsMissing ? "no spool at \(spool) (looked for \(address))" : "\(missing)") + ": nothing to show")
        } catch {
            throw CommandFailure("cannot open the state store: \(error)")
        }
    }

    /// Makes the spool's `reports/` folder ready for the commands that write report files without working the
    /// spool (`report`, `outcomes`; ``Spool/prepareReports()``): they never create a spool, e.g. under a mistyped
    /// `--spool`, and say so.
    func prepareReportsFolder() throws {
        do {
            try layout.prepareReports()
        } catch SpoolError.missing {
            throw CommandFailure("no spool at \(spool): nowhere to write report files")
        }
    }
}

/// `--api-base`, the credential files and `--timeout`: how to reach a provider, shared by `run`, `check`
/// and `outcomes`.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Override the API base URL (http:// only for loopback).")
    var apiBase: String?

    @Option(name: .long, help: "File holding the Authy API key (else AUTHY_API_KEY).")
    var apiKeyFile: String?

    @Option(name: .long, help: "File holding the Twilio auth token (else TWILIO_AUTH_TOKEN).")
    var authTokenFile: String?

    @Option(name: .long, help: "Seconds before a request is abandoned.")
    var timeout: Double = 15

    func validate() throws {
        if let apiBase, let problem = ProviderDefinition.problem(withBaseURL: apiBase) {
            throw ValidationError(problem)
        }
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 seconds") }
    }

    /// `--timeout` as a duration.
    var requestTimeout: Duration { .milliseconds(Int64(timeout * 1000)) }

    /// The provider `name` with its credentials, loaded from the environment or files.
    ///
    /// - Parameter requireCredentials: `false` for runs that send nothing (`--dry-run`): missing
    ///   credentials are then replaced by empty ones that no request ever carries.
    func makeProvider(_ name: ProviderName, requireCredentials: Bool = true) throws -> any VerificationProvider {
        let definition = name.definition
        let credentials: Credentials
        do {
            credentials = try CredentialLoader().load(definition, files: credentialFiles)
        } catch {
            guard !requireCredentials else { throw CommandFailure("\(error)") }
            credentials = Credentials(fields: definition.credentialFields, values: [:])
        }
        return definition.makeProvider(baseURL: apiBase ?? definition.defaultBaseURL, credentials: credentials)
    }

    /// The secret files the options name, by option name (a provider's ``CredentialField/fileOption``).
    private var credentialFiles: [String: String] {
        ["api-key-file": apiKeyFile, "auth-token-file": authTokenFile].compactMapValues { $0 }
    }

    /// The HTTP transport for `concurrency` requests in flight.
    func makeTransport(concurrency: Int) throws -> CurlTransport {
        var configuration = CurlTransport.Configuration()
        configuration.totalTimeout = requestTimeout
        configuration.maxConnections = max(1, concurrency)
        return try CurlTransport(configuration: configuration)
    }
}

/// `--provider` and how to reach it, shared by `run` and `check`.
struct ProviderOptions: ParsableArguments {
    @Option(name: .long, help: "The verification API.")
    var provider: ProviderName = ProviderName.allCases[0]

    @OptionGroup var connection: ConnectionOptions

    /// The provider with its credentials (see ``ConnectionOptions/makeProvider(_:requireCredentials:)``).
    func makeProvider(requireCredentials: Bool = true) throws -> any VerificationProvider {
        try connection.makeProvider(provider, requireCredentials: requireCredentials)
    }
}

/// `--code-lifetime`, shared by `run` (for `--follow-up`) and `outcomes`.
struct OutcomeOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "How long a Verify V2 code can be checked after it is sent (10m unless Twilio changed it).")
    var codeLifetime = "10m"

    func validate() throws {
        guard let lifetime = DurationText.parse(codeLifetime), lifetime > .zero else {
            throw ValidationError(
                "--code-lifetime must be a whole number and s, m, h or d, e.g. 10m, not '\(codeLifetime)'")
        }
    }

    /// The collector's settings, with the sending limits of the command.
    func configuration(concurrency: Int, rate: Double, timeout: Duration, maxTries: Int)
        -> OutcomeCollector.Configuration
    {
        OutcomeCollector.Configuration(
            codeLifetime: DurationText.parse(codeLifetime) ?? .seconds(600), concurrency: concurrency, rate: rate,
            timeout: timeout, maxTries: maxTries)
    }
}

extension ProviderName: ExpressibleByArgument {
    /// Every registered provider, for `--help` and the error on a wrong name.
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
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
