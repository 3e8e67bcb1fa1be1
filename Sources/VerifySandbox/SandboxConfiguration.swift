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
    /// The server's clock: code lifetimes (600 s) and V2 dates are measured with it. Inject one in tests.
    public var now: @Sendable () -> Date

    /// The default V1 API key.
    public static let defaultAPIKey = "sandbox-api-key"
    /// The default V2 account sid.
    public static let defaultAccountSid = "AC" + String(repeating: "0", count: 32)
    /// The default V2 auth token.
    public static let defaultAuthToken = "sandbox-auth-token"
    /// The default V2 Verify Service sid.
    public static let defaultServiceSid = "VA" + String(repeating: "0", count: 32)

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
    ///   - now: the clock.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        latency: Duration = .zero,
        rateLimit: Double = 0,
        apiKey: String = SandboxConfiguration.defaultAPIKey,
        accountSid: String = SandboxConfiguration.defaultAccountSid,
        authToken: String = SandboxConfiguration.defaultAuthToken,
        serviceSid: String = SandboxConfiguration.defaultServiceSid,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.host = host
        self.port = port
        self.latency = latency
        self.rateLimit = rateLimit
        self.apiKey = apiKey
        self.accountSid = accountSid
        self.authToken = authToken
        self.serviceSid = serviceSid
        self.now = now
    }
}
