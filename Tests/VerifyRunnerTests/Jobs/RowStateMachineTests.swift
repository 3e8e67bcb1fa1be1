import Testing

@testable import VerifyRunner

@Suite struct RowStateMachineTests {
    private func machine(
        _ state: RowState = .pending(attempts: 0), kind: VerificationKind = .start, maxAttempts: Int = 3,
        inDoubt: InDoubtPolicy = .check, question: InDoubtQuestion = .statusQuestion
    ) -> RowStateMachine {
        RowStateMachine(
            state: state, kind: kind,
            policy: .init(maxAttempts: maxAttempts, inDoubt: inDoubt, inDoubtQuestion: question))
    }

    private func backoff(_ attempts: Int, _ retryAfter: Duration? = nil) -> RowStateMachine.Action {
        .sendAgain(after: .backoff(afterAttempt: attempts, retryAfter: retryAfter))
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
        #expect(row.resultReceived(busy) == backoff(1, .seconds(2)))
        #expect(row.state == .waitingToRetry(attempts: 1))
        #expect(row.sendRequested() == .send(attempt: 2))
        #expect(row.resultReceived(busy) == backoff(2, .seconds(2)))
        #expect(row.sendRequested() == .send(attempt: 3))
        #expect(row.resultReceived(busy) == .finish(.failed))
        #expect(row.state == .finished(.failed, attempts: 3))
    }

    @Test func rateLimitedAnswersAreNotAttempts() {
        var row = machine(maxAttempts: 1)
        for _ in 0..<10 {
            #expect(row.sendRequested() == .send(attempt: 1))
            #expect(row.resultReceived(result(.rateLimited(retryAfter: .seconds(1)))) == backoff(1, .seconds(1)))
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
        (.retryable(retryAfter: nil, mayHaveBeenProcessed: true), .askStatus),
        (.sent, .finish(.sent)),
    ])
    func retryWindowEndsRetries(verdict: ProviderResult.Verdict, expected: RowStateMachine.Action) {
        var row = machine(maxAttempts: 5)
        _ = row.sendRequested()
        #expect(row.resultReceived(result(verdict), at: .init(retryWindowLeft: .zero)) == expected)
    }

    @Test func retryWindowEndsAnInDoubtRowTheAPIDoesNotKnow() {
        var row = machine(.inDoubt(attempts: 1), maxAttempts: 5)
        #expect(row.statusChecked(wasProcessed: false, at: .init(retryWindowLeft: .zero)) == .finish(.failed))
        var known = machine(.inDoubt(attempts: 1), maxAttempts: 5)
        #expect(known.statusChecked(wasProcessed: true, at: .init(retryWindowLeft: .zero)) == .finish(.sent))
    }

    @Test func jobFatalAnswerLeavesTheRowUntouched() {
        var row = machine(.pending(attempts: 1))
        _ = row.sendRequested()
        #expect(row.resultReceived(result(.fatalForJob)) == .pauseJob)
        #expect(row.state == .pending(attempts: 1))
    }

    @Test(arguments: [
        (InDoubtPolicy.report, RowStateMachine.Action.finish(.inDoubt)),
        (.resend, .sendAgain(after: .backoff(afterAttempt: 1, retryAfter: nil))),
        (.check, .askStatus),
    ])
    func unknownOutcomeFollowsThePolicy(policy: InDoubtPolicy, expected: RowStateMachine.Action) {
        var row = machine(inDoubt: policy)
        _ = row.sendRequested()
        #expect(row.resultReceived(result(.retryable(retryAfter: nil, mayHaveBeenProcessed: true))) == expected)
    }

    @Test(arguments: [
        (InDoubtPolicy.report, RowStateMachine.Action.finish(.inDoubt), RowState.finished(.inDoubt, attempts: 2)),
        (.resend, .requeue, .pending(attempts: 2)),
        (.check, .askStatus, .inDoubt(attempts: 2)),
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
        #expect(
            unanswered.statusChecked(wasProcessed: nil)
                == .askStatusLater(after: .backoff(afterAttempt: 1, retryAfter: nil)))
        #expect(unanswered.state == .inDoubt(attempts: 1))
        #expect(
            unanswered.statusChecked(wasProcessed: nil)
                == .askStatusLater(after: .backoff(afterAttempt: 2, retryAfter: nil)))
        #expect(unanswered.statusChecked(wasProcessed: nil) == .finish(.inDoubt))
        #expect(unanswered.state == .finished(.inDoubt, attempts: 1))

