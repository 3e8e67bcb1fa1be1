import Dispatch
import Logging

/// Tells the operator, once per group commit, when one is not confirmed within ``limit``: a healthy commit takes
/// milliseconds, and the starts it marks wait for it (on a shared store, so does the lease's renewal).
///
/// Lives on its scheduler's queue: ``started()``, ``ended()`` and its own looks run there.
final class SlowCommitWatch: @unchecked Sendable {
    // @unchecked: every mutable property is touched only on `queue`.

    /// How long a commit may take before it is said to be slow, in seconds.
    static let limit = 1.0

    private let clock: any RunClock
    private let queue: DispatchQueue
    private let logger: Logger
    /// Where the store is, for the message.
    private let storeLocation: String
    /// When the commit under way started (uptime seconds), `nil` when none is.
    private var startedAt: Double?
    /// Whether a look is scheduled, and whether the commit under way was said to be slow.
    private var lookScheduled = false
    private var said = false

    /// A watch on `queue`'s commits to the store at `storeLocation`.
    init(clock: any RunClock, queue: DispatchQueue, logger: Logger, storeLocation: String) {
        self.clock = clock
        self.queue = queue
        self.logger = logger
        self.storeLocation = storeLocation
    }

    /// A commit started now.
    func started() {
        startedAt = clock.uptime()
        said = false
        look(after: Self.limit)
    }

    /// The commit under way was confirmed (or failed).
    func ended() { startedAt = nil }

    /// Looks, `delay` seconds from now, whether the commit under way has taken ``limit`` or more, and says so once
    /// per commit; looks again, while commits are under way, when the one under way could next be slow.
    private func look(after delay: Double) {
        guard !lookScheduled else { return }
        lookScheduled = true
        // Weak: a look still scheduled when the run ends must not keep the watch alive into the process's exit.
        clock.schedule(after: delay, on: queue) { [weak self] in
            guard let self else { return }
            lookScheduled = false
            guard let startedAt else { return }
            let waited = clock.uptime() - startedAt
            guard waited >= Self.limit else { return look(after: Self.limit - waited) }
            guard !said else { return }
            said = true
            logger.notice(
                "the store is slow: a group commit is not confirmed yet; the requests it marks wait for it",
                metadata: ["waited_ms": "\(Int(waited * 1000))", "store": "\(storeLocation)"])
        }
    }
}
