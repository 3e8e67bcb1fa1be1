import Dispatch

extension DispatchSource {
    /// A running timer that calls `handler` on `queue` every `interval` (0.1 s at least), the first
    /// time one interval from now. Cancel it to stop it.
    static func repeatingTimer(
        every interval: Duration, on queue: DispatchQueue, handler: @escaping @Sendable () -> Void
    ) -> any DispatchSourceTimer {
        let timer = makeTimerSource(queue: queue)
        let nanoseconds = Int(max(0.1, interval.seconds) * 1e9)
        timer.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .nanoseconds(nanoseconds))
        timer.setEventHandler(handler: handler)
        timer.resume()
        return timer
    }
}
