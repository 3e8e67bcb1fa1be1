import Dispatch

/// Tells a store, at the lease's renewal interval (``RunnerLease/renewalInterval``), that this runner is alive: a
/// timer on the store's own queue, so the beat is serialised with the store's other work.
final class RunnerHeartbeat: @unchecked Sendable {
    // @unchecked: `timer` is set once in init and only cancelled afterwards.
    private let timer: any DispatchSourceTimer

    /// Starts beating on `queue` every `interval`; `beat` runs there, its errors are the store's to handle (a
    /// missed beat is made good by the next one, or by the next commit).
    init(queue: DispatchQueue, interval: Duration, beat: @escaping @Sendable () -> Void) {
        timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = interval.seconds
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(50))
        timer.setEventHandler(handler: beat)
        timer.resume()
    }

    /// Stops the beat.
    func stop() { timer.cancel() }

    deinit { timer.cancel() }
}
