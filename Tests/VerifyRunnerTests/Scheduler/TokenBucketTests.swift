import Testing

@testable import VerifyRunner

@Suite struct TokenBucketTests {
    /// Takes a token at each time and returns the waits (`nil` = taken).
    private func waits(_ bucket: inout TokenBucket, at times: [Double]) -> [Double?] {
        times.map { bucket.take(now: $0) }
    }

    @Test func zeroRateNeverWaits() {
        var bucket = TokenBucket(rate: 0)
        let results = waits(&bucket, at: Array(repeating: 0, count: 10_000))
        #expect(results.allSatisfy { $0 == nil })
    }

    @Test func burstThenWaitsForTheNextToken() throws {
        var bucket = TokenBucket(rate: 10, capacity: 2)
        let results = waits(&bucket, at: [100, 100, 100, 100.1])
        #expect(results[0] == nil && results[1] == nil)
        let wait = try #require(results[2])
        #expect(abs(wait - 0.1) < 1e-9)
        #expect(results[3] == nil)
    }

    @Test func sustainedRateMatchesTheLimit() {
        var bucket = TokenBucket(rate: 200)
        var now = 0.0
        var taken = 0
        while now < 10 {
            if let wait = bucket.take(now: now) { now += wait } else { taken += 1 }
        }
        // 10 s at 200/s plus the initial burst of 10.
        #expect((2000...2011).contains(taken))
    }

    @Test func clockGoingBackwardsDoesNotMintTokens() {
        var bucket = TokenBucket(rate: 1, capacity: 1)
        let results = waits(&bucket, at: [50, 10, 50.5, 51])
        #expect(results[0] == nil)
        #expect(results[1] != nil)
        #expect(results[2] != nil)
        #expect(results[3] == nil)
    }
}
