/// The life of one job, as a pure value: what happens to the job in, the runner's next step out.
///
/// It does no I/O and reads no clock. The runner carries its follow-ups out, and the store keeps ``phase``
/// (who did what, when and why is the audit trail's, not the machine's). Operator actions (`verifyd pause`,
/// `resume`, `cancel`) are events like the others: one that makes no sense for the job is refused with the reason,
/// and changes nothing.
///
/// | phase | event | next phase | follow-up |
/// |---|---|---|---|
/// | intake | a runner finds it | intake | read the file |
/// | queued, held | a runner finds it | unchanged | send |
/// | canceling | a runner finds it | canceling | cancel unsent rows |
/// | intake | rows read | queued | send |
/// | intake | file unreadable | rejected | reject the file |
/// | queued, held | more starts than `--max-sends` | held | hold |
/// | queued, held | starts within the limit | queued | send |
/// | queued | credentials refused | paused by the API | stop sending |
/// | paused by the API | a run starts, operator resumes | queued | send |
/// | intake, queued, held, paused by the API | operator pauses | paused by an operator | stop sending |
/// | paused by an operator | operator resumes | queued | send |
/// | intake | operator pauses, operator cancels | paused by an operator, canceling | none until the rows are read |
/// | any other unfinished phase | operator cancels | canceling | cancel unsent rows |
/// | canceling | rows read | canceling | cancel unsent rows |
/// | queued, paused | every row final | finished | finish |
/// | canceling | every row final | canceled | finish canceled |
///
/// A pause by the operator holds over restarts; one by the API ends at the next run (the credentials may have been
/// fixed). Operator actions on a job still being read take effect once it is read: a paused job stays paused, a
/// canceled one cancels its rows.
public struct JobLifecycle: Sendable, Equatable {
    /// Where a job is in its life.
    public enum Phase: String, Sendable, Equatable, CaseIterable {
        /// Its file is being read into rows.
        case intake
        /// Rows are read; some still need a request.
        case queued
        /// It would start more verifications than `--max-sends` allows.
        case held
        /// The API refused the credentials; the next run tries again.
        case pausedByAPI
        /// An operator paused it; only `resume` frees it.
        case pausedByOperator
        /// An operator canceled it: no row is sent any more; rows in the air or in doubt still get their answer.
        case canceling
        /// Canceled: every row has its final status, the rows never sent are `canceled`.
        case canceled
        /// Every row has its final status.
        case finished
        /// Its file could not be read as a job.
        case rejected

        /// Whether the job's life is over.
        public var hasEnded: Bool { self == .canceled || self == .finished || self == .rejected }
    }

    /// What happens to a job.
    public enum Event: Sendable, Equatable {
        /// Intake read every row of its file.
        case rowsRead
        /// Its file cannot be read as a job.
        case fileUnreadable
        /// It would start more verifications than `--max-sends` allows.
        case overSendLimit
        /// It would start no more than `--max-sends` allows.
        case withinSendLimit
        /// The API refused the credentials.
        case credentialsRefused
        /// A run starts on the store.
        case runStarts
        /// An operator paused it (`verifyd pause`).
        case operatorPauses
        /// An operator resumed it (`verifyd resume`).
        case operatorResumes
        /// An operator canceled it (`verifyd cancel`).
        case operatorCancels
        /// Every row has its final status.
        case rowsFinished
    }

    /// What the runner does after an event.
    public enum FollowUp: Sendable, Equatable {
        /// Nothing.
        case none
        /// Read the job's file into rows.
        case readFile
        /// Send the job's rows (or go on sending them).
        case send
        /// Stop starting requests; those in the air finish and are recorded.
        case stopSending
        /// Hold the job until a run with a higher `--max-sends`.
        case hold
        /// Stop starting requests, end every row never sent `canceled`, and still settle rows in the air or in
        /// doubt (a look-up sends nothing).
        case cancelUnsentRows
        /// Write the report and move the file to `done/`.
        case finish
        /// Write the report, with `retry.csv` listing the canceled rows, and move the file to `done/`.
        case finishCanceled
        /// Move the file to `rejected/` with why.
        case rejectFile
    }

    /// Why an operator's action was refused.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// The job's life is over.
        case ended(Phase)
        /// Only a paused job can be resumed.
        case notPaused(Phase)
        /// A job being canceled cannot be paused or resumed.
        case beingCanceled

