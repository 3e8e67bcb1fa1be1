import Foundation
import Synchronization

/// At most `limit` requests in any 60 seconds, as the Verification Attempts API's built-in limit ("100 requests per
/// minute", https://www.twilio.com/docs/verify/api/attempts): a request is admitted when fewer than `limit` were
/// admitted in the 60 seconds before it, else it waits for the oldest of them to leave the window.
///
/// It keeps the times of the last `limit` admitted requests in a ring, read with the server's clock (so tests can
/// move it). Shared by every event loop.
final class SlidingWindowLimit: Sendable {
    /// The admitted requests of the window, as a ring of times.
    private struct Window {
        /// The times of the latest admitted requests, at most `limit`.
        var times: [Date] = []
        /// Where the oldest time is, once the ring is full.
        var oldest = 0
    }

    /// The length of the window.
    static let window: TimeInterval = 60

    /// Requests admitted per window.
    private let limit: Int
    /// The admitted requests.
    private let admitted = Mutex(Window())

    /// A limit of `limit` requests in any 60 seconds.
    init(limit: Int) {
        precondition(limit > 0, "a sliding window admits at least one request")
        self.limit = limit
    }

    /// Admits a request at `now`, or says in how many whole seconds (at least 1) a slot frees.
    func admit(now: Date) -> Int? {
        admitted.withLock { window in
            guard window.times.count == limit else {
                window.times.append(now)
                return nil
            }
            let frees = window.times[window.oldest].addingTimeInterval(Self.window)
            guard frees <= now else { return max(1, Int(frees.timeIntervalSince(now).rounded(.up))) }
            window.times[window.oldest] = now
            window.oldest = (window.oldest + 1) % limit
            return nil
        }
    }
}
