import Testing

@testable import VerifyRunner

@Suite struct AdaptiveRateTests {
    @Test func halvesOncePerHoldOffThenClimbsBackToTheCeiling() {
        var rate = AdaptiveRate(ceiling: 400, holdOff: 1, increasePerSecond: 20)
        #expect(rate.current == 400)
        #expect(rate.rateLimited(now: 10, observedRate: 400) == 200)
        #expect(rate.rateLimited(now: 10.5, observedRate: 400) == nil, "one overload halves once")
        #expect(rate.current == 200)
        #expect(rate.answered(now: 12) == 240)
        #expect(rate.rateLimited(now: 12, observedRate: 240) == 120)
        #expect(rate.answered(now: 100) == 400, "never above the ceiling")
        #expect(rate.answered(now: 101) == nil)
    }

    @Test func unlimitedUntilTheFirst429ThenHalfTheObservedRate() {
        var rate = AdaptiveRate(ceiling: 0)
        #expect(rate.current == nil)
        #expect(rate.answered(now: 1) == nil)
        #expect(rate.rateLimited(now: 2, observedRate: 3000) == 1500)
        #expect(rate.answered(now: 3) == 1505)
    }

    @Test func neverBelowOnePerSecond() {
        var rate = AdaptiveRate(ceiling: 1)
        for second in 0..<10 { _ = rate.rateLimited(now: Double(second) * 2, observedRate: 0) }
        #expect(rate.current == 1)
    }
}
