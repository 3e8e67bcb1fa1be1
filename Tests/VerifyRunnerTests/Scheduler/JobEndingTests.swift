import Testing

@testable import VerifyRunner

/// When a job's run is over, and how, as a table: what the scheduler holds in, the ending out.
@Suite struct JobEndingTests {
    typealias Holdings = JobEnding.Holdings

    /// Everything sent and answered, every row loaded: the holdings of a job about to finish.
    private static let drained = Holdings(storeExhausted: true)

    private static func drained(_ change: (inout Holdings) -> Void) -> Holdings {
        var holdings = drained
        change(&holdings)
        return holdings
    }

    @Test(arguments: [
        ("every row done", drained, JobEnding.finished),
        ("a request in the air", drained { $0.inFlight = 1 }, .notYet),
        ("starts waiting for their commit", drained { $0.awaitingCommit = 3 }, .notYet),
        ("a commit under way", drained { $0.committing = true }, .notYet),
        ("rows not yet loaded", drained { $0.storeExhausted = false }, .notYet),
        ("rows waiting to leave", drained { $0.waitingToLeave = 1 }, .notYet),
        ("a retry to wait for", drained { $0.waitingRetries = 1 }, .notYet),
        (
            "only rows in doubt, waiting for company",
            drained {
                $0.inDoubtUnresolved = true
                $0.inDoubtWaiting = true
            }, .lookUpInDoubtRows
        ),
        ("a look-up under way", drained { $0.inDoubtUnresolved = true }, .notYet),
        (
            "only rows waiting for their send window",
            drained {
                $0.waitingForWindow = 40
                $0.windowOpensAt = 1_800_000_000
            }, .waitingForWindow(rows: 40, opensAt: 1_800_000_000)
        ),
        (
            "rows waiting for their window, and a retry",
            drained {
                $0.waitingForWindow = 40
                $0.windowOpensAt = 1_800_000_000
                $0.waitingRetries = 1
            }, .notYet
        ),
        (
            "rows waiting for their window, and rows in doubt to look up first",
            drained {
                $0.waitingForWindow = 40
                $0.windowOpensAt = 1_800_000_000
                $0.inDoubtUnresolved = true
                $0.inDoubtWaiting = true
            }, .lookUpInDoubtRows
        ),
        (
            "rows in doubt, but also rows to send",
            drained {
                $0.inDoubtUnresolved = true
                $0.inDoubtWaiting = true
                $0.waitingToLeave = 5
            }, .notYet
        ),
        (
            "paused with rows left",
            drained {
                $0.pauseReason = "wrong key"
                $0.waitingToLeave = 500
                $0.storeExhausted = false
            }, .paused(reason: "wrong key")
        ),
        (
            "a pause comes before a stop",
            drained {
                $0.pauseReason = "wrong key"
                $0.stopRequested = true
            }, .paused(reason: "wrong key")
        ),
        (
            "stopped with rows left and retries waiting",
            drained {
                $0.stopRequested = true
                $0.waitingRetries = 7
            }, .stopped
        ),
        (
            "a stop waits for the requests in the air",
            drained {
                $0.stopRequested = true
                $0.inFlight = 2
            }, .notYet
        ),
        (
            "a pause waits for a commit under way",
            drained {
                $0.pauseReason = "wrong key"
                $0.committing = true
            }, .notYet
        ),
    ])
    func ending(case _: String, holdings: Holdings, expected: JobEnding) {
        #expect(JobEnding.decide(holdings) == expected)
    }

    @Test func idleMeansNothingToSendNothingInTheAirNoRetry() {
        #expect(Self.drained.isIdle)
        #expect(!Self.drained { $0.inFlight = 1 }.isIdle)
        #expect(!Self.drained { $0.awaitingCommit = 1 }.isIdle)
        #expect(Self.drained { $0.committing = true }.isIdle, "a commit of answers alone leaves nothing to send")
    }
}
