/// What an operator may ask of a job from the command line (`verifyd pause`, `resume`, `cancel`).
public enum OperatorAction: String, Sendable, Equatable, CaseIterable {
    /// No new request leaves for the job until `resume`.
    case pause
    /// A paused job goes on.
    case resume
    /// No row is sent any more; the rows never sent end `canceled`.
    case cancel

    /// The event this action is for the job's life.
    public var event: JobLifecycle.Event {
        switch self {
        case .pause: .operatorPauses
        case .resume: .operatorResumes
        case .cancel: .operatorCancels
        }
    }
}

/// One control action as the store records it: who asked what of which job, when and why, and which runner
/// carried it out, when (both `nil` until one has).
public struct JobAction: Sendable, Equatable {
    /// The job.
    public var jobID: String
    /// What was asked.
    public var action: OperatorAction
    /// Why, as the operator said (`--reason`).
    public var reason: String?
    /// The login name of the operator.
    public var user: String
    /// When it was asked (ISO 8601, UTC).
    public var requestedAt: String
    /// When a runner carried it out (ISO 8601, UTC).
    public var carriedOutAt: String?
    /// The runner that carried it out.
    public var carriedOutBy: String?

    /// A recorded action.
    public init(
        jobID: String, action: OperatorAction, reason: String?, user: String, requestedAt: String,
        carriedOutAt: String? = nil, carriedOutBy: String? = nil
    ) {
        self.jobID = jobID
        self.action = action
        self.reason = reason
        self.user = user
        self.requestedAt = requestedAt
        self.carriedOutAt = carriedOutAt
        self.carriedOutBy = carriedOutBy
    }
}

/// An operator's action the job's life refuses (``JobLifecycle/Refusal``), or a job that does not exist.
public enum JobActionRefused: Error, Equatable, CustomStringConvertible {
    /// No job has that id.
    case noSuchJob(String)
    /// The job's life refuses the action.
    case refused(jobID: String, JobLifecycle.Refusal)

    /// `JOB_ID: why`.
    public var description: String {
        switch self {
        case .noSuchJob(let id): return "\(id): no such job"
        case .refused(let id, let refusal): return "\(id): \(refusal)"
        }
    }
}
