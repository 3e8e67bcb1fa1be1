import Synchronization

/// This process's hold, as one runner of a store, on the rows the store hands it: the runner id they are leased
/// to, and the ``SendDeadline`` that every request for them carries.
///
/// On a shared store the rows stay this runner's while the store keeps hearing from it. Each renewal the store
/// confirms (a group commit, a load of rows, a heartbeat) moves the deadline to the renewal's start plus the
/// lease minus the request timeout: another runner may take the rows over only once the store has not heard
/// from this one for the whole lease, and by then every request that left before the deadline has ended
/// (docs/shared-store.md gives the argument). Once the store says another runner found this one gone, the
/// lease is lost for good: the deadline closes, and the runner goes on under a new id.
///
/// Thread-safe: the store's queue renews and loses it, the transport thread reads the deadline, the scheduler
/// reads ``lost``.
public final class RunnerLease: Sendable {
    /// The runner id the rows are leased to (the owner of their ranges, `row_leases.owner`).
    public let runnerID: String
    /// `--lease`: how long the store waits, not hearing from the runner, before its rows are anyone's.
    public let length: Duration
    /// The deadline the requests for leased rows carry; `nil` when no other runner can take the rows (the
    /// SQLite store, one runner per spool), so requests need no check.
    public let sendDeadline: SendDeadline?
    /// How long after a renewal's start requests may still leave: the lease minus the request timeout.
    private let sendWindow: UInt64
    /// How often the store is told the runner is alive while it sends nothing.
    public let renewalInterval: Duration
    private let loss = Mutex<LeaseLoss?>(nil)
    private let lossHandler = Mutex<(@Sendable (LeaseLoss) -> Void)?>(nil)

    /// A lease on a shared store, first renewed (registered) at `renewedAt` on ``BootClock``.
    ///
    /// - Parameters:
    ///   - length: `--lease`; it must be longer than `requestTimeout`.
    ///   - requestTimeout: `--timeout`: the longest any request of the runner lasts.
    init(runnerID: String, length: Duration, requestTimeout: Duration, renewedAt: UInt64) {
        self.runnerID = runnerID
        self.length = length
        let window = length - requestTimeout
        sendWindow = BootClock.nanoseconds(window)
        sendDeadline = SendDeadline(until: renewedAt + sendWindow)
        // Several renewals fit in the window: a missed heartbeat does not hold requests back.
        renewalInterval = min(length / 4, window / 3)
    }

    /// The lease of the only runner of a store (SQLite): nobody can take its rows, so it has no deadline.
    init(soleRunner runnerID: String, length: Duration) {
        self.runnerID = runnerID
        self.length = length
        sendDeadline = nil
        sendWindow = 0
        renewalInterval = length / 4
    }

    /// The store confirmed a renewal that started at `start` (``BootClock``): requests may leave until `start`
    /// plus the lease minus the request timeout. Does nothing once the lease is lost.
    func renewed(startedAt start: UInt64) {
        guard lost == nil else { return }
        sendDeadline?.extend(to: start + sendWindow)
    }

    /// The store found that another runner declared this one gone: closes the deadline, records `loss` (the
    /// first one only) and tells the handler. Returns the loss recorded.
    @discardableResult
    func lose(_ loss: LeaseLoss) -> LeaseLoss {
        sendDeadline?.close()
        let recorded = self.loss.withLock { recorded in
            if recorded == nil { recorded = loss }
            return recorded ?? loss
        }
        lossHandler.withLock { $0.take() }?(recorded)
        return recorded
    }

    /// How the lease was lost, or `nil` while it holds.
    public var lost: LeaseLoss? { loss.withLock { $0 } }

    /// Runs `handler` once if the lease is lost (at once if it is already): on the thread that found it out.
    /// Replaces an earlier handler.
    public func whenLost(_ handler: @escaping @Sendable (LeaseLoss) -> Void) {
        lossHandler.withLock { $0 = handler }
        if let lost { lossHandler.withLock { $0.take() }?(lost) }
    }
}

/// What a runner knows once it finds its lease lost: how long the store had not heard from it, against its
/// lease, and which runner found it gone (and may have taken its rows over).
public struct LeaseLoss: Error, Sendable, Equatable, CustomStringConvertible {
    /// The runner id that lost the lease.
    public var runnerID: String
    /// How long the store had not heard from the runner when it found the loss out, in seconds on the database's
    /// clock (`nil` when the store could not say).
    public var unseenSeconds: Double?
    /// `--lease`.
    public var lease: Duration
    /// The runner that found this one gone, if known.
    public var takenOverBy: String?

    /// Creates a loss.
    public init(runnerID: String, unseenSeconds: Double?, lease: Duration, takenOverBy: String?) {
        self.runnerID = runnerID
        self.unseenSeconds = unseenSeconds
        self.lease = lease
        self.takenOverBy = takenOverBy
    }

    /// E.g. `the store had not heard from this runner (h:1:a) for 20.3 s, longer than --lease 4s; runner h:2:b
    /// found it gone and may have taken over the rows it held`.
    public var description: String {
        let unseen = unseenSeconds.map { "for \(($0 * 10).rounded() / 10) s" } ?? "for a while"
        let taker = takenOverBy.map { "runner \($0)" } ?? "another runner"
        return "the store had not heard from this runner (\(runnerID)) \(unseen), longer than --lease "
            + "\(DurationText.describe(seconds: Int(lease.seconds))); \(taker) found it gone and may have taken "
            + "over the rows it held"
    }
}
