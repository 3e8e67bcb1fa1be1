/// One pass over the window, decided as a pure value: which requests leave now (status questions
/// first, then starts whose in-flight mark is already durable, then new starts), how many more rows are
/// marked ahead for the reserve, and how long to wait when a token is what is missing. Counts and the token
/// bucket in, a plan out; ``SchedulerMachine`` carries it out.
struct SendPlan: Equatable {
    /// What the pump sees when it runs.
    struct Situation: Equatable {
        /// Requests allowed in flight at once (`--concurrency`, or less when the API said so).
        var window: Int
        /// Places of the window taken: requests in flight, in the commit under way, or waiting for the next.
        var occupied: Int
        /// Status questions waiting for a place.
        var statusQuestions: Int
        /// Starts in the reserve.
        var reserve: Int
        /// Rows loaded and ready for their next request.
        var ready: Int
        /// Starts to keep marked in flight ahead of the window.
        var reserveTarget: Int
        /// Starts held for the reserve: in it, in the commit under way, or waiting for the next commit.
        var reserveHeld: Int
    }

    /// Status questions that leave (first).
    var statusQuestions = 0
    /// Starts from the reserve that leave (next): their in-flight marks are durable.
    var fromReserve = 0
    /// New starts (last): marked in flight at the next commit, they leave right after it.
    var newStarts = 0
    /// Ready rows to mark in flight for the reserve.
    var reserveStarts = 0
    /// Seconds until the next token, when the rate stopped the pass with places still free.
    var tokenWait: Double?

    /// Plans a pass. Every request takes a token from `bucket`; rows marked for the reserve take none
    /// (they take theirs when they leave).
    static func plan(_ situation: Situation, bucket: inout some RequestTokens, now: Double) -> SendPlan {
        var plan = SendPlan()
        var occupied = situation.occupied
        var questions = situation.statusQuestions
        var reserve = situation.reserve
        var ready = situation.ready
        var held = situation.reserveHeld
        while occupied < situation.window, questions > 0 || reserve > 0 || ready > 0 {
            if let wait = bucket.take(now: now) {
                plan.tokenWait = wait
                break
            }
            if questions > 0 {
                questions -= 1
                plan.statusQuestions += 1
            } else if reserve > 0 {
                reserve -= 1
                held -= 1
                plan.fromReserve += 1
            } else {
                ready -= 1
                plan.newStarts += 1
            }
            occupied += 1
        }
        while held < situation.reserveTarget, ready > 0 {
            ready -= 1
            held += 1
            plan.reserveStarts += 1
        }
        return plan
    }
}
