import Foundation
import Testing

@testable import VerifySandbox

@Suite struct AttemptLogTests {
    let start = Date(timeIntervalSince1970: 1_750_000_000)

    /// Every attempt that matches `filter`, newest first, read in pages of `size`.
    func everyPage(
        of log: AttemptLog, filter: AttemptLog.Filter = .init(), size: Int, now: Date
    ) -> [[AttemptLog.Record]] {
        var pages: [[AttemptLog.Record]] = []
        var position = AttemptLog.PagePosition.newest(skipping: 0)
        while true {
            let page = log.page(filter: filter, from: position, size: size, now: now)
            pages.append(page.records)
            guard let next = page.nextPosition else { return pages }
            position = .olderThan(next)
        }
    }

    @Test func everySendOfAV2StartIsAnAttemptWithItsSendSid() throws {
        var ledger = V2Ledger(codeLifetime: 600)
        let first = try ledger.start(to: "+12025550189", channel: .sms, now: start).verification
        let second = try ledger.start(to: "+12025550189", channel: .call, now: start + 30).verification
        let other = try ledger.start(to: "+447911123456", channel: .sms, now: start + 31).verification
        let records = ledger.attempts.page(filter: .init(), from: .newest(skipping: 0), size: 50, now: start + 40)
            .records
        #expect(
            records.map(\.attempt.id)
                == [other.sendCodeAttempts[0].id, second.sendCodeAttempts[1].id, first.sendCodeAttempts[0].id])
        #expect(records.map(\.attempt.verification) == [other.id, first.id, first.id])
        #expect(records.map(\.to) == ["+447911123456", "+12025550189", "+12025550189"])
        #expect(records.map(\.attempt.channel) == [.sms, .call, .sms])
        #expect(records.map(\.attempt.created) == [1_750_000_031, 1_750_000_030, 1_750_000_000])
        #expect(records.allSatisfy { !$0.attempt.isConverted && $0.attempt.updated == $0.attempt.created })
        #expect(ledger.attempts.attempt(id: second.sendCodeAttempts[1].id, now: start + 40) == records[1])
    }

    @Test func approvalConvertsEveryAttemptOfTheVerificationAndNothingElse() throws {
        var ledger = V2Ledger(codeLifetime: 600)
        let checked = try ledger.start(to: "+12025550189", channel: .sms, now: start).verification
        _ = try ledger.start(to: "+12025550189", channel: .sms, now: start + 1)
        let updated = try ledger.start(to: "+12025550188", channel: .sms, now: start + 2).verification
        let canceled = try ledger.start(to: "+12025550187", channel: .sms, now: start + 3).verification
        _ = ledger.check(to: "+12025550189", sid: nil, code: checked.code, now: start + 10)
        _ = ledger.end(named: updated.sid, as: .approved, now: start + 11)
        _ = ledger.end(named: canceled.sid, as: .canceled, now: start + 12)
        let records = ledger.attempts.page(filter: .init(), from: .newest(skipping: 0), size: 50, now: start + 20)
            .records
        #expect(records.map(\.attempt.isConverted) == [false, true, true, true])
        #expect(records.map(\.attempt.updated) == [1_750_000_003, 1_750_000_011, 1_750_000_010, 1_750_000_010])
        let summary = ledger.attempts.summary(filter: .init(), now: start + 20)
        #expect(summary == AttemptLog.Summary(total: 4, converted: 3))
    }

    @Test func aRefusedSixthSendMakesNoAttempt() throws {
        var ledger = V2Ledger(codeLifetime: 600)
        for _ in 0..<5 { _ = try ledger.start(to: "+12025550189", channel: .sms, now: start) }
        #expect(throws: V2Ledger.StartRefusal.self) { try ledger.start(to: "+12025550189", channel: .sms, now: start) }
        #expect(ledger.attempts.summary(filter: .init(), now: start).total == 5)
    }

    @Test func attemptsOlderThanThirtyDaysAreNeitherListedFetchedNorCounted() throws {
        var ledger = V2Ledger(codeLifetime: 600)
        let old = try ledger.start(to: "+12025550189", channel: .sms, now: start).verification
        let recent = try ledger.start(to: "+12025550188", channel: .sms, now: start + 86_400).verification
        let thirtyDays = TimeInterval(AttemptLog.retention)
        let oldID = old.sendCodeAttempts[0].id
        #expect(ledger.attempts.attempt(id: oldID, now: start + thirtyDays) != nil)
        #expect(ledger.attempts.summary(filter: .init(), now: start + thirtyDays).total == 2)

        let later = start + thirtyDays + 1
        #expect(ledger.attempts.attempt(id: oldID, now: later) == nil)
        let listed = ledger.attempts.page(filter: .init(), from: .newest(skipping: 0), size: 50, now: later)
        #expect(listed.records.map(\.attempt.verification) == [recent.id])
        #expect(listed.nextPosition == nil)
        var byNumber = AttemptLog.Filter()
        byNumber.to = "+12025550189"
        #expect(ledger.attempts.summary(filter: byNumber, now: later).total == 0)
    }

    @Test func pagesStayExactWhileAttemptsArrive() {
        var log = AttemptLog()
        var generator = IdentifierGenerator()
        var made: [SidDigits] = []
        /// Makes one attempt to a number of its own, `seconds` after the start.
        func makeAttempt(at seconds: TimeInterval) {
            let id = generator.sid()
            log.append(
                id: id, verification: generator.sid(), to: "+1202555\(1000 + made.count)", channel: .sms,
                now: start + seconds)
            made.append(id)
        }
        for index in 0..<10 { makeAttempt(at: TimeInterval(index / 3)) }  // three per second: ties
        let expected = Array(made.reversed())

        var listed: [SidDigits] = []
        var position = AttemptLog.PagePosition.newest(skipping: 0)
        var pages = 0
        while true {
            let page = log.page(filter: .init(), from: position, size: 3, now: start + 100)
            listed += page.records.map(\.attempt.id)
            pages += 1
            makeAttempt(at: 50)  // arrives between two pages
            guard let next = page.nextPosition else { break }
            position = .olderThan(next)
        }
        #expect(listed == expected)
        #expect(pages == 4)

        let second = log.page(filter: .init(), from: .olderThan(7), size: 3, now: start + 100)
        #expect(second.records.map(\.attempt.id) == Array(made[4...6].reversed()))
        let previous = log.page(filter: .init(), from: .newerThan(6), size: 3, now: start + 100)
        #expect(previous.records.map(\.attempt.id) == Array(made[7...9].reversed()))
        #expect(previous.previousPosition == 9)
        #expect(previous.nextPosition == 7)
        #expect(log.page(filter: .init(), from: .olderThan(made.count), size: 3, now: start).records.isEmpty)
        #expect(
            log.page(filter: .init(), from: .newest(skipping: 3), size: 3, now: start + 100).records.map(\.attempt.id)
                == Array(made[made.count - 6..<made.count - 3].reversed()))
    }

    @Test func filtersNarrowListingsAndSummaries() throws {
        var ledger = V2Ledger(codeLifetime: 600)
        let us = try ledger.start(to: "+12025550189", channel: .sms, now: start).verification
        _ = try ledger.start(to: "+12025550189", channel: .call, now: start + 10)
        let gb = try ledger.start(to: "+447911123456", channel: .call, now: start + 20).verification
        _ = try ledger.start(to: "+12025550188", channel: .sms, now: start + 30)
        _ = ledger.end(named: gb.sid, as: .approved, now: start + 40)
        let now = start + 50

        /// The numbers of the attempts that match, newest first, read two at a time.
        func listed(_ filter: AttemptLog.Filter) -> [String] {
            let numbers = everyPage(of: ledger.attempts, filter: filter, size: 2, now: now).joined().map(\.to)
            #expect(ledger.attempts.summary(filter: filter, now: now).total == numbers.count)
            return numbers
        }
        #expect(listed(.init()) == ["+12025550188", "+447911123456", "+12025550189", "+12025550189"])
        #expect(listed(.init(to: "+12025550189")) == ["+12025550189", "+12025550189"])
        #expect(listed(.init(to: "+19999999999")) == [])
        #expect(listed(.init(verificationSid: us.sid)) == ["+12025550189", "+12025550189"])
        #expect(listed(.init(to: "+12025550189", verificationSid: gb.sid)) == [])
        #expect(listed(.init(verificationSid: "VE-not-a-sid")) == [])
        #expect(listed(.init(country: "GB")) == ["+447911123456"])
        #expect(listed(.init(country: "US")).count == 3)
        #expect(listed(.init(channel: "call")) == ["+447911123456", "+12025550189"])
        #expect(listed(.init(channel: "whatsapp")) == [])
        #expect(listed(.init(isConverted: true)) == ["+447911123456"])
        #expect(listed(.init(isConverted: false)).count == 3)
        #expect(listed(.init(destinationPrefix: "+1202555018")).count == 3)
        #expect(listed(.init(createdAfter: 1_750_000_010)) == ["+12025550188", "+447911123456", "+12025550189"])
        #expect(listed(.init(createdBefore: 1_750_000_010)) == ["+12025550189", "+12025550189"])
        #expect(listed(.init(createdAfter: 1_750_000_010, createdBefore: 1_750_000_020)).count == 2)
        #expect(listed(.init(createdAfter: 1_750_000_011, createdBefore: 1_750_000_019)) == [])
        #expect(listed(.init(createdAfter: 1_750_000_030, createdBefore: 1_750_000_000)) == [])
        #expect(listed(.init(matchesNothing: true)) == [])
    }

    @Test func aClockThatStepsBackDoesNotReorderTheListing() {
        var log = AttemptLog()
        var generator = IdentifierGenerator()
        let ids = (0..<3).map { _ in generator.sid() }
        log.append(id: ids[0], verification: generator.sid(), to: "+12025550189", channel: .sms, now: start + 100)
        log.append(id: ids[1], verification: generator.sid(), to: "+12025550189", channel: .sms, now: start)
        log.append(id: ids[2], verification: generator.sid(), to: "+12025550189", channel: .sms, now: start + 101)
        let records = log.page(filter: .init(), from: .newest(skipping: 0), size: 10, now: start + 200).records
        #expect(records.map(\.attempt.id) == ids.reversed())
        #expect(records.map(\.attempt.created) == [1_750_000_101, 1_750_000_100, 1_750_000_100])
    }
}

@Suite struct SlidingWindowLimitTests {
    @Test func admitsTheLimitInAnySixtySecondsAndSaysWhenASlotFrees() {
        let limit = SlidingWindowLimit(limit: 3)
        let start = Date(timeIntervalSince1970: 1_750_000_000)
        #expect(limit.admit(now: start) == nil)
        #expect(limit.admit(now: start + 10) == nil)
        #expect(limit.admit(now: start + 20) == nil)
        #expect(limit.admit(now: start + 30) == 30)
        #expect(limit.admit(now: start + 59.5) == 1)
        #expect(limit.admit(now: start + 60) == nil)
        #expect(limit.admit(now: start + 60) == 10)
        #expect(limit.admit(now: start + 70) == nil)
        #expect(limit.admit(now: start + 200) == nil)
        #expect(limit.admit(now: start + 200) == nil)
        #expect(limit.admit(now: start + 200) == nil)
        #expect(limit.admit(now: start + 200) == 60)
    }
}
