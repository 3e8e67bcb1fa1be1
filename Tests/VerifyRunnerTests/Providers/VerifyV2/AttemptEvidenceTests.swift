import Testing

@testable import VerifyRunner

/// The rule that decides a V2 start in doubt from the Verification Attempts API, as a table.
@Suite struct AttemptEvidenceTests {
    /// Margin 60 s, skew 30 s; a request marked in flight at 1000 that could not leave after 1010.
    let rule = AttemptEvidence(margin: 60, clockSkew: 30)
    let request = AttemptEvidence.Request(e164: "+12025550101", sentAt: 1000.4, leftBy: 1010)

    private func attempt(_ to: String = "+12025550101", at created: Double, sid: String = "VL1") -> VerificationAttempt
    {
        VerificationAttempt(sid: sid, verificationSID: "VE1", to: to, createdAt: created, converted: false)
    }

    @Test func theWindowReachesTheSkewBeforeTheRequestAndPastTheMarginAfterIt() {
        // floor(1000.4 - 30) ... ceil(1010 + 60 + 30)
        #expect(rule.window(for: request) == 970...1100)
        #expect(rule.decisionTime(for: request) == 1070)
    }

    @Test(arguments: [
        // (attempt created at, to, listed at, verdict kind)
        (1000.0, "+12025550101", 1001.0, "sent"),  // made by the request
        (975.0, "+12025550101", 1001.0, "sent"),  // the API's clock 25 s behind ours
        (969.0, "+12025550101", 1001.0, "ask"),  // before the window: an earlier verification, not this one
        (1000.0, "+12025550199", 2000.0, "not"),  // another number only
        (1101.0, "+12025550101", 2000.0, "not"),  // after the window: a later send, not this request
    ])
    func verdicts(createdAt: Double, to: String, listedAt: Double, expected: String) {
        let verdict = rule.verdict(for: request, attempts: [attempt(to, at: createdAt)], listedAt: listedAt)
        switch (verdict, expected) {
        case (.sent, "sent"), (.askAgain(at: 1070), "ask"), (.notSent, "not"): break
        default: Issue.record("expected \(expected), got \(verdict)")
        }
    }

    @Test func nothingListedProvesNothingBeforeTheMarginHasPassed() {
        #expect(rule.verdict(for: request, attempts: [], listedAt: 1069.9) == .askAgain(at: 1070))
        #expect(rule.verdict(for: request, attempts: [], listedAt: 1070) == .notSent)
    }

    @Test func theEarliestMatchingAttemptIsTheRowsVerification() {
        let attempts = [attempt(at: 1005, sid: "VL2"), attempt(at: 1001, sid: "VL1")]
        #expect(rule.verdict(for: request, attempts: attempts, listedAt: 2000) == .sent(attempts[1]))
    }

    @Test func aRequestOlderThanTheAPIKeepsCannotBeTold() {
        let old = AttemptEvidence(margin: 60, clockSkew: 30, retention: 30 * 86_400)
        #expect(old.verdict(for: request, attempts: [], listedAt: 1000 + 30 * 86_400) == .cannotTell)
        // …but an attempt still listed is proof enough.
        #expect(old.verdict(for: request, attempts: [attempt(at: 1000)], listedAt: 1000 + 30 * 86_400) != .cannotTell)
    }
}

/// What a row's outcome is, and how a new one merges with the stored one.
@Suite struct OutcomeRuleTests {
    let rule = OutcomeRule(lifetime: 600)

    private func evidence(converted: Bool, at created: Double) -> OutcomeRule.Evidence {
        OutcomeRule.Evidence(
            VerificationAttempt(sid: "VL1", verificationSID: "VE1", to: "+1", createdAt: created, converted: converted))
    }

    @Test func convertedIsVerifiedWhateverTheTime() {
        #expect(rule.outcome(of: evidence(converted: true, at: 0), now: 10_000) == .verified)
    }

    @Test func unconvertedIsPendingWhileTheLifetimeLastsThenNotVerified() {
        #expect(rule.outcome(of: evidence(converted: false, at: 1000), now: 1599) == .pending)
        #expect(rule.outcome(of: evidence(converted: false, at: 1000), now: 1600) == .notVerified)
    }

    @Test func theLifetimeRunsFromTheFirstAttemptAndAnyConversionCounts() {
        var seen = evidence(converted: false, at: 1000)
        seen.add(VerificationAttempt(sid: "VL2", verificationSID: "VE1", to: "+1", createdAt: 1300, converted: false))
        #expect(rule.outcome(of: seen, now: 1650) == .notVerified)
        seen.add(VerificationAttempt(sid: "VL3", verificationSID: "VE1", to: "+1", createdAt: 1400, converted: true))
        #expect(rule.outcome(of: seen, now: 1650) == .verified)
    }

    @Test func nothingListedIsUnknown() {
        #expect(rule.outcome(of: nil, now: 0) == .unknown)
    }

    @Test(arguments: [
        (VerificationOutcome?.none, VerificationOutcome.pending, VerificationOutcome.pending),
        (.pending, .notVerified, .notVerified),
        (.pending, .unknown, .unknown),
        (.unknown, .pending, .pending),
        (.verified, .notVerified, .verified),
        (.verified, .unknown, .verified),
        (.notVerified, .unknown, .notVerified),
        (.notVerified, .pending, .notVerified),
        (.notVerified, .verified, .verified),
    ])
    func verifiedNeverGoesBack(stored: VerificationOutcome?, newer: VerificationOutcome, kept: VerificationOutcome) {
        #expect(VerificationOutcome.merged(stored: stored, newer: newer) == kept)
    }
}
