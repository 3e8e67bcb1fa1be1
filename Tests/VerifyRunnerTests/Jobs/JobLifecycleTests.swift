import Testing

@testable import VerifyRunner

/// The job's life as a table: each phase and event, the next phase and the runner's follow-up; operator actions
/// that make no sense are refused and change nothing; an ended job never moves.
@Suite struct JobLifecycleTests {
    typealias Phase = JobLifecycle.Phase

    /// `event` applied to a job in `phase`: the answer, and the phase after it.
    private func apply(_ event: JobLifecycle.Event, in phase: Phase) -> (JobLifecycle.Answer, Phase) {
        var job = JobLifecycle(phase: phase)
        let answer = job.handle(event)
        return (answer, job.phase)
    }

    @Test(arguments: [
        (Phase.intake, JobLifecycle.Event.rowsRead, Phase.queued, JobLifecycle.FollowUp.send),
        (.intake, .fileUnreadable, .rejected, .rejectFile),
        (.queued, .overSendLimit, .held, .hold),
        (.held, .overSendLimit, .held, .hold),
        (.held, .withinSendLimit, .queued, .send),
        (.queued, .withinSendLimit, .queued, .send),
        (.queued, .credentialsRefused, .pausedByAPI, .stopSending),
        (.pausedByAPI, .runStarts, .queued, .send),
        (.pausedByAPI, .operatorResumes, .queued, .send),
        (.queued, .operatorPauses, .pausedByOperator, .stopSending),
        (.held, .operatorPauses, .pausedByOperator, .stopSending),
        (.pausedByAPI, .operatorPauses, .pausedByOperator, .stopSending),
        (.intake, .operatorPauses, .pausedByOperator, .none),
        (.pausedByOperator, .operatorResumes, .queued, .send),
        (.queued, .operatorCancels, .canceling, .cancelUnsentRows),
        (.held, .operatorCancels, .canceling, .cancelUnsentRows),
        (.pausedByAPI, .operatorCancels, .canceling, .cancelUnsentRows),
        (.pausedByOperator, .operatorCancels, .canceling, .cancelUnsentRows),
        (.intake, .operatorCancels, .canceling, .none),
        (.canceling, .rowsRead, .canceling, .cancelUnsentRows),
        (.queued, .rowsFinished, .finished, .finish),
        (.pausedByAPI, .rowsFinished, .finished, .finish),
        (.pausedByOperator, .rowsFinished, .finished, .finish),
        (.canceling, .rowsFinished, .canceled, .finishCanceled),
    ])
    func eventsMoveTheJob(from phase: Phase, event: JobLifecycle.Event, to next: Phase, then: JobLifecycle.FollowUp) {
        let (answer, after) = apply(event, in: phase)
        #expect(answer == .moved(to: next, then: then))
        #expect(after == next)
    }

    @Test(arguments: [
        (Phase.finished, JobLifecycle.Event.operatorPauses, JobLifecycle.Refusal.ended(.finished)),
        (.canceled, .operatorCancels, .ended(.canceled)),
        (.rejected, .operatorResumes, .ended(.rejected)),
        (.queued, .operatorResumes, .notPaused(.queued)),
        (.held, .operatorResumes, .notPaused(.held)),
        (.intake, .operatorResumes, .notPaused(.intake)),
        (.canceling, .operatorPauses, .beingCanceled),
        (.canceling, .operatorResumes, .beingCanceled),
    ])
    func senselessOperatorActionsAreRefusedAndChangeNothing(
        phase: Phase, event: JobLifecycle.Event, refusal: JobLifecycle.Refusal
    ) {
        let (answer, after) = apply(event, in: phase)
        #expect(answer == .refused(refusal))
        #expect(after == phase)
    }

    @Test(arguments: [
        (Phase.pausedByOperator, JobLifecycle.Event.runStarts),
        (.pausedByOperator, .operatorPauses),
        (.pausedByOperator, .credentialsRefused),
        (.pausedByOperator, .rowsRead),
        (.canceling, .operatorCancels),
        (.canceling, .credentialsRefused),
        (.queued, .runStarts),
        (.held, .rowsFinished),
        (.intake, .rowsFinished),
    ])
    func eventsThatDoNotConcernThePhaseChangeNothing(phase: Phase, event: JobLifecycle.Event) {
        let (answer, after) = apply(event, in: phase)
        #expect(answer == .unchanged)
        #expect(after == phase)
    }

    /// Every event, for the properties that hold whatever the event.
    private static let everyEvent: [JobLifecycle.Event] = [
        .rowsRead, .fileUnreadable, .overSendLimit, .withinSendLimit, .credentialsRefused, .runStarts,
        .operatorPauses, .operatorResumes, .operatorCancels, .rowsFinished,
    ]

    @Test(arguments: [Phase.finished, .canceled, .rejected])
    func anEndedJobNeverMoves(phase: Phase) {
        for event in Self.everyEvent {
            let (answer, after) = apply(event, in: phase)
            #expect(after == phase)
            #expect(answer == (event.isOperatorAction ? .refused(.ended(phase)) : .unchanged), "\(event)")
        }
    }

    @Test func anOperatorsPauseHoldsOverRestartsAndTheAPIsDoesNot() {
        var byOperator = JobLifecycle(phase: .queued)
        _ = byOperator.handle(.operatorPauses)
        #expect(byOperator.handle(.runStarts) == .unchanged)
        #expect(byOperator.phase == .pausedByOperator)

        var byAPI = JobLifecycle(phase: .queued)
        _ = byAPI.handle(.credentialsRefused)
        #expect(byAPI.handle(.runStarts) == .moved(to: .queued, then: .send))
    }

    @Test func aJobCanceledWhileBeingReadCancelsItsRowsOnceRead() {
        var job = JobLifecycle(phase: .intake)
        #expect(job.handle(.operatorCancels) == .moved(to: .canceling, then: .none))
        #expect(job.handle(.rowsRead) == .moved(to: .canceling, then: .cancelUnsentRows))
        #expect(job.handle(.operatorResumes) == .refused(.beingCanceled))
        #expect(job.handle(.rowsFinished) == .moved(to: .canceled, then: .finishCanceled))
        #expect(job.handle(.operatorCancels) == .refused(.ended(.canceled)))
    }

    @Test(arguments: [
        (Phase.intake, JobLifecycle.FollowUp.readFile), (.queued, .send), (.held, .send),
        (.canceling, .cancelUnsentRows), (.pausedByAPI, .none), (.pausedByOperator, .none), (.finished, .none),
        (.canceled, .none), (.rejected, .none),
    ])
    func aRunnerFindingAJobDoesWhatItsPhaseWaitsFor(phase: Phase, work: JobLifecycle.FollowUp) {
        #expect(JobLifecycle.work(in: phase) == work)
    }

    @Test func refusalsSayWhatToDo() {
        #expect(JobLifecycle.Refusal.ended(.finished).description == "the job is already finished")
        #expect(JobLifecycle.Refusal.notPaused(.held).description.contains("run with a higher --max-sends"))
    }
}
