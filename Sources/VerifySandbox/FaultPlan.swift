import Synchronization

/// The faults `verifyd sandbox` injects into API requests (`--fault-…` options), each with its
/// probability, drawn independently for every API request.
///
/// Whether the request was *processed* (the verification created and its code sent, as the router
/// would) is what makes a fault dangerous for the client, so each fault states it:
///
/// | fault | processed | the client sees |
/// |---|---|---|
/// | `rateLimited` | no | 429 with `Retry-After` (provider-shaped, V1 60003, V2 20429) |
/// | `rateLimitedWithoutRetryAfter` | no | the same 429 without `Retry-After` |
/// | `unavailable` | no | 503 |
/// | `dropBeforeProcessing` | no | the connection closed without an answer |
/// | `internalError` | yes | 500 |
/// | `dropAfterProcessing` | yes | the connection closed without an answer |
/// | `hang` | yes | no answer ever (the connection stays open) |
/// | `garbage` | yes | 200 with a body that is not JSON |
/// | `numberBusy` | no | a V2 start: 429 60212, too many concurrent requests for the number (others go through) |
struct FaultPlan: Sendable {
    /// One injected fault.
    enum Fault: String, Sendable, CaseIterable {
        case rateLimited = "429"
        case rateLimitedWithoutRetryAfter = "429_without_retry_after"
        case unavailable = "503"
        case dropBeforeProcessing = "drop_before"
        case internalError = "500"
        case dropAfterProcessing = "drop_after"
        case hang
        case garbage
        case numberBusy = "60212"

        /// Whether the client gets no answer at all.
        var isUnanswered: Bool { self == .dropBeforeProcessing || self == .dropAfterProcessing || self == .hang }

        /// Whether the sandbox does the request's work (creates the verification) before the fault.
        var isProcessed: Bool {
            switch self {
            case .rateLimited, .rateLimitedWithoutRetryAfter, .unavailable, .dropBeforeProcessing, .numberBusy: false
            case .internalError, .dropAfterProcessing, .hang, .garbage: true
            }
        }
    }

    /// Each fault's probability (0…1; their sum is at most 1).
    let probabilities: [(fault: Fault, probability: Double)]
    /// Random extra latency, uniform in 0…`jitter`, added to every API answer.
    let jitter: Duration
    /// Cleared by `POST /_sandbox/faults/off`: from then on no fault or jitter is injected, so a test
    /// can let a client recover against the same sandbox (the same verifications and counters).
    private let enabled = SharedFlag()

    /// Whether any fault or jitter is configured and not switched off (otherwise ``draw()`` is not needed).
    var isActive: Bool { (!probabilities.isEmpty || jitter > .zero) && enabled.isSet }

    /// Stops injecting faults and jitter, for good.
    func switchOff() { enabled.clear() }

    /// A plan; faults with probability 0 are left out.
    init(probabilities: [Fault: Double], jitter: Duration = .zero) {
        self.probabilities = Fault.allCases.compactMap { fault in
            let probability = probabilities[fault] ?? 0
            return probability > 0 ? (fault, probability) : nil
        }
        self.jitter = jitter
    }

    /// The fault for the next request (`nil`: none) and its extra latency.
    func draw() -> (fault: Fault?, extraLatency: Duration) {
        let faultDraw = Double.random(in: 0..<1)
        let jitterDraw = jitter > .zero ? Double.random(in: 0...1) : 0
        var cumulative = 0.0
        var chosen: Fault?
        for (fault, probability) in probabilities {
            cumulative += probability
            if faultDraw < cumulative {
                chosen = fault
                break
            }
        }
        return (chosen, jitter * jitterDraw)
    }
}

/// A flag that starts set and can be cleared, shared between threads.
final class SharedFlag: Sendable {
    private let value = Atomic<Bool>(true)

    /// Whether the flag is still set.
    var isSet: Bool { value.load(ordering: .relaxed) }

    /// Clears the flag.
    func clear() { value.store(false, ordering: .relaxed) }
}
