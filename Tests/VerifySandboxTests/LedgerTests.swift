import Foundation
import Testing

@testable import VerifySandbox

@Suite struct LedgerTests {
    let start = Date(timeIntervalSince1970: 1_750_000_000)

    @Test func v1RestartWhilePendingKeepsCodeUUIDAndExpiry() {
        var ledger = V1Ledger(codeLifetime: 600)
        let first = ledger.start(e164: "+12025550189", via: .sms, codeLength: 6, now: start)
        let second = ledger.start(e164: "+12025550189", via: .call, codeLength: 4, now: start + 100)
        #expect(first.isNew)
        #expect(!second.isNew)
        #expect(second.verification.uuid == first.verification.uuid)
        #expect(second.verification.code == "744400")
        #expect(second.verification.via == .call)
        #expect(second.verification.secondsToExpire(at: start + 100) == 499)
    }

    @Test func v1ExpiredVerificationIsReplacedAndItsUUIDForgotten() {
        var ledger = V1Ledger(codeLifetime: 600)
        let first = ledger.start(e164: "+12025550189", via: .sms, codeLength: 4, now: start)
        #expect(ledger.check(e164: "+12025550189", code: "4400", now: start + 600) == .notPending)
        #expect(ledger.verification(uuid: first.verification.uuid)?.status(at: start + 600) == "expired")
        let second = ledger.start(e164: "+12025550189", via: .sms, codeLength: 4, now: start + 600)
        #expect(second.isNew)
        #expect(second.verification.uuid != first.verification.uuid)
        #expect(ledger.verification(uuid: first.verification.uuid) == nil)
    }

    @Test func v1CorrectCheckVerifiesOnce() {
        var ledger = V1Ledger(codeLifetime: 600)
        _ = ledger.start(e164: "+12025550189", via: .sms, codeLength: 4, now: start)
        #expect(ledger.check(e164: "+12025550189", code: "0000", now: start) == .incorrect)
        #expect(ledger.check(e164: "+12025550189", code: "4400", now: start) == .correct)
        #expect(ledger.check(e164: "+12025550189", code: "4400", now: start) == .notPending)
        #expect(ledger.verification(e164: "+12025550189")?.status(at: start) == "verified")
    }

    /// Expiring all codes ends the pending ones at once and leaves a verified one verified.
    @Test func v1ExpireAllEndsEveryPendingCodeNow() {
        var ledger = V1Ledger(codeLifetime: 600)
        let pending = ledger.start(e164: "+12025550189", via: .sms, codeLength: 4, now: start).verification
        _ = ledger.start(e164: "+12025550190", via: .sms, codeLength: 4, now: start)
        let code = ledger.verification(e164: "+12025550190")?.code ?? ""
        #expect(ledger.check(e164: "+12025550190", code: code, now: start) == .correct)
        #expect(ledger.expireAll(now: start + 5) == 1)
        #expect(ledger.verification(uuid: pending.uuid)?.status(at: start + 5) == "expired")
        #expect(ledger.verification(e164: "+12025550190")?.status(at: start + 5) == "verified")
        #expect(ledger.check(e164: "+12025550189", code: pending.code, now: start + 5) == .notPending)
        #expect(ledger.expireAll(now: start + 6) == 0)
    }

    /// Expiring all codes forgets the live verifications; their attempts stay listed.
    @Test func v2ExpireAllForgetsEveryLiveVerification() throws {
        var ledger = V2Ledger(codeLifetime: 600)
        let first = try ledger.start(to: "+12025550189", channel: .sms, now: start).verification
        _ = try ledger.start(to: "+12025550190", channel: .sms, now: start)
        #expect(ledger.expireAll(now: start + 5) == 2)
        #expect(ledger.check(to: nil, sid: first.sid, code: first.code, now: start + 5) == .notFound)
        #expect(ledger.verification(named: "+12025550190", now: start + 5) == nil)
        #expect(ledger.attempts.summary(filter: AttemptLog.Filter(), now: start + 5).total == 2)
        #expect(try ledger.start(to: "+12025550189", channel: .sms, now: start + 6).isNew)
    }

    @Test func v2RestartAddsAnAttemptAndApprovalForgetsTheVerification() throws {
        var ledger = V2Ledger(codeLifetime: 600)
        let first = try ledger.start(to: "+12025550189", channel: .sms, now: start)
        let second = try ledger.start(to: "+12025550189", channel: .call, now: start + 10)
        #expect(second.verification.sid == first.verification.sid)
        #expect(second.verification.sendCodeAttempts.map(\.channel) == [.sms, .call])
        guard case .incorrect = ledger.check(to: "+12025550189", sid: nil, code: "123", now: start) else {
            Issue.record("a wrong code must leave the verification pending")
            return
        }
        guard
            case .approved(let approved) = ledger.check(
                to: nil, sid: first.verification.sid, code: "744400",
                now: start + 20)
        else {
            Issue.record("the right code must approve")
            return
        }
        #expect(approved.status == .approved)
        #expect(ledger.check(to: "+12025550189", sid: nil, code: "744400", now: start + 20) == .notFound)
        #expect(ledger.verification(named: first.verification.sid, now: start + 20) == nil)
    }

