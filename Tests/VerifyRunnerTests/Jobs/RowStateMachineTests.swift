import Testing

@testable import VerifyRunner

@Suite struct RowStateMachineTests {
    private func machine(
        _ state: RowState = .pending(attempts: 0), maxAttempts: Int = 3, inDoubt: InDoubtPolicy = .check
    ) -> RowStateMachine {
        RowStateMachine(state: state, policy: .init(maxAttempts: maxAttempts, inDoubt: inDoubt))
    }

    private func result(_ verdict: ProviderResult.Verdict) -> ProviderResult { ProviderResult(verdict: verdict) }

    @Test func sendingCountsAttemptsFromOne() {
        var row = machine()
        #expect(row.sendRequested() == .send(attempt: 1))
        #expect(row.state == .inFlight(attempt: 1))
        #expect(row.sendRequested() == .none)
    }

    @Test(arguments: [
        (ProviderResult.Verdict.sent, RowStatus.sent),
        (.approved, .approved),
        (.denied, .denied),
        (.rejectedNumber, .rejected),
        (.failedPermanently, .failed),
    ])
    func finalAnswersFinishTheRow(verdict: ProviderResult.Verdict, status: RowStatus) {
        var row = machine()
        _ = row.sendRequested()
        #expect(row.resultReceived(result(verdict)) == .finish(status))
        #expect(row.state == .finished(status, attempts: 1))
    }

    @Test func retriesUntilMaxAttemptsThenFails() {
        var row = machine(maxAttempts: 3)
        let busy = result(.retryable(retryAfter: .seconds(2), mayHaveBeenProcessed: false))
        _ = row.sendRequested()
        #expect(row.resultReceived(busy) == .retry(afterAttempt: 1, retryAfter: .seconds(2)))
        #expect(row.state == .waitingToRetry(attempts: 1))
        #expect(row.sendRequested() == .send(attempt: 2))
        #expect(row.resultReceived(busy) == .retry(afterAttempt: 2, retryAfter: .seconds(2)))
        #expect(row.sendRequested() == .send(attempt: 3))
        #expect(row.resultReceived(busy) == .finish(.failed))
        #expect(row.state == .finished(.failed, attempts: 3))
    }

