import Synchronization
import Testing

@testable import VerifyRunner

/// ``RunnerLease`` and its ``SendDeadline``: renewals move the deadline later (never earlier), a lost lease closes it
/// for good and tells its handler once.
@Suite struct RunnerLeaseTests {
    private static let second: UInt64 = 1_000_000_000

    @Test func aRenewalMovesTheDeadlineToItsStartPlusTheLeaseMinusTheTimeout() throws {
        let lease = RunnerLease(
            runnerID: "h:1:a", length: .seconds(4), requestTimeout: .seconds(2), renewedAt: 100 * Self.second)
        let deadline = try #require(lease.sendDeadline)
        #expect(deadline.nanoseconds == 102 * Self.second)
        #expect(deadline.allowsSending(at: 102 * Self.second - 1) && !deadline.allowsSending(at: 102 * Self.second))
        lease.renewed(startedAt: 101 * Self.second)
        #expect(deadline.nanoseconds == 103 * Self.second)
        lease.renewed(startedAt: 100 * Self.second)
        #expect(deadline.nanoseconds == 103 * Self.second, "a renewal that started earlier moves nothing")
        #expect(lease.renewalInterval == .seconds(2) / 3, "three renewals fit in the lease minus the timeout")
        let long = RunnerLease(runnerID: "h:1:b", length: .seconds(30), requestTimeout: .seconds(15), renewedAt: 0)
        #expect(long.renewalInterval == .seconds(5))
        let longer = RunnerLease(runnerID: "h:1:c", length: .seconds(60), requestTimeout: .seconds(2), renewedAt: 0)
        #expect(longer.renewalInterval == .seconds(15), "at most a quarter of the lease")
    }

    @Test func aLostLeaseClosesItsDeadlineForGoodAndTellsItsHandlerOnce() throws {
        let lease = RunnerLease(runnerID: "h:1:a", length: .seconds(4), requestTimeout: .seconds(2), renewedAt: 0)
        let told = Mutex<[LeaseLoss]>([])
        lease.whenLost { loss in told.withLock { $0.append(loss) } }
        let loss = LeaseLoss(runnerID: "h:1:a", unseenSeconds: 20.34, lease: .seconds(4), takenOverBy: "h:2:b")
        #expect(lease.lose(loss) == loss)
        let later = LeaseLoss(runnerID: "h:1:a", unseenSeconds: 30, lease: .seconds(4), takenOverBy: nil)
        #expect(lease.lose(later) == loss, "the first loss is the one recorded")
        #expect(told.withLock { $0 } == [loss])
        #expect(lease.lost == loss)
        let deadline = try #require(lease.sendDeadline)
        #expect(deadline.isClosed && !deadline.allowsSending(at: 0))
        lease.renewed(startedAt: 1_000 * Self.second)
        deadline.extend(to: 2_000 * Self.second)
        #expect(deadline.isClosed, "nothing reopens a closed deadline")
        // A handler set after the loss hears of it at once.
        let late = Mutex(0)
        lease.whenLost { _ in late.withLock { $0 += 1 } }
        #expect(late.withLock { $0 } == 1)
        #expect(
            loss.description
                == "the store had not heard from this runner (h:1:a) for 20.3 s, longer than --lease 4s; runner "
                + "h:2:b found it gone and may have taken over the rows it held")
    }

    @Test func theSoleRunnerOfAStoreHasNoDeadline() {
        let lease = RunnerLease(soleRunner: "h:1:a", length: .seconds(30))
        #expect(lease.sendDeadline == nil && lease.lost == nil)
        #expect(lease.renewalInterval == .seconds(7.5))
    }
}
