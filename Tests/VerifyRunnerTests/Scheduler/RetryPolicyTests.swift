import Testing

@testable import VerifyRunner

@Suite struct RetryPolicyTests {
    private func policy(jitter: Double) -> RetryPolicy {
        RetryPolicy(base: .milliseconds(500), cap: .seconds(30), jitter: { jitter })
    }

    @Test(arguments: [
        (1, Duration.milliseconds(500)), (2, .seconds(1)), (3, .seconds(2)), (4, .seconds(4)), (7, .seconds(30)),
        (40, .seconds(30)),
    ])
    func ceilingDoublesUpToTheCap(attempt: Int, ceiling: Duration) {
        #expect(policy(jitter: 1).delay(afterAttempt: attempt, retryAfter: nil) == ceiling)
    }

    @Test func fullJitterScalesTheCeiling() {
        #expect(policy(jitter: 0).delay(afterAttempt: 3, retryAfter: nil) == .zero)
        #expect(policy(jitter: 0.25).delay(afterAttempt: 3, retryAfter: nil) == .milliseconds(500))
    }

    @Test func retryAfterIsAFloor() {
        #expect(policy(jitter: 0.1).delay(afterAttempt: 1, retryAfter: .seconds(7)) == .seconds(7))
        #expect(policy(jitter: 1).delay(afterAttempt: 6, retryAfter: .seconds(1)) == .seconds(16))
    }

    @Test func jitterOutsideTheUnitRangeIsClamped() {
        #expect(policy(jitter: 5).delay(afterAttempt: 1, retryAfter: nil) == .milliseconds(500))
        #expect(policy(jitter: -1).delay(afterAttempt: 1, retryAfter: nil) == .zero)
    }
}
