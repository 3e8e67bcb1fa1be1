/// The send rate and the window of requests in flight, moved only by the account's own "too many requests"
/// answers, and only when their share is clearly above its background level: the rate is the operator's plan
/// (`--rate`), and noise must not move it.
///
/// A pure value: answers come in with the time they arrived (any monotonic seconds), changes come out. Only
/// account- and service-wide signals are fed to it (V1 60003, V2 20429 and 25109, a 429 without a code, a
/// 503); a limit about one number (V2 60203, 60212) waits for that number alone and never reaches it.
///
/// Answers are counted in buckets of about a second (``Configuration/bucket``, at least
/// ``Configuration/minimumAnswers`` answers, at most ``Configuration/longestBucket``; a bucket where a quarter of
/// the answers are 429s closes after 0.1 s). When a bucket closes:
///
/// | the bucket's share of 429s | what happens |
/// |---|---|
/// | above the background + max(``Configuration/margin``, 6σ) (``Configuration/warmUpMargin`` for the first buckets), or above the background + max(margin, 4σ) in this bucket and the one before | **a limit**: the rate is cut to ``Configuration/cutTo`` × what the API admitted in the bucket, which becomes the known limit; `Twilio-Concurrent-Requests`, if the answers carried it, caps the window at 90 % of it |
/// | above the background + max(margin, 4σ) in this bucket alone | nothing moves: noise gives such a bucket now and then |
/// | otherwise, below the known limit | the rate closes half the gap to it (``Configuration/approach``) |
/// | otherwise, at or above the known limit | the rate probes upwards by ``Configuration/probe`` per bucket; ``Configuration/liftAfter`` buckets in a row 4 % above it without a cut mean the limit has lifted |
/// | otherwise, no known limit | the rate climbs by ``Configuration/climb`` per bucket, up to `--rate` (or, without one, until it no longer binds: unlimited again) |
///
/// The **background** is the lower median of the last ``Configuration/history`` buckets' shares: random 429s
/// (noise) show in every bucket whatever the rate, so they raise it; a limit only shows in the few buckets
/// spent above it, so it does not. σ is the binomial spread of the difference between the bucket's share and
/// the background, at the noise level of the remembered buckets (the larger of the background and the pooled
/// share of those that were not above it): the bucket's own spread, plus that of a median of the remembered
/// answers, which is what keeps a background that came out low by chance from making ordinary noise look like a
/// limit. The reasons behind each constant are in README.md ("Rate control") and docs/rate-control.md.
public struct RateController: Sendable, Equatable {
    /// The rule's constants.
    public struct Configuration: Sendable, Equatable {
        /// `--rate`: requests per second at most; 0 = none.
        public var ceiling: Double
        /// `--concurrency`: requests in flight at most.
        public var concurrency: Int
        /// A bucket closes once it is this old (seconds)…
        public var bucket = 1.0
        /// …and holds this many answers…
        public var minimumAnswers = 20
        /// …or once it is this old, whatever it holds.
        public var longestBucket = 5.0
        /// Buckets remembered for the background.
        public var history = 10
        /// Which share of the remembered buckets lies below the background (the lower median).
        public var backgroundQuantile = 0.5
        /// The least a bucket's share must exceed the background by to mean a limit.
        public var margin = 0.03
        /// The least it must exceed it by while fewer than ``warmUp`` buckets are remembered: without a
        /// background yet, noise and a small overshoot look alike, so only a clear limit counts.
        public var warmUpMargin = 0.1
        /// Buckets remembered before ``margin`` applies.
        public var warmUp = 3
        /// Standard deviations it must exceed the background by, in two buckets in a row, to mean a limit.
        public var sigmas = 4.0
        /// Standard deviations it must exceed the background by to mean a limit in one bucket alone.
        public var sigmasAlone = 6.0
        /// After a cut, the rate is this share of what the API admitted.
        public var cutTo = 0.95
        /// Share of the gap to the known limit closed per bucket, below it.
        public var approach = 0.5
        /// Growth per bucket at or above the known limit.
        public var probe = 1.03
        /// Buckets in a row 4 % above the known limit without a cut after which the limit has lifted.
        public var liftAfter = 2
        /// Growth per bucket without a known limit.
        public var climb = 1.25