    @Test func aCustomCodeLifetimeSetsBothExpiries() throws {
        var v1 = V1Ledger(codeLifetime: 20)
        let started = v1.start(e164: "+12025550189", via: .sms, codeLength: 4, now: start)
        #expect(started.verification.secondsToExpire(at: start) == 19)
        #expect(v1.check(e164: "+12025550189", code: "4400", now: start + 20) == .notPending)
        #expect(v1.verification(e164: "+12025550189")?.status(at: start + 20) == "expired")

        var v2 = V2Ledger(codeLifetime: 20)
        let first = try v2.start(to: "+12025550189", channel: .sms, now: start)
        #expect(v2.verification(named: first.verification.sid, now: start + 19) != nil)
        #expect(v2.verification(named: first.verification.sid, now: start + 20) == nil)
    }

    @Test func v2ExpiredVerificationIsGone() throws {
        var ledger = V2Ledger(codeLifetime: 600)
        let first = try ledger.start(to: "+12025550189", channel: .sms, now: start)
        #expect(ledger.verification(named: first.verification.sid, now: start + 599) != nil)
        #expect(ledger.verification(named: first.verification.sid, now: start + 600) == nil)
        #expect(try ledger.start(to: "+12025550189", channel: .sms, now: start + 600).isNew)
    }

    @Test func v2SixthSendWhileLiveIsRefusedUntilTheVerificationEnds() throws {
        var ledger = V2Ledger(codeLifetime: 600)
        for second in 0..<V2Ledger.maximumSends {
            _ = try ledger.start(to: "+12025550189", channel: .sms, now: start + TimeInterval(second))
        }
        #expect(throws: V2Ledger.StartRefusal.maximumSendsReached) {
            try ledger.start(to: "+12025550189", channel: .call, now: start + 10)
        }
        let found = ledger.verification(named: "+12025550189", now: start + 10)
        let live = try #require(found)
        #expect(live.sendCodeAttempts.count == 5)
        #expect(try ledger.start(to: "+12025550188", channel: .sms, now: start + 10).isNew)

        _ = ledger.end(named: "+12025550189", as: .canceled, now: start + 11)
        let afresh = try ledger.start(to: "+12025550189", channel: .sms, now: start + 12)
        #expect(afresh.isNew)
        #expect(afresh.verification.sid != live.sid)
        #expect(afresh.verification.code == live.code)

        for _ in 1..<V2Ledger.maximumSends { _ = try ledger.start(to: "+12025550189", channel: .sms, now: start + 13) }
        #expect(throws: V2Ledger.StartRefusal.maximumSendsReached) {
            try ledger.start(to: "+12025550189", channel: .sms, now: start + 611)
        }
        #expect(try ledger.start(to: "+12025550189", channel: .sms, now: start + 612).isNew)
    }

    @Test func v2FiveWrongChecksRefuseEveryLaterCheckUntilExpiryOrCancel() throws {
        var ledger = V2Ledger(codeLifetime: 600)
        let started = try ledger.start(to: "+12025550189", channel: .sms, now: start)
        for _ in 0..<V2Ledger.maximumWrongChecks {
            guard case .incorrect = ledger.check(to: "+12025550189", sid: nil, code: "000000", now: start) else {
                Issue.record("the first five wrong codes are answered pending")
                return
            }
        }
        #expect(ledger.check(to: "+12025550189", sid: nil, code: "744400", now: start) == .maximumWrongChecksReached)
        #expect(
            ledger.check(to: nil, sid: started.verification.sid, code: "000000", now: start + 599)
                == .maximumWrongChecksReached)
        #expect(ledger.check(to: "+12025550189", sid: nil, code: "744400", now: start + 600) == .notFound)

        _ = try ledger.start(to: "+12025550189", channel: .sms, now: start + 600)
        for _ in 0..<V2Ledger.maximumWrongChecks {
            _ = ledger.check(to: "+12025550189", sid: nil, code: "000000", now: start + 600)
        }
        #expect(ledger.end(named: "+12025550189", as: .canceled, now: start + 601)?.status == .canceled)
        _ = try ledger.start(to: "+12025550189", channel: .sms, now: start + 602)
        guard case .approved = ledger.check(to: "+12025550189", sid: nil, code: "744400", now: start + 602) else {
            Issue.record("a new verification after a cancel starts with no wrong checks")
            return
        }
    }

    @Test func v2UpdateEndsTheVerificationBySidOrByNumber() throws {
        var ledger = V2Ledger(codeLifetime: 600)
        let bySid = try ledger.start(to: "+12025550189", channel: .sms, now: start).verification
        let canceling = ledger.end(named: bySid.sid, as: .canceled, now: start + 5)
        let canceled = try #require(canceling)
        #expect(canceled.sid == bySid.sid)
        #expect(canceled.status == .canceled)
        #expect(canceled.dateUpdated == start + 5)
        #expect(ledger.verification(named: bySid.sid, now: start + 5) == nil)
        #expect(ledger.check(to: "+12025550189", sid: nil, code: "744400", now: start + 5) == .notFound)
        #expect(ledger.end(named: bySid.sid, as: .canceled, now: start + 6) == nil)

        let byNumber = try ledger.start(to: "+12025550189", channel: .sms, now: start + 10).verification
        #expect(ledger.verification(named: "+12025550189", now: start + 10)?.sid == byNumber.sid)
        let approving = ledger.end(named: "+12025550189", as: .approved, now: start + 11)
        let approved = try #require(approving)
        #expect(approved.sid == byNumber.sid)
        #expect(approved.status == .approved)
        #expect(ledger.verification(named: "+12025550189", now: start + 11) == nil)
    }
}
