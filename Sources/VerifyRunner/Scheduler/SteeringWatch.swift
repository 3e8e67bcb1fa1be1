import Dispatch
import Synchronization

/// Watches a job being sent for an operator's pause or cancel (`verifyd pause`, `cancel`), which any process may
/// write into the store: it reads the job's state every ``interval`` on a queue of its own (never the
/// scheduler's), and the first time it finds the job paused by an operator or canceling it calls `onSteered` once.
final class SteeringWatch {
    /// How often the job's state is read: well within the second in which runners must obey.
    static let interval: Duration = .milliseconds(250)

    /// What the watch found, shared with the timer's handler.
    private final class Finding: Sendable {
        /// The phase an operator put the job in, once found.
        let phase = Mutex<JobLifecycle.Phase?>(nil)
    }

    private let timer: any DispatchSourceTimer
    private let found = Finding()

    /// Starts watching job `jobID` of `store`; `onSteered` gets the phase an operator put the job in.
    init(store: any JobStoreReader, jobID: String, onSteered: @escaping @Sendable (JobLifecycle.Phase) -> Void) {
        let found = found
        timer = DispatchSource.repeatingTimer(
            every: Self.interval, on: DispatchQueue(label: "verifyd.steering-watch")
        ) {
            guard found.phase.withLock({ $0 }) == nil,
                let phase = try? store.job(id: jobID)?.phase, phase == .pausedByOperator || phase == .canceling
            else { return }
            found.phase.withLock { $0 = phase }
            onSteered(phase)
        }
    }

    /// Stops watching; returns what the watch found, if anything.
    func end() -> JobLifecycle.Phase? {
        timer.cancel()
        return found.phase.withLock { $0 }
    }
}