        var answeredLate = machine(.inDoubt(attempts: 1))
        #expect(
            answeredLate.statusChecked(wasProcessed: nil)
                == .askStatusLater(after: .backoff(afterAttempt: 1, retryAfter: nil)))
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
        #expect(
            row.resultReceived(sendLimit, at: .init(retryWindowLeft: .seconds(1800)))
                == .sendAgain(after: .exactly(.seconds(600))))
        #expect(row.state == .waitingToRetry(attempts: 0))
        #expect(row.sendRequested() == .send(attempt: 1), "the refused request did not count")
        let busy = result(.numberLimited(.concurrentRequests(retryAfter: .seconds(3))))
        #expect(
            row.resultReceived(busy, at: .init(retryWindowLeft: .seconds(1800)))
                == .sendAgain(after: .exactly(.seconds(3))))
        _ = row.sendRequested()
        let unspecified = result(.numberLimited(.concurrentRequests(retryAfter: nil)))
        #expect(
            row.resultReceived(unspecified, at: .init(retryWindowLeft: .seconds(1800)))
                == .sendAgain(after: .exactly(.seconds(1))))
    }

    @Test func aNumberLimitThatWouldOutlastTheRetryWindowRejectsTheRow() {
        var row = machine()
        _ = row.sendRequested()
        let sendLimit = result(.numberLimited(.sendAttempts))
        #expect(row.resultReceived(sendLimit, at: .init(retryWindowLeft: .seconds(599))) == .finish(.rejected))
    }

    @Test func aMarkedRowThatNeverLeftGoesBackUncounted() {
        var row = machine(.waitingToRetry(attempts: 1))
        _ = row.sendRequested()
        #expect(row.sendWithdrawn() == .requeue)
        #expect(row.state == .pending(attempts: 1))
    }

    /// Waits drawn at the top of their range (`min(cap, base × 2^(n-1))`), or the `Retry-After` when longer.
    @Test func waitsAreDrawnFromTheRetryPolicy() {
        let policy = RetryPolicy(base: .milliseconds(500), cap: .seconds(30), jitter: { 1 })
        let cases: [(RowStateMachine.Wait, Duration)] = [
            (.backoff(afterAttempt: 1, retryAfter: nil), .milliseconds(500)),
            (.backoff(afterAttempt: 3, retryAfter: nil), .seconds(2)),
            (.backoff(afterAttempt: 9, retryAfter: nil), .seconds(30)),
            (.backoff(afterAttempt: 1, retryAfter: .seconds(5)), .seconds(5)),
            (.exactly(.seconds(600)), .seconds(600)),
        ]
        for (wait, expected) in cases { #expect(wait.duration(with: policy) == expected, "\(wait)") }
    }

    /// A row in doubt is asked about the way its provider allows; a check is checked again (it sends no code);
    /// a stopping run asks nothing and leaves the row in doubt.
    @Test(arguments: [
        (
            VerificationKind.start, InDoubtQuestion.statusQuestion, false, RowStateMachine.Action.askStatus,
            RowState.inDoubt(attempts: 1)
        ),
        (.start, .lookUp, false, .lookUp, .inDoubt(attempts: 1)),
        (.start, .unaskable, false, .finish(.inDoubt), .finished(.inDoubt, attempts: 1)),
        (.check, .statusQuestion, false, .requeue, .pending(attempts: 1)),
        (.check, .lookUp, false, .requeue, .pending(attempts: 1)),
        (.start, .statusQuestion, true, .leaveInDoubt, .inDoubt(attempts: 1)),
        (.check, .lookUp, true, .leaveInDoubt, .inDoubt(attempts: 1)),
    ])
    func aRowInDoubtIsAskedAboutTheWayItsProviderAllows(
        kind: VerificationKind, question: InDoubtQuestion, stopping: Bool, expected: RowStateMachine.Action,
        state: RowState
    ) {
        var row = machine(.inFlight(attempt: 1), kind: kind, question: question)
        let lost = result(.retryable(retryAfter: nil, mayHaveBeenProcessed: true))
        #expect(row.resultReceived(lost, at: .init(stopping: stopping)) == expected)
        #expect(row.state == state)
        var loaded = machine(.inDoubt(attempts: 1), kind: kind, question: question)
        #expect(loaded.resolveInDoubt(at: .init(stopping: stopping)) == expected)
        var later = machine(.inDoubt(attempts: 1), kind: kind, question: question)
        #expect(later.askAgain(at: .init(stopping: stopping)) == expected)
    }

    /// A check in doubt past its retry window or its attempts ends failed rather than being checked again.
    @Test func aCheckInDoubtWithNothingLeftEndsFailed() {
        var row = machine(.inFlight(attempt: 3), kind: .check, maxAttempts: 3)
        let lost = result(.retryable(retryAfter: nil, mayHaveBeenProcessed: true))
        #expect(row.resultReceived(lost) == .finish(.failed))
        var late = machine(.inDoubt(attempts: 1), kind: .check, maxAttempts: 3)
        #expect(late.askAgain(at: .init(retryWindowLeft: .zero)) == .finish(.failed))
    }
}
