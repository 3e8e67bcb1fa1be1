import Testing

@testable import VerifyRunner

/// The scheduler's next step for a row after its state machine acted, as a table.
@Suite struct RowFollowUpTests {
    /// Waits drawn at the top of their range: `min(cap, base × 2^(n-1))`, or the `Retry-After` when longer.
    private let policy = RetryPolicy(base: .milliseconds(500), cap: .seconds(30), jitter: { 1 })

    private func means(
        _ kind: VerificationKind = .start, status: Bool = false, attempts: Bool = false, stopping: Bool = false
    ) -> RowFollowUp.Means {
        RowFollowUp.Means(kind: kind, hasStatusQuestion: status, hasAttemptsLookUp: attempts, stopping: stopping)
    }

    @Test func waitsAndSendsAgain() {
        let cases: [(RowStateMachine.Action, RowFollowUp)] = [
            (.retry(afterAttempt: 1, retryAfter: nil), .sendAgain(after: .milliseconds(500))),
            (.retry(afterAttempt: 3, retryAfter: nil), .sendAgain(after: .seconds(2))),
            (.retry(afterAttempt: 9, retryAfter: nil), .sendAgain(after: .seconds(30))),
            (.retry(afterAttempt: 1, retryAfter: .seconds(5)), .sendAgain(after: .seconds(5))),
            (.backOff(retryAfter: nil), .sendAgain(after: .milliseconds(500))),
            (.backOff(retryAfter: .seconds(20)), .sendAgain(after: .seconds(20))),
            (.park(wait: .seconds(600)), .sendAgain(after: .seconds(600))),
            (.checkStatusLater(afterFailedChecks: 2), .askStatusLater(after: .seconds(1))),
        ]
        for (action, expected) in cases {
            #expect(RowFollowUp.decide(action, means: means(), retryPolicy: policy) == expected, "\(action)")
        }
    }

    @Test func aRowInDoubtIsAskedAboutTheWayItsProviderAllows() {
        let cases: [(RowFollowUp.Means, RowFollowUp)] = [
            (means(status: true, attempts: false), .askStatus),
            (means(status: false, attempts: true), .lookUp),
            (means(status: true, attempts: true), .askStatus),
            (means(status: false, attempts: false), .cannotAsk),
            (means(.check, status: true), .checkAgain),
            (means(.check, status: false, attempts: true), .checkAgain),
            (means(status: true, stopping: true), .leaveInDoubt),
            (means(.check, stopping: true), .leaveInDoubt),
        ]
        for (means, expected) in cases {
            #expect(RowFollowUp.decide(.checkStatus, means: means, retryPolicy: policy) == expected, "\(means)")
        }
    }

    @Test func theRestIsRecordedAsTheMachineSays() {
        let cases: [(RowStateMachine.Action, RowFollowUp)] = [
            (.finish(.sent), .finish(.sent)), (.finish(.inDoubt), .finish(.inDoubt)), (.requeue, .requeue),
            (.pauseJob, .pauseJob), (.send(attempt: 2), .nothing), (.none, .nothing),
        ]
        for (action, expected) in cases {
            #expect(RowFollowUp.decide(action, means: means(stopping: true), retryPolicy: policy) == expected)
        }
    }
}
