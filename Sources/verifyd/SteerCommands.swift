import ArgumentParser
import Foundation
import VerifyRunner

/// What `pause`, `resume` and `cancel` share: the jobs, and writing each action into the store. The request goes
/// into the store and the command returns at once; runners of the store carry it out.
struct SteeringOptions: ParsableArguments {
    @OptionGroup var spoolOptions: SpoolOptions

    @Argument(help: ArgumentHelp("The jobs (ids as `status` lists them).", valueName: "job-id"))
    var jobIDs: [String]

    func validate() throws {
        guard !jobIDs.isEmpty else { throw ValidationError("name at least one job id") }
    }

    /// Asks `action` of every job, for the operator running the command, and says what became of each; fails
    /// naming every job that does not exist or refused the action, after trying them all.
    func steer(_ action: OperatorAction, reason: String?) throws {
        let store: any JobControlStore = try spoolOptions.openStore(creating: false)
        let user = OperatorName.current()
        var refused: [String] = []
        for jobID in jobIDs {
            do {
                let answer = try store.steer(
                    jobID: jobID, action, reason: reason, user: user,
                    requestedAt: Timestamp.iso8601(Timestamp.nowSeconds()))
                print("\(jobID): \(Self.said(answer, for: action))")
            } catch let refusal as JobActionRefused {
                refused.append(refusal.description)
            }
        }
        guard refused.isEmpty else { throw CommandFailure(refused.joined(separator: "\n")) }
    }

    /// What the command prints for a job that took the action.
    private static func said(_ answer: JobLifecycle.Answer, for action: OperatorAction) -> String {
        switch (answer, action) {
        case (.unchanged, .pause): "paused already"
        case (.unchanged, .cancel): "being canceled already"
        case (_, .pause): "paused; requests in the air finish, no new one leaves"
        case (_, .resume): "resumed"
        case (_, .cancel): "canceling; rows never sent end canceled, requests in the air finish"
        }
    }
}

/// `--reason`, for `pause` and `cancel`: why, in one line of at most ``longest`` characters.
struct ReasonOption: ParsableArguments {
    @Option(name: .long, help: "Why, for whoever looks at the job (one line).")
    var reason: String?

    /// The longest reason accepted, in characters.
    static let longest = 500

    func validate() throws {
        guard let reason else { return }
        guard !reason.contains(where: \.isNewline) else { throw ValidationError("--reason must be one line") }
        guard reason.count <= Self.longest else {
            throw ValidationError("--reason must be at most \(Self.longest) characters, not \(reason.count)")
        }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("--reason must not be empty")
        }
    }
}

/// `verifyd pause JOB_ID... [--reason TEXT]`: no new request leaves for the jobs until `resume`, whatever restarts.
struct PauseCommand: BlockingCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Pause jobs until resumed: no new request leaves for them.")

    @OptionGroup var steering: SteeringOptions
    @OptionGroup var why: ReasonOption

    func runBlocking() throws { try steering.steer(.pause, reason: why.reason) }
}

/// `verifyd resume JOB_ID...`: paused jobs go on.
struct ResumeCommand: BlockingCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume paused jobs.")

    @OptionGroup var steering: SteeringOptions

    func runBlocking() throws { try steering.steer(.resume, reason: nil) }
}

/// `verifyd cancel JOB_ID... [--reason TEXT]`: no row of the jobs is sent any more; rows never sent end `canceled`
/// and are listed in the report's `retry.csv`.
struct CancelCommand: BlockingCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel jobs: rows never sent end canceled, listed in retry.csv.")

    @OptionGroup var steering: SteeringOptions
    @OptionGroup var why: ReasonOption

    func runBlocking() throws { try steering.steer(.cancel, reason: why.reason) }
}
