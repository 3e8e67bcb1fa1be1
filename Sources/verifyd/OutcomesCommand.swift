import ArgumentParser
import Dispatch
import Foundation
import Logging
import VerifyRunner

/// `verifyd outcomes [JOB_ID...] [--since 48h]`: asks the API which numbers of finished jobs came back with
/// the right code, records it per row and writes the jobs' report files again (see ``OutcomeCollector``).
///
/// Each job is asked through the provider it was read for. Exit status: 0 when every job was asked; 1 when
/// the API could not be asked about some job or row (what was learnt is kept; run it again).
struct OutcomesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outcomes", abstract: "Ask the API who verified, and add it to the jobs' reports.")

    @OptionGroup var spoolOptions: SpoolOptions
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var outcomeOptions: OutcomeOptions

    @Argument(help: "The jobs (default: every job finished within --since).")
    var jobIDs: [String] = []

    @Option(name: .long, help: "Without JOB_ID: the jobs finished within this window, e.g. 48h or 7d.")
    var since = "48h"

    @Option(
        name: .long,
        help:
            "Only jobs read for this provider; also the provider of older jobs that have none.")
    var provider: ProviderName?

    @Option(name: .long, help: "authy-v1: status questions in flight at most.")
    var concurrency = 16

    @Option(name: .long, help: "authy-v1: status questions per second at most (0 = no limit).")
    var rate: Double = 50

    @Option(name: .long, help: "Log lines as text (readable) or json (one object per line).")
    var logFormat: LogFormat = .text

    func validate() throws {
        guard DurationText.parse(since) != nil else {
            throw ValidationError("--since must be a whole number and s, m, h or d, e.g. 48h, not '\(since)'")
        }
        guard (1...10_000).contains(concurrency) else { throw ValidationError("--concurrency must be 1…10000") }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 (no limit) or more") }
    }

    func run() async throws {
        let logger = makeLogger(format: logFormat)
        // The store and the credential files are read on a Dispatch queue, never on the cooperative pool.
        let (store, groups) = try await onOwnThread { () throws -> (any OutcomeStore, [ProviderName: [JobRecord]]) in
            let store: any OutcomeStore = try spoolOptions.openStore(creating: false)
            try spoolOptions.prepareReportsFolder()
            return (store, try selectJobs(in: store))
        }
        guard !groups.isEmpty else { return print("no finished job to ask about") }
        var failed = false
        for (name, jobs) in groups.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let providerInstance = try connection.makeProvider(name)
            let transport = try connection.makeTransport(concurrency: concurrency + 2)
            defer { transport.shutdown() }
            let layout = spoolOptions.layout
            let collector = OutcomeCollector(
                store: store, provider: providerInstance, transport: transport,
                companion: providerInstance.makeCompanion(
                    transport: transport, timeout: connection.requestTimeout, metrics: nil),
                configuration: outcomeOptions.configuration(
                    concurrency: concurrency, rate: rate, timeout: connection.requestTimeout, maxTries: 5),
                logger: logger, reportDirectory: { layout.reportDirectory(jobID: $0) })
            let outcome = await withCheckedContinuation { continuation in
                collector.collect(jobs) { continuation.resume(returning: $0) }
            }
            switch outcome {
            case .success(let results):
                for result in results {
                    print(OutcomeText.line(for: result))
                    failed = failed || result.unanswered > 0
                }
            case .failure(let failure):
                print("verifyd: \(failure)")
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }

    /// The jobs to ask about, by provider; prints why a named job is not asked about.
    private func selectJobs(in store: any JobStoreReader) throws -> [ProviderName: [JobRecord]] {
        let all = try store.jobs()
        var chosen: [JobRecord]
        if jobIDs.isEmpty {
            let window = DurationText.parse(since) ?? .seconds(172_800)
            let earliest = Timestamp.nowSeconds() - Double(window.components.seconds)
            chosen = all.filter {
                $0.state == .finished
                    && ($0.finishedAt.flatMap(Timestamp.seconds(fromISO8601:)) ?? 0) >= earliest
            }
        } else {
            chosen = []
            for id in jobIDs {
                guard let job = all.first(where: { $0.id == id }) else { throw CommandFailure("no job \(id)") }
                guard job.state == .finished else {
                    print("job \(id): not finished (\(job.state.rawValue)); outcomes are asked for finished jobs")
                    continue
                }
                chosen.append(job)
            }
        }
        var groups: [ProviderName: [JobRecord]] = [:]
        for job in chosen {
            guard let name = job.provider ?? provider else {
                print("job \(job.id): the provider it was sent through is not recorded; give --provider")
                continue
            }
            if let provider, provider != name {
                if !jobIDs.isEmpty {
                    print("job \(job.id): read for \(name.rawValue), not --provider \(provider.rawValue)")
                }
                continue
            }
            groups[name, default: []].append(job)
        }
        return groups
    }
}

/// One-line summaries of collected outcomes, for `outcomes` and `run --follow-up`.
enum OutcomeText {
    /// e.g. `job 2026… list.csv: outcomes verified 300, not_verified 650, pending 0, unknown 50 — conversion 30 %`,
    /// then the report's path.
    static func line(for result: OutcomeCollector.JobResult) -> String {
        guard !result.counts.isEmpty else {
            return "job \(result.job.id) \(result.job.fileName.printable): no sent rows, no outcomes to ask about"
        }
        let counts = VerificationOutcome.allCases.map { "\($0.rawValue) \(result.counts[$0.rawValue] ?? 0)" }
        let sent = result.counts.values.reduce(0, +)
        let verified = result.counts[VerificationOutcome.verified.rawValue] ?? 0
        let rate = sent > 0 ? " — conversion \(((Double(verified) / Double(sent)) * 1000).rounded() / 10) %" : ""
        let unanswered = result.unanswered > 0 ? " (\(result.unanswered) rows could not be asked; run again)" : ""
        return "job \(result.job.id) \(result.job.fileName.printable): outcomes \(counts.joined(separator: ", "))"
            + rate + unanswered + "\n  report: \(result.reportDirectory)/report.csv"
    }
}
