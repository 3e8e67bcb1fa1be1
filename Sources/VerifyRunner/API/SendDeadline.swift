import Synchronization

/// The moment, on ``BootClock``, after which a request that carries it must not leave the process.
///
/// A runner of a shared store sends for a row only while it surely still owns the row: its lease, renewed by
/// every commit and heartbeat, makes the deadline later (``extend(to:)``); once the lease is lost the deadline
/// is closed for good (``close()``). The transport thread asks ``allowsSending(at:)`` immediately before it
/// hands a request's bytes to the socket, and holds the request back when the answer is no.
///
/// Thread-safe: one atomic word, written by the store's queue and read by the transport thread.
public final class SendDeadline: Sendable {
    /// Nanoseconds on ``BootClock``; 0 once closed.
    private let moment: Atomic<UInt64>
    /// Requests held back because the deadline had passed.
    private let heldBack = Atomic<Int>(0)
    /// Requests whose last check passed but that may have been written after the deadline: the process was
    /// paused between the check and the write.
    private let leftLate = Atomic<Int>(0)

    /// A deadline at `nanoseconds` on ``BootClock`` (at least 1: 0 means closed).
    public init(until nanoseconds: UInt64) {
        moment = Atomic(max(1, nanoseconds))
    }

    /// Whether a request may still leave at `now` (``BootClock`` nanoseconds).
    public func allowsSending(at now: UInt64) -> Bool { now < moment.load(ordering: .acquiring) }

    /// The deadline (``BootClock`` nanoseconds), 0 once closed.
    public var nanoseconds: UInt64 { moment.load(ordering: .acquiring) }

    /// Moves the deadline to `nanoseconds` if that is later; a closed deadline stays closed.
    public func extend(to nanoseconds: UInt64) {
        var current = moment.load(ordering: .acquiring)
        while current != 0, nanoseconds > current {
            let (exchanged, original) = moment.compareExchange(
                expected: current, desired: nanoseconds, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }

    /// Closes the deadline for good: no request that carries it leaves any more.
    public func close() { moment.store(0, ordering: .releasing) }

    /// Whether ``close()`` ran.
    public var isClosed: Bool { nanoseconds == 0 }

    /// Counts a request held back at the deadline (the transport thread does).
    func noteHeldBack() { heldBack.add(1, ordering: .relaxed) }

    /// Counts a request that may have been written after the deadline (the transport thread does).
    func noteMayHaveLeftLate() { leftLate.add(1, ordering: .relaxed) }

    /// Requests held back so far because the deadline had passed: none of their bytes that could start a
    /// verification left.
    public var requestsHeldBack: Int { heldBack.load(ordering: .relaxed) }

    /// Requests that passed their last check before the deadline but whose write may have come after it (the
    /// process was paused in between, for longer than the time left): they may have reached the API late.
    public var requestsMayHaveLeftLate: Int { leftLate.load(ordering: .relaxed) }
}

/// The deadline checks requests passed during one turn of the transport loop, each with the deadline as it was
/// at the check. libcurl writes a request within the same call that ran its check, so once the call is over the
/// loop reads the clock: a check that passed before a deadline now gone means the process may have been paused
/// between the check and the write, and the request may have left late (``SendDeadline/requestsMayHaveLeftLate``).
///
/// Transport thread only.
final class PassedDeadlineChecks {
    private var checks: [(deadline: SendDeadline, moment: UInt64)] = []

    /// Notes a check that `deadline` passed while it stood at `moment`.
    func note(_ deadline: SendDeadline, moment: UInt64) { checks.append((deadline, moment)) }

    /// Counts the checks noted since the last look whose deadline has passed by now, and forgets them all.
    func lookBack() {
        guard !checks.isEmpty else { return }
        let now = BootClock.now()
        for check in checks where now >= check.moment { check.deadline.noteMayHaveLeftLate() }
        checks.removeAll(keepingCapacity: true)
    }
}

@available(*, unavailable)
extension PassedDeadlineChecks: Sendable {}
