public import Foundation

/// Settings of a ``SandboxServer``: where it listens, how slow it answers, which credentials it accepts, and
/// which clock it reads.
///
/// Every property has a default, so `SandboxConfiguration()` is a working sandbox on an ephemeral port of
/// 127.0.0.1. Clients use the same defaults to authenticate:
///
/// ```swift
/// let configuration = SandboxConfiguration(latency: .milliseconds(20))
/// let server = try await SandboxServer.start(configuration: configuration, logger: logger)
/// // V1: X-Authy-API-Key: configuration.apiKey
/// // V2: Basic configuration.accountSid:configuration.authToken, service configuration.serviceSid
/// ```
public struct SandboxConfiguration: Sendable {
    /// The address to listen on; loopback by default.
    public var host: String
    /// The TCP port; 0 picks a free one (read it back from ``SandboxServer/port``).
    public var port: Int
    /// Delay added before every API reply, scheduled on the event loop (no thread waits for it).
    public var latency: Duration
    /// The V1 API key (`X-Authy-API-Key`).
    public var apiKey: String
    /// The V2 account sid (Basic-auth user name).
    public var accountSid: String
    /// The V2 auth token (Basic-auth password).
    public var authToken: String
    /// The only V2 Verify Service sid that exists.
    public var serviceSid: String
    /// API requests per second accepted on average (bursts up to one second's worth); 0 = no limit.
    /// Requests over it get the provider's 429 with `Retry-After`.
    public var rateLimit: Double
    /// How long ``rateLimit`` holds, counted from the first API request; `nil` for ever. After it, requests are
    /// admitted without a limit (a limit that lifts, e.g. Twilio raising an account's concurrency).
    public var rateLimitFor: Duration? = nil
    /// Faults injected into API requests (none by default).
    public var faults: SandboxFaults
    /// How long a new code stays valid on both APIs (V1 `seconds_to_expire` counts it down; V2 forgets the
    /// verification after it): 10 minutes by default, as on the real APIs.
    public var codeLifetime: Duration
    /// Requests per minute the V2 Verification Attempts API (`/v2/Attempts…`) admits, in any 60 seconds: 100 by
    /// default, as Twilio documents; 0 = no limit. Requests over it get 429 20429 with `Retry-After`.
    public var attemptsPerMinute: Int
    /// The server's clock: code lifetimes and V2 dates are measured with it. Inject one in tests.
    public var now: @Sendable () -> Date
    /// Receives the code lines (`… verify-v2 code for +12025550189 is 744400`), complete lines per call, on one
    /// serial queue of the server's (it may block); ``standardOutput`` by default. Tests collect them instead.
    public var codeLineWriter: @Sendable ([UInt8]) -> Void

    /// The default V1 API key.
    public static let defaultAPIKey = "sandbox-api-key"
    /// The default V2 account sid.
    public static let defaultAccountSid = "AC" + String(repeating: "0", count: 32)
    /// The default V2 auth token.
    public static let defaultAuthToken = "sandbox-auth-token"
    /// The default V2 Verify Service sid.
    public static let defaultServiceSid = "VA" + String(repeating: "0", count: 32)
    /// The code lifetime of both real APIs: 10 minutes.
    public static let defaultCodeLifetime = Duration.seconds(600)
    /// The Verification Attempts API's documented limit: 100 requests per minute.
    public static let defaultAttemptsPerMinute = 100

    /// Writes code lines to the process's standard output, unbuffered (one `write` per call); a write error (the
    /// reader went away) is ignored.
    public static let standardOutput: @Sendable ([UInt8]) -> Void = { bytes in
        try? FileHandle.standardOutput.write(contentsOf: bytes)
    }

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - host: the address to listen on.
    ///   - port: the TCP port, 0 for an ephemeral one.
    ///   - latency: delay before every API reply.
    ///   - rateLimit: API requests per second, 0 for none.
    ///   - apiKey: the V1 API key.
    ///   - accountSid: the V2 account sid.
    ///   - authToken: the V2 auth token.
    ///   - serviceSid: the V2 service sid.
    ///   - faults: faults to inject.
    ///   - codeLifetime: how long a new code stays valid.
    ///   - attemptsPerMinute: the Verification Attempts API's limit, 0 for none.
    ///   - now: the clock.
    ///   - codeLineWriter: where the code lines go.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        latency: Duration = .zero,
        rateLimit: Double = 0,
        apiKey: String = SandboxConfiguration.defaultAPIKey,
        accountSid: String = SandboxConfiguration.defaultAccountSid,
        authToken: String = SandboxConfiguration.defaultAuthToken,
        serviceSid: String = SandboxConfiguration.defaultServiceSid,
        faults: SandboxFaults = SandboxFaults(),
        codeLifetime: Duration = SandboxConfiguration.defaultCodeLifetime,
        attemptsPerMinute: Int = SandboxConfiguration.defaultAttemptsPerMinute,
        now: @escaping @Sendable () -> Date = { Date() },
        codeLineWriter: @escaping @Sendable ([UInt8]) -> Void = SandboxConfiguration.standardOutput
    ) {
        self.host = host
        self.port = port
        self.latency = latency
        self.rateLimit = rateLimit
        self.apiKey = apiKey
        self.accountSid = accountSid
        self.authToken = authToken
        self.serviceSid = serviceSid
        self.faults = faults
        self.codeLifetime = codeLifetime
        self.attemptsPerMinute = attemptsPerMinute
        self.now = now
        self.codeLineWriter = codeLineWriter
    }
}

/// The probability (0…1) of each fault the sandbox injects into an API request and the random extra
/// latency (see `FaultPlan` for what each fault does and whether the request is processed first).
/// The probabilities add up to at most 1.
public struct SandboxFaults: Sendable, Equatable {
    /// 429 with `Retry-After: 1`, not processed.
    public var rateLimited = 0.0
    /// 429 without `Retry-After`, not processed.
    public var rateLimitedWithoutRetryAfter = 0.0
    /// 503, not processed.
    public var unavailable = 0.0
    /// Processed, then 500.
    public var internalError = 0.0
    /// The connection closed before the request is processed.
    public var dropBeforeProcessing = 0.0
    /// Processed, then the connection closed without an answer.
    public var dropAfterProcessing = 0.0
    /// Processed, then no answer ever.
    public var hang = 0.0
    /// Processed, then 200 with a body that is not JSON.
    public var garbage = 0.0
    /// A V2 start answered 429 60212, too many concurrent requests for the number (not processed); other
    /// requests drawn for it go through.
    public var numberBusy = 0.0
    /// Extra latency, uniform in 0…`jitter`, for every API answer.
    public var jitter: Duration = .zero

    /// No faults.
    public init() {}

    /// The sum of the probabilities.
    public var totalProbability: Double {
        rateLimited + rateLimitedWithoutRetryAfter + unavailable + internalError + dropBeforeProcessing
            + dropAfterProcessing + hang + garbage + numberBusy
    }

    /// The plan the pipeline draws from.
    var plan: FaultPlan {
        FaultPlan(
            probabilities: [
                .rateLimited: rateLimited, .rateLimitedWithoutRetryAfter: rateLimitedWithoutRetryAfter,
                .unavailable: unavailable, .internalError: internalError, .dropBeforeProcessing: dropBeforeProcessing,
                .dropAfterProcessing: dropAfterProcessing, .hang: hang, .garbage: garbage, .numberBusy: numberBusy,
            ], jitter: jitter)
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    var seconds: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }
}
