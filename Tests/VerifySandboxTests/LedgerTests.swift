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

    @Test func v2RestartAddsAnAttemptAndApprovalForgetsTheVerification() throws {
        var ledger = V2Ledger(codeLifetime: 600)
        let first = ledger.start(to: "+12025550189", channel: .sms, now: start)
        let second = ledger.start(to: "+12025550189", channel: .call, now: start + 10)
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
        #expect(approved.status == "approved")
        #expect(ledger.check(to: "+12025550189", sid: nil, code: "744400", now: start + 20) == .notFound)
        #expect(ledger.verification(sid: first.verification.sid, now: start + 20) == nil)
    }

    @Test func aCustomCodeLifetimeSetsBothExpiries() {
        var v1 = V1Ledger(codeLifetime: 20)
        let started = v1.start(e164: "+12025550189", via: .sms, codeLength: 4, now: start)
        #expect(started.verification.secondsToExpire(at: start) == 19)
        #expect(v1.check(e164: "+12025550189", code: "4400", now: start + 20) == .notPending)
        #expect(v1.verification(e164: "+12025550189")?.status(at: start + 20) == "expired")

        var v2 = V2Ledger(codeLifetime: 20)
        let first = v2.start(to: "+12025550189", channel: .sms, now: start)
        #expect(v2.verification(sid: first.verification.sid, now: start + 19) != nil)
        #expect(v2.verification(sid: first.verification.sid, now: start + 20) == nil)
    }

    @Test func v2ExpiredVerificationIsGone() {
        var ledger = V2Ledger(codeLifetime: 600)
        let first = ledger.start(to: "+12025550189", channel: .sms, now: start)
        #expect(ledger.verification(sid: first.verification.sid, now: start + 599) != nil)
        #expect(ledger.verification(sid: first.verification.sid, now: start + 600) == nil)
        #expect(ledger.start(to: "+12025550189", channel: .sms, now: start + 600).isNew)
    }
}
