import Testing

@testable import VerifyRunner

/// The rate controller driven by a fake clock: sequences of answers in, rate out.
@Suite struct RateControllerTests {
    /// What the simulated API does with the answers of one second.
    private enum API {
        /// A random-looking share of answers is 429, whatever the rate (every `1 / share`-th answer).
        case noise(share: Double)
        /// At most `perSecond` answers a second are admitted, smoothly (a bucket refilled at that rate, holding
        /// a tenth of a second's worth); the rest are 429.
        case limit(perSecond: Int)
        /// Everything is admitted.
        case open
    }

    /// Sends for `seconds` seconds at the controller's rate, but at most `demand` a second, and
    /// returns, per second, the answers sent and how many were 429.
    private func run(
        _ controller: inout RateController, seconds: Range<Int>, demand: Int = 1000, api: (Int) -> API
    ) -> [(sent: Int, throttled: Int)] {
        var log: [(sent: Int, throttled: Int)] = []
        var answerNumber = 0
        var tokens = Double.infinity
        var last = Double(seconds.lowerBound)
        for second in seconds {
            let sent = Int(min(controller.rate ?? .infinity, Double(demand)).rounded())
            var throttled = 0
            for index in 0..<sent {
                answerNumber += 1
                let now = Double(second) + Double(index) / Double(sent)
                let refused: Bool
                switch api(second) {
                case .noise(let share): refused = answerNumber % Int((1 / share).rounded()) == 0
                case .limit(let perSecond):
                    tokens = min(Double(perSecond) / 10, tokens + (now - last) * Double(perSecond))
                    refused = tokens < 1
                    if !refused { tokens -= 1 }
                case .open: refused = false
                }
                last = now
                if refused { throttled += 1 }
                _ = controller.record(refused ? .throttled(concurrentRequests: nil) : .accepted, now: now)
            }
            log.append((sent, throttled))
        }
        return log
    }

    private func controller(rate: Double, concurrency: Int = 64) -> RateController {
        RateController(configuration: .init(ceiling: rate, concurrency: concurrency))
    }

    @Test(arguments: [(0.02, 0.95), (0.05, 0.85)])
    func randomNoiseDoesNotMoveTheRate(share: Double, atLeast: Double) {
        var rate = controller(rate: 300)
        let log = run(&rate, seconds: 0..<60) { _ in .noise(share: share) }
        let average = Double(log.map(\.sent).reduce(0, +)) / 60
        #expect(average >= atLeast * 300, "average \(average)/s")
        #expect(rate.rate == 300)
    }

    /// Random 429s, each answer refused with probability `share` (a seeded generator, so the answers are the
    /// same every run): in 1,000 runs of twelve seconds at `--rate 300`, at most two cut the rate (1, 0 and 1 do).
    /// A rule that judged each bucket alone against the lower median cut 9 of them at 2 % and 14 at 5 %.
    @Test(arguments: [0.01, 0.02, 0.05])
    func randomNoiseAlmostNeverCutsTheRate(share: Double) {
        var generator = SplitMix64(seed: 20_261_205)
        var runsCut = 0
        for _ in 0..<1000 {
            var rate = controller(rate: 300)
            var changes: [RateController.Change] = []
            for index in 0..<(12 * 300) {
                let refused = Double.random(in: 0..<1, using: &generator) < share
                let answer: RateController.Answer = refused ? .throttled(concurrentRequests: nil) : .accepted
                if let change = rate.record(answer, now: Double(index) / 300) { changes.append(change) }
            }
            if !changes.isEmpty { runsCut += 1 }
        }
        #expect(runsCut <= 2, "\(runsCut) of 1,000 runs cut")
    }

    /// 300 answers a second at `--rate 300` from second `first` on, `throttled[i]` of them 429s in the middle of
    /// second `first + i` (a bucket closes on the first answer of the next second); the changes.
    private func changes(_ rate: inout RateController, throttled: [Int], from first: Int = 0) -> [RateController.Change]
    {
        var changes: [RateController.Change] = []
        for (offset, refusals) in throttled.enumerated() {
            for index in 0..<300 {
                let answer: RateController.Answer =
                    (100..<100 + refusals).contains(index) ? .throttled(concurrentRequests: nil) : .accepted
                if let change = rate.record(answer, now: Double(first + offset) + Double(index) / 300) {
                    changes.append(change)
                }
            }
        }
        return changes
    }