    @Test func rateLimitedAnswersAreNotAttempts() {
        var row = machine(maxAttempts: 1)
        for _ in 0..<10 {
            #expect(row.sendRequested() == .send(attempt: 1))
            #expect(
                row.resultReceived(result(.rateLimited(retryAfter: .seconds(1)))) == .backOff(retryAfter: .seconds(1)))
            #expect(row.state == .waitingToRetry(attempts: 0))
        }
        _ = row.sendRequested()
        #expect(row.resultReceived(result(.sent)) == .finish(.sent))
        #expect(row.state == .finished(.sent, attempts: 1))
    }

    /// Past the retry window, what would be retried ends `failed`; what is known ends as it would anyway.
    @Test(arguments: [
        (ProviderResult.Verdict.rateLimited(retryAfter: .seconds(1)), RowStateMachine.Action.finish(.failed)),
        (.retryable(retryAfter: nil, mayHaveBeenProcessed: false), .finish(.failed)),
        (.retryable(retryAfter: nil, mayHaveBeenProcessed: true), .checkStatus),
        (.sent, .finish(.sent)),
    ])
    func retryWindowEndsRetries(verdict: ProviderResult.Verdict, expected: RowStateMachine.Action) {
        var row = machine(maxAttempts: 5)
        _ = row.sendRequested()
        #expect(row.resultReceived(result(verdict), retryWindowLeft: .zero) == expected)
    }

    @Test func retryWindowEndsAnInDoubtRowTheAPIDoesNotKnow() {
        var row = machine(.inDoubt(attempts: 1), maxAttempts: 5)
        #expect(row.statusChecked(wasProcessed: false, retryWindowIsOver: true) == .finish(.failed))
        var known = machine(.inDoubt(attempts: 1), maxAttempts: 5)
        #expect(known.statusChecked(wasProcessed: true, retryWindowIsOver: true) == .finish(.sent))
    }

    @Test func jobFatalAnswerLeavesTheRowUntouched() {
        var row = machine(.pending(attempts: 1))
        _ = row.sendRequested()
        #expect(row.resultReceived(result(.fatalForJob)) == .pauseJob)
        #expect(row.state == .pending(attempts: 1))
    }

    @Test(arguments: [
        (InDoubtPolicy.report, RowStateMachine.Action.finish(.inDoubt)),
        (.resend, .retry(afterAttempt: 1, retryAfter: nil)),
        (.check, .checkStatus),
    ])
    func unknownOutcomeFollowsThePolicy(policy: InDoubtPolicy, expected: RowStateMachine.Action) {
        var row = machine(inDoubt: policy)
        _ = row.sendRequested()
        #expect(row.resultReceived(result(.retryable(retryAfter: nil, mayHaveBeenProcessed: true))) == expected)
    }

    @Test(arguments: [
        (InDoubtPolicy.report, RowStateMachine.Action.finish(.inDoubt), RowState.finished(.inDoubt, attempts: 2)),
        (.resend, .requeue, .pending(attempts: 2)),
        (.check, .checkStatus, .inDoubt(attempts: 2)),
    ])
    func crashRecoveryPutsInFlightRowsInDoubt(
        policy: InDoubtPolicy, expected: RowStateMachine.Action, state: RowState
    ) {
        var row = machine(.inFlight(attempt: 2), inDoubt: policy)
        #expect(row.recoveredAfterCrash() == expected)
        #expect(row.state == state)
    }

    @Test func statusCheckDecidesInDoubtRows() {
        var processed = machine(.inDoubt(attempts: 1))
        #expect(processed.statusChecked(wasProcessed: true) == .finish(.sent))

        var unknownToAPI = machine(.inDoubt(attempts: 1))
        #expect(unknownToAPI.statusChecked(wasProcessed: false) == .requeue)
        #expect(unknownToAPI.state == .pending(attempts: 1))
        #expect(unknownToAPI.sendRequested() == .send(attempt: 2))

        var exhausted = machine(.inDoubt(attempts: 3), maxAttempts: 3)
        #expect(exhausted.statusChecked(wasProcessed: false) == .finish(.failed))

        // A status question that fails is asked again after a backoff, --max-attempts questions in all.
        var unanswered = machine(.inDoubt(attempts: 1), maxAttempts: 3)
        #expect(unanswered.statusChecked(wasProcessed: nil) == .checkStatusLater(afterFailedChecks: 1))
        #expect(unanswered.state == .inDoubt(attempts: 1))
        #expect(unanswered.statusChecked(wasProcessed: nil) == .checkStatusLater(afterFailedChecks: 2))
        #expect(unanswered.statusChecked(wasProcessed: nil) == .finish(.inDoubt))
        #expect(unanswered.state == .finished(.inDoubt, attempts: 1))

        var answeredLate = machine(.inDoubt(attempts: 1))
        #expect(answeredLate.statusChecked(wasProcessed: nil) == .checkStatusLater(afterFailedChecks: 1))
        #expect(answeredLate.statusChecked(wasProcessed: true) == .finish(.sent))
    }

    @Test func aRequestTheAPICanNeverTellAboutEndsInDoubtNeverSentAgain() {
        var row = machine(.inDoubt(attempts: 1))
        #expect(row.statusUnknowable() == .finish(.inDoubt))
        #expect(row.state == .finished(.inDoubt, attempts: 1))
        var notInDoubt = machine(.pending(attempts: 0))
        #expect(notInDoubt.statusUnknowable() == .none)
    }

    @Test func answersOutsideFlightAreIgnored() {
        var row = machine(.finished(.sent, attempts: 1))
        #expect(row.resultReceived(result(.sent)) == .none)
        #expect(row.recoveredAfterCrash() == .none)
        #expect(row.state == .finished(.sent, attempts: 1))
    }

    @Test(arguments: [
        RowState.pending(attempts: 0), .inFlight(attempt: 2), .waitingToRetry(attempts: 1), .inDoubt(attempts: 3),
        .finished(.rejected, attempts: 1),
    ])
    func storedNamesRoundTrip(state: RowState) {
        let status: RowStatus? = if case .finished(let final, _) = state { final } else { nil }
        #expect(RowState(storedName: state.storedName, attempts: state.attempts, status: status) == state)
    }

    @Test func aNumberLimitParksTheRowWithoutCountingAnAttempt() {
        var row = RowStateMachine(
            state: .pending(attempts: 0),
            policy: .init(maxAttempts: 3, inDoubt: .check, sendLimitWait: .seconds(600), numberBusyWait: .seconds(1)))
        _ = row.sendRequested()
        let sendLimit = result(.numberLimited(.sendAttempts))
        #expect(row.resultReceived(sendLimit, retryWindowLeft: .seconds(1800)) == .park(wait: .seconds(600)))
        #expect(row.state == .waitingToRetry(attempts: 0))
        #expect(row.sendRequested() == .send(attempt: 1), "the refused request did not count")
        let busy = result(.numberLimited(.concurrentRequests(retryAfter: .seconds(3))))
        #expect(row.resultReceived(busy, retryWindowLeft: .seconds(1800)) == .park(wait: .seconds(3)))
        _ = row.sendRequested()
        let unspecified = result(.numberLimited(.concurrentRequests(retryAfter: nil)))
        #expect(row.resultReceived(unspecified, retryWindowLeft: .seconds(1800)) == .park(wait: .seconds(1)))
    }

    @Test func aNumberLimitThatWouldOutlastTheRetryWindowRejectsTheRow() {
        var row = machine()
        _ = row.sendRequested()
        let sendLimit = result(.numberLimited(.sendAttempts))
        #expect(row.resultReceived(sendLimit, retryWindowLeft: .seconds(599)) == .finish(.rejected))
    }

    @Test func aMarkedRowThatNeverLeftGoesBackUncounted() {
        var row = machine(.waitingToRetry(attempts: 1))
        _ = row.sendRequested()
        #expect(row.sendWithdrawn() == .requeue)
        #expect(row.state == .pending(attempts: 1))
    }
}
