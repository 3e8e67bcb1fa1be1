import Testing

@testable import VerifyRunner

/// When and how rows in doubt are looked up, driven by a fake clock.
@Suite struct InDoubtBatcherTests {
    let evidence = AttemptEvidence(margin: 10, clockSkew: 5)

    private func request(_ index: Int, sentAt: Double = 100, leftBy: Double = 101) -> AttemptEvidence.Request {
        AttemptEvidence.Request(e164: "+1202555\(1000 + index)", sentAt: sentAt, leftBy: leftBy)
    }

    private func batcher(holding rows: Int, now: Double = 102, maxHold: Double = 10, batchSize: Int = 1000)
        -> InDoubtBatcher
    {
        var batcher = InDoubtBatcher(evidence: evidence, maxHold: maxHold, batchSize: batchSize)
        for index in 0..<rows { batcher.add(sequence: index, request: request(index), now: now) }
        return batcher
    }

    /// The look-ups of a decision, or a thrown error when it is not one.
    private func lookUps(_ decision: InDoubtBatcher.Decision) throws -> [InDoubtBatcher.Lookup] {
        guard case .lookUp(let lookups) = decision else { throw NoLookUp(decision: decision) }
        return lookups
    }

    /// A decision was expected to be a look-up.
    private struct NoLookUp: Error { let decision: InDoubtBatcher.Decision }

    @Test func whileTheJobSendsARowWaitsForCompanyUpToTheHold() throws {
        var rows = batcher(holding: 3)
        #expect(rows.decide(now: 103, jobIsIdle: false) { _ in 0 } == .wait(until: 112))
        let lookups = try lookUps(rows.decide(now: 112, jobIsIdle: false) { _ in 0 })
        #expect(lookups.flatMap(\.rows).map(\.sequence).sorted() == [0, 1, 2])
    }

    @Test func anIdleJobOrAFullBatchIsLookedUpAtOnce() throws {
        var idle = batcher(holding: 1)
        #expect(try lookUps(idle.decide(now: 102, jobIsIdle: true) { _ in 0 }).count == 1)
        var full = batcher(holding: 4, batchSize: 4)
        #expect(try lookUps(full.decide(now: 102, jobIsIdle: false) { _ in 0 }).flatMap(\.rows).count == 4)
    }

    @Test func oneListingOfTheServiceWhenItIsCheaperThanOnePerNumber() throws {
        var rows = batcher(holding: 5)
        // 3,000 attempts in the range: 4 pages, fewer than 5 numbers.
        let decision = rows.decide(now: 102, jobIsIdle: true) { _ in 3000 }
        let lookups = try lookUps(decision)
        #expect(lookups.count == 1)
        #expect(lookups[0].query.to == nil)
        // The window covers every row: floor(100 - 5) ... ceil(101 + 10 + 5).
        #expect(lookups[0].query.createdFrom == 95 && lookups[0].query.createdTo == 116)
    }

    @Test func oneListingPerNumberWhenTheServiceIsBusy() throws {
        var rows = batcher(holding: 3)
        let decision = rows.decide(now: 102, jobIsIdle: true) { _ in 50_000 }
        let lookups = try lookUps(decision)
        #expect(lookups.map(\.query.to) == ["+12025551000", "+12025551001", "+12025551002"])
        #expect(rows.decide(now: 102, jobIsIdle: true) { _ in 0 } == .idle, "one look-up at a time")
    }

    @Test func aRowTheListingCannotDecideYetWaitsUntilItCan() throws {
        var rows = batcher(holding: 2)
        let lookups = try lookUps(rows.decide(now: 102, jobIsIdle: true) { _ in 0 })
        let found = VerificationAttempt(
            sid: "VL1", verificationSID: "VE1", to: "+12025551000", createdAt: 100, converted: false)
        let verdicts = rows.answered(lookups[0], attempts: ["+12025551000": [found]], listedAt: 103)
        #expect(verdicts.map(\.verdict) == [.sent(found), .askAgain(at: 111)])
        #expect(!rows.isEmpty)
        #expect(rows.decide(now: 105, jobIsIdle: true) { _ in 0 } == .wait(until: 111))
        let again = try lookUps(rows.decide(now: 111, jobIsIdle: true) { _ in 0 })
        #expect(rows.answered(again[0], attempts: [:], listedAt: 111).map(\.verdict) == [.notSent])
        #expect(rows.isEmpty)
    }

    @Test func aFailedListingHandsItsRowsBack() throws {
        var rows = batcher(holding: 2)
        let lookups = try lookUps(rows.decide(now: 102, jobIsIdle: true) { _ in 0 })
        #expect(rows.failed(lookups[0]).sorted() == [0, 1])
        #expect(rows.isEmpty)
    }
}