        /// One line for the operator.
        public var description: String {
            switch self {
            case .ended(let phase): return "the job is already \(phase.rawValue)"
            case .notPaused(.held):
                return "the job is not paused: it is held by --max-sends; run with a higher --max-sends"
            case .notPaused(let phase): return "the job is not paused (it is \(phase.rawValue))"
            case .beingCanceled: return "the job is being canceled"
            }
        }
    }

    /// What an event leads to.
    public enum Answer: Sendable, Equatable {
        /// The job moves to `phase` (maybe the same), and the runner carries out `followUp`.
        case moved(to: Phase, then: FollowUp)
        /// The event changes nothing.
        case unchanged
        /// An operator's action that makes no sense now; nothing changes.
        case refused(Refusal)
    }

    /// Where the job is.
    public private(set) var phase: Phase

    /// A job in `phase`.
    public init(phase: Phase) { self.phase = phase }

    /// What a runner does with a job it finds in `phase`: the follow-up that phase waits for. A job paused by the
    /// API waits for a run to start (``Event/runStarts``), one paused by an operator for `resume`.
    public static func work(in phase: Phase) -> FollowUp {
        switch phase {
        case .intake: return .readFile
        case .queued, .held: return .send
        case .canceling: return .cancelUnsentRows
        case .pausedByAPI, .pausedByOperator, .canceled, .finished, .rejected: return .none
        }
    }

    /// Applies `event`: the phase moves as the table in the type's comment says, and the answer says what the
    /// runner does next.
    public mutating func handle(_ event: Event) -> Answer {
        let answer = Self.answer(to: event, in: phase)
        if case .moved(let next, _) = answer { phase = next }
        return answer
    }

    /// The answer to `event` in `phase`.
    private static func answer(to event: Event, in phase: Phase) -> Answer {
        if phase.hasEnded { return event.isOperatorAction ? .refused(.ended(phase)) : .unchanged }
        switch (event, phase) {
        case (.operatorCancels, .canceling): return .unchanged
        case (.operatorCancels, _): return .moved(to: .canceling, then: phase == .intake ? .none : .cancelUnsentRows)
        case (.operatorPauses, .canceling), (.operatorResumes, .canceling): return .refused(.beingCanceled)
        case (.operatorPauses, .pausedByOperator): return .unchanged
        case (.operatorPauses, _): return .moved(to: .pausedByOperator, then: phase == .intake ? .none : .stopSending)
        case (.operatorResumes, .pausedByOperator), (.operatorResumes, .pausedByAPI):
            return .moved(to: .queued, then: .send)
        case (.operatorResumes, _): return .refused(.notPaused(phase))
        case (.rowsRead, .intake): return .moved(to: .queued, then: .send)
        case (.rowsRead, .canceling): return .moved(to: .canceling, then: .cancelUnsentRows)
        case (.fileUnreadable, .intake): return .moved(to: .rejected, then: .rejectFile)
        case (.overSendLimit, .queued), (.overSendLimit, .held): return .moved(to: .held, then: .hold)
        case (.withinSendLimit, .queued), (.withinSendLimit, .held): return .moved(to: .queued, then: .send)
        case (.credentialsRefused, .queued): return .moved(to: .pausedByAPI, then: .stopSending)
        case (.runStarts, .pausedByAPI): return .moved(to: .queued, then: .send)
        case (.rowsFinished, .queued), (.rowsFinished, .pausedByAPI), (.rowsFinished, .pausedByOperator):
            return .moved(to: .finished, then: .finish)
        case (.rowsFinished, .canceling): return .moved(to: .canceled, then: .finishCanceled)
        default: return .unchanged
        }
    }
}

extension JobLifecycle.Phase {
    /// The operator's action that puts a job in this phase, when only an operator does (`nil` for the others).
    public var operatorEvent: JobLifecycle.Event? {
        switch self {
        case .pausedByOperator: return .operatorPauses
        case .canceling: return .operatorCancels
        default: return nil
        }
    }
}

extension JobLifecycle.Event {
    /// Whether an operator asked for it (a command), rather than verifyd's own rules.
    public var isOperatorAction: Bool {
        self == .operatorPauses || self == .operatorResumes || self == .operatorCancels
    }
}
