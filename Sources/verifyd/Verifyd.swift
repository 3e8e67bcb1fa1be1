import ArgumentParser

/// `verifyd`: the batch phone-verification job runner (docs/contract.md, "Commands"). Parses, wires, runs; no
/// business logic lives here.
@main
struct Verifyd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verifyd",
        abstract: "Batch phone-verification job runner: spool in, verifications out, a report per job.",
        version: "0.1.0",
        subcommands: [
            RunCommand.self, SubmitCommand.self, StatusCommand.self, ReportCommand.self, OutcomesCommand.self,
            CheckCommand.self, RunnersCommand.self, PauseCommand.self, ResumeCommand.self, CancelCommand.self,
            SandboxCommand.self,
        ])
}