    /// Noise of about 2 % whose first buckets came out low (1, 1 and 6 refusals of 300), then one bucket of 11
    /// (3.7 %, above the lower median by more than 3 points): no limit, as noise gives such a bucket now and then.
    /// Two buckets in a row above the background by 4σ (16 and 18 of 300, where one alone would need 20) are one.
    @Test func oneBucketJustAboveALowBackgroundIsNoLimitTwoInARowAre() throws {
        var rate = controller(rate: 300)
        #expect(changes(&rate, throttled: [1, 1, 6, 11, 6, 5]).isEmpty, "one bucket of 11 alone")
        let limit = changes(&rate, throttled: [16, 18, 0], from: 6)
        let cut = try #require(limit.first)
        #expect(limit.count == 1 && (cut.rate ?? 300) < 300, "\(limit)")
        if case .limit = cut.reason {} else { Issue.record("reason \(cut.reason)") }
    }

    @Test func aRealLimitIsFoundAndHeldWithFew429s() {
        var rate = controller(rate: 400)
        let log = run(&rate, seconds: 0..<60) { _ in .limit(perSecond: 200) }
        let steady = log[10...]
        let admitted = Double(steady.map { $0.sent - $0.throttled }.reduce(0, +)) / Double(steady.count)
        let share = Double(steady.map(\.throttled).reduce(0, +)) / Double(steady.map(\.sent).reduce(0, +))
        #expect(admitted >= 0.92 * 200, "admitted \(admitted)/s")
        #expect(share <= 0.03, "429 share \(share)")
        #expect(rate.knownLimit.map { abs($0 - 200) < 20 } == true)
    }

    @Test func aLimitThatLiftsIsLeftWithinTenSeconds() throws {
        var rate = controller(rate: 400)
        _ = run(&rate, seconds: 0..<30) { _ in .limit(perSecond: 200) }
        #expect((rate.rate ?? 0) < 230)
        let after = run(&rate, seconds: 30..<40) { _ in .open }
        #expect(Double(try #require(after.last).sent) >= 0.95 * 400, "\(after.map(\.sent))")
        #expect(rate.knownLimit == nil)
    }

    @Test func withoutARateALimitIsFollowedAndUnlimitedAgainOnceItLifts() {
        var rate = controller(rate: 0)
        #expect(rate.rate == nil)
        _ = run(&rate, seconds: 0..<20, demand: 3000) { _ in .limit(perSecond: 500) }
        #expect(rate.rate.map { $0 <= 520 } == true)
        _ = run(&rate, seconds: 20..<40, demand: 3000) { _ in .open }
        #expect(rate.rate == nil, "no rate binds any more")
    }

    @Test func twilioConcurrentRequestsCapsTheWindowThenItGrowsBack() {
        var rate = controller(rate: 0, concurrency: 100)
        var change: RateController.Change?
        for index in 0..<20 {
            let answer: RateController.Answer = index % 2 == 0 ? .throttled(concurrentRequests: 50) : .accepted
            change = rate.record(answer, now: Double(index) / 20) ?? change
        }
        #expect(change?.window == 45, "half of them refused: a limit, the window at 90 % of the header")
        #expect(rate.window == 45)
        for index in 0..<200 { _ = rate.record(.accepted, now: 2 + Double(index) / 20) }
        #expect(rate.window > 45)
    }

    @Test func aQuietAccountClosesItsBucketsByTime() {
        var rate = controller(rate: 10)
        // Five answers a second, all refused: the bucket waits for 20 answers or 5 s.
        var changes: [RateController.Change] = []
        for index in 0..<15 {
            if let change = rate.record(.throttled(concurrentRequests: nil), now: Double(index) / 5) {
                changes.append(change)
            }
        }
        #expect(changes.isEmpty, "fewer than 20 answers within 5 s")
        for index in 15..<30 {
            if let change = rate.record(.throttled(concurrentRequests: nil), now: Double(index) / 5) {
                changes.append(change)
            }
        }
        #expect(changes.count == 1)
        #expect(changes.first?.rate == 1, "nothing admitted: the floor of one a second")
    }
}