        /// The rule with its default constants, for `--rate` and `--concurrency`.
        public init(ceiling: Double, concurrency: Int) {
            self.ceiling = max(0, ceiling)
            self.concurrency = max(1, concurrency)
        }
    }

    /// One answer, as far as the account's limits go.
    public enum Answer: Sendable, Equatable {
        /// Anything but an account- or service-wide refusal (a per-number limit included).
        case accepted
        /// "Too many requests" for the account or the service (or a 503), with the
        /// `Twilio-Concurrent-Requests` header when the answer had one.
        case throttled(concurrentRequests: Int?)
    }

    /// Why the rate or the window changed.
    public enum Reason: Sendable, Equatable {
        /// The share of 429s was clearly above its background: the API admitted `admitted` per second.
        case limit(share: Double, background: Double, admitted: Double)
        /// A bucket without a limit: the rate (or the window) grows back.
        case recovering
        /// The known limit has not been met for a while: it has lifted.
        case lifted
    }

    /// A change to carry out.
    public struct Change: Sendable, Equatable {
        /// The rate in force (`nil`: unlimited).
        public var rate: Double?
        /// The window of requests in flight.
        public var window: Int
        /// Why.
        public var reason: Reason
    }

    /// The constants.
    public let configuration: Configuration
    /// Requests per second in force; `nil` for no limit.
    public private(set) var rate: Double?
    /// Requests in flight at most.
    public private(set) var window: Int
    /// What the API admitted per second when it last limited the account, while that limit holds.
    public private(set) var knownLimit: Double?
    private var bucketStart: Double?
    private var answers = 0
    private var throttled = 0
    private var fewestConcurrent: Int?
    /// The last whole buckets, oldest first, at most ``Configuration/history``.
    private var remembered: [Bucket] = []
    /// Whether the last bucket was above the background by ``Configuration/sigmas`` without being taken for a
    /// limit.
    private var lastBucketWasAbove = false
    private var bucketsAboveLimit = 0

    /// The answers of one closed bucket.
    private struct Bucket: Sendable, Equatable {
        var answers: Int
        var throttled: Int
        /// Whether its share was above the background by ``Configuration/sigmas`` (a limit, or maybe one).
        var wasAbove: Bool
        var share: Double { Double(throttled) / Double(answers) }
    }

    /// A controller at `--rate` and `--concurrency`.
    public init(configuration: Configuration) {
        self.configuration = configuration
        rate = configuration.ceiling > 0 ? configuration.ceiling : nil
        window = configuration.concurrency
    }

    /// Counts an answer that arrived at `now`.
    ///
    /// - Returns: the change to carry out when a bucket closed and moved the rate or the window, else `nil`.
    public mutating func record(_ answer: Answer, now: Double) -> Change? {
        let start = bucketStart ?? now
        bucketStart = start
        answers += 1
        if case .throttled(let concurrent) = answer {
            throttled += 1
            if let concurrent { fewestConcurrent = min(fewestConcurrent ?? concurrent, concurrent) }
        }
        let age = now - start
        let full = answers >= configuration.minimumAnswers
        // A bucket where a quarter of the answers are 429s, far above the background, is a limit beyond any
        // doubt: it closes at once, so a run that starts far above the API's limit is cut within a fraction of a
        // second.
        let clearLimit =
            full && Double(throttled) >= 0.25 * Double(answers) && age >= 0.1
            && Double(throttled) / Double(answers) > thresholds(answers: answers).alone
        guard (age >= configuration.bucket && full) || age >= configuration.longestBucket || clearLimit
        else { return nil }
        return closeBucket(seconds: max(age, 1e-3), isWhole: age >= configuration.bucket, now: now)
    }

    /// The background share of 429s: the chosen quantile of the remembered buckets (0 before any).
    public var background: Double {
        guard !remembered.isEmpty else { return 0 }
        let sorted = remembered.map(\.share).sorted()
        return sorted[Int(Double(sorted.count - 1) * configuration.backgroundQuantile)]
    }

