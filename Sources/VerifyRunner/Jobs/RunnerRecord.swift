import Foundation

/// One `verifyd run` process working on a store, as `verifyd runners` lists it.
public struct RunnerRecord: Sendable, Equatable, Codable {
    /// Unique per process: `HOST:PID:RANDOM`.
    public var id: String
    /// The host name it runs on.
    public var host: String
    /// Its process id on that host.
    public var pid: Int
    /// When it started (ISO 8601).
    public var startedAt: String
    /// When it last told the store it was alive (seconds since 1970).
    public var lastSeen: Double
    /// Requests it has sent.
    public var sent: Int
    /// When it ended its run (ISO 8601), `nil` while it runs or when it died.
    public var endedAt: String?
    /// Its `--lease` in seconds, `nil` for a runner recorded before verifyd kept it.
    public var leaseSeconds: Double?
    /// When another runner found it gone (seconds since 1970, on the database's clock): its rows were anyone's
    /// from then on. `nil` while no one has.
    public var lostAt: Double?
    /// The runner that found it gone.
    public var lostTo: String?

    /// Creates a record.
    public init(
        id: String, host: String, pid: Int, startedAt: String, lastSeen: Double, sent: Int, endedAt: String? = nil,
        leaseSeconds: Double? = nil, lostAt: Double? = nil, lostTo: String? = nil
    ) {
        self.id = id
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.lastSeen = lastSeen
        self.sent = sent
        self.endedAt = endedAt
        self.leaseSeconds = leaseSeconds
        self.lostAt = lostAt
        self.lostTo = lostTo
    }

    /// This process, started now: a new id on every start, so a restarted runner never inherits a lease.
    public static func thisProcess() -> RunnerRecord {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        let suffix = String(UInt32.random(in: .min ... .max), radix: 16)
        let now = Timestamp.nowSeconds()
        return RunnerRecord(
            id: "\(host):\(pid):\(suffix)", host: host, pid: pid, startedAt: Timestamp.iso8601(now), lastSeen: now,
            sent: 0)
    }

    /// Whether it runs: not ended, not found gone, and seen within its own lease (`lease` when it recorded none)
    /// of `now`.
    public func isAlive(lease: Duration, now: Double = Timestamp.nowSeconds()) -> Bool {
        endedAt == nil && lostAt == nil && lastSeen + (leaseSeconds ?? lease.seconds) >= now
    }
}
