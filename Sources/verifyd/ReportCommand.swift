import ArgumentParser
import VerifyRunner

/// `verifyd report JOB_ID`: (re)writes a job's report files from the store.
struct ReportCommand: BlockingCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write a job's report files again from the store.")

    @OptionGroup var spoolOptions: SpoolOptions

    @Argument(help: "The job.")
    var jobID: String

    func runBlocking() throws {
        let store: any JobStoreReader = try spoolOptions.openStore(creating: false)
        try spoolOptions.prepareReportsFolder()
        guard let job = try store.job(id: jobID) else { throw CommandFailure("no job \(jobID)") }
        let directory = spoolOptions.layout.reportDirectory(jobID: jobID)
        try ReportWriter(store: store).write(job: job, to: directory)
        print(directory + "/report.csv")
    }
}