    /// The shares of 429s a bucket of `answers` answers must exceed to be above the background by the margin at
    /// least and by ``Configuration/sigmas`` standard deviations (`twice`: a limit if the bucket before was too),
    /// or by ``Configuration/sigmasAlone`` (`alone`: a limit on its own).
    private func thresholds(answers: Int) -> (twice: Double, alone: Double) {
        let background = self.background
        let rememberedAnswers = remembered.reduce(0) { $0 + $1.answers }
        // The noise level: the buckets that were above the background (a limit's overshoot) are left out.
        let quiet = remembered.filter { !$0.wasAbove }
        let quietAnswers = quiet.reduce(0) { $0 + $1.answers }
        let pooled = quietAnswers == 0 ? 0 : Double(quiet.reduce(0) { $0 + $1.throttled }) / Double(quietAnswers)
        let noise = max(background, pooled, 0.005)
        // A median's variance is π/2 times that of a mean of as many answers.
        let backgroundVariance = rememberedAnswers == 0 ? 0 : Double.pi / 2 / Double(rememberedAnswers)
        let spread = (noise * (1 - noise) * (1 / Double(answers) + backgroundVariance)).squareRoot()
        let margin = remembered.count < configuration.warmUp ? configuration.warmUpMargin : configuration.margin
        return (
            background + max(margin, configuration.sigmas * spread),
            background + max(margin, configuration.sigmasAlone * spread)
        )
    }

    /// Judges and forgets the bucket; a whole one (closed by time, not cut short by a clear limit) joins the
    /// background's history.
    private mutating func closeBucket(seconds: Double, isWhole: Bool, now: Double) -> Change? {
        let share = Double(throttled) / Double(answers)
        let admitted = Double(answers - throttled) / seconds
        let background = self.background
        let thresholds = self.thresholds(answers: answers)
        let isAbove = throttled > 0 && share > thresholds.twice
        let isFarAbove = throttled > 0 && share > thresholds.alone
        let isLimit = isFarAbove || (isAbove && lastBucketWasAbove)
        // One bucket a little above the background is no limit yet, and no reason to grow either.
        let isSuspect = isAbove && !isLimit
        lastBucketWasAbove = isSuspect
        let concurrent = fewestConcurrent
        if isWhole {
            remembered.append(Bucket(answers: answers, throttled: throttled, wasAbove: isAbove))
            if remembered.count > configuration.history {
                remembered.removeFirst(remembered.count - configuration.history)
            }
        }
        bucketStart = now
        answers = 0
        throttled = 0
        fewestConcurrent = nil
        if isSuspect { return nil }
        let before = (rate, window)
        let reason: Reason
        if isLimit {
            reason = .limit(share: share, background: background, admitted: admitted)
            cut(admitted: admitted, concurrent: concurrent)
        } else {
            reason = grow(admitted: admitted)
        }
        return before == (rate, window) ? nil : Change(rate: rate, window: window, reason: reason)
    }

    /// A limit: the rate becomes a little less than what the API admitted, which is the known limit.
    private mutating func cut(admitted: Double, concurrent: Int?) {
        let limit = max(1, admitted)
        knownLimit = limit
        bucketsAboveLimit = 0
        rate = min(rate ?? .infinity, max(1, limit * configuration.cutTo))
        if let concurrent { window = max(1, min(window, Int(Double(concurrent) * 0.9))) }
    }

    /// A bucket without a limit: the window and the rate grow back.
    private mutating func grow(admitted: Double) -> Reason {
        if window < configuration.concurrency {
            window = min(configuration.concurrency, window + max(1, window / 10))
        }
        guard var next = rate else { return .recovering }
        var reason = Reason.recovering
        if let limit = knownLimit {
            next =
                next < limit
                ? min(limit, next + max(0.5, (limit - next) * configuration.approach)) : next * configuration.probe
            bucketsAboveLimit = next >= limit * 1.04 ? bucketsAboveLimit + 1 : 0
            if bucketsAboveLimit >= configuration.liftAfter {
                knownLimit = nil
                reason = .lifted
            }
        } else {
            next *= configuration.climb
        }
        if configuration.ceiling > 0 {
            rate = min(next, configuration.ceiling)
        } else {
            // Without --rate, a rate that no longer binds (twice what was sent) is dropped: unlimited again.
            rate = knownLimit == nil && next > 2 * admitted ? nil : next
        }
        return reason
    }
}
