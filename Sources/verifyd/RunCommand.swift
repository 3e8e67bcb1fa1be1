import ArgumentParser
import Dispatch
import Foundation
import Logging
import Synchronization
import VerifyRunner

/// `verifyd run`: the daemon, or with `--once` the cron mode that drains the spool and exits.
struct RunCommand: BlockingCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Process the spool: claim files, send verifications, write reports.")

    @OptionGroup var spoolOptions: SpoolOptions
    @OptionGroup var providerOptions: ProviderOptions
    @OptionGroup var outcomeOptions: OutcomeOptions

    @Flag(name: .long, help: "Drain everything in the spool (resumed work included), then exit.")
    var once = false

    @Option(name: .long, help: "Requests in flight at most.")
    var concurrency = 32

    @Option(name: .long, help: "Requests per second at most (0 = no limit).")
    var rate: Double = 50

    @Option(name: .long, help: "Requests per row at most before it ends failed.")
    var maxAttempts = 5

    @Option(name: .long, help: "Channel for rows without a via column: sms or call.")
    var via: Channel = .sms

    @Option(name: .long, help: "Message language for rows without a locale column, e.g. es.")
    var locale: String?

    @Option(name: .long, help: "Requests whose fate is unknown: check, resend or report.")
    var inDoubt: InDoubtPolicy = .check

    @Option(
        name: .long,
        help: "verify-v2: how long after an in-doubt request could last have left its attempt is surely listed.")
    var inDoubtMargin = "60s"

    @Option(name: .long, help: "Collect a job's outcomes this long after it finished, e.g. 30m (default: never).")
    var followUp: String?

    @Option(
        name: .long,
        help: "How long after a row's first request it may still be retried, e.g. 90s or 10m (a code lives 10m).")
    var retryWindow = "10m"

    @Flag(name: .long, help: "Read, normalize and report every job, but send nothing (rows end would_send).")
    var dryRun = false

    @Option(
        name: .long,
        help: "Hold a job that would send more than N verifications until a run with a higher limit.")
    var maxSends: Int?

    @Option(
        name: .long,
        help: "After SIGTERM or SIGINT, seconds that requests in flight may take before they are abandoned.")
    var shutdownGrace: Double = 10

    @Option(name: .long, help: "Skip (status skipped) a number any job sent successfully within this window, e.g. 24h.")
    var cooldown: String?

    @Option(
        name: .long,
        help: "Send only to numbers of these regions (ISO 3166-1 codes, e.g. US,CA); the others end skipped.")
    var countries: String?

    @Option(name: .long, help: "Never send to numbers of these regions (e.g. RU,BY); they end skipped.")
    var excludeCountries: String?

    @Option(
        name: .long,
        help: """
            Start verifications only while the recipient's local time is inside HH:MM-HH:MM (e.g. 09:00-20:00; \
            21:00-07:00 wraps midnight); other rows wait for their window.
            """)
    var sendWindow: String?

    @Option(
        name: .long,
        help: "Claim a file in incoming/ only once it has been unchanged this long (for writers that do not rename).")
    var settle = "1s"

    @Option(name: .long, help: "Reject job files larger than this many bytes (K, M or G suffix allowed).")
    var maxFileSize = "1G"

    @Flag(name: .long, help: "Write phone numbers in full in the log instead of masked (+1202*****89).")
    var logNumbers = false

    @Option(name: .long, help: "Log lines as text (readable) or json (one object per line).")
    var logFormat: LogFormat = .text

    @Option(
        name: .long,
        help: "Without a terminal on stdout, log a progress line this often, e.g. 30s (0s: never).")
    var progressEvery = "10s"

    @Option(
        name: .long,
        help:
            "Write the metrics (Prometheus text format) to this file every 5 seconds and at exit, e.g. for node_exporter."
    )
    var metricsFile: String?

    @Option(
        name: .long,
        help:
            "Serve the metrics at http://HOST:N/metrics and a live page of the jobs at http://HOST:N/ while running (0: any free port)."
    )
    var metricsPort: Int?

    @Option(name: .long, help: "The address --metrics-port listens on.")
    var metricsHost = "127.0.0.1"

    @Option(
        name: .long,
        help: """
            With a PostgreSQL --db: how long this runner keeps its rows without telling the database it is alive; \
            at least 1s longer than --timeout.
            """)
    var lease = "30s"

    func validate() throws {
        guard let lease = DurationText.parse(lease), lease >= .seconds(2) else {
            throw ValidationError(
                "--lease must be a whole number and s, m, h or d, at least 2s, e.g. 30s, not '\(self.lease)'")
        }
        if PostgresAddress.isPostgres(spoolOptions.db ?? ""),
            lease < providerOptions.connection.requestTimeout + .seconds(1)
        {
            throw ValidationError(
                """
                --lease (\(self.lease)) must be at least 1s longer than --timeout: a runner's requests leave only \
                within the lease minus --timeout of its last renewal, so that they are over when its lease is
                """)
        }
        guard let margin = DurationText.parse(inDoubtMargin), margin >= .seconds(1) else {
            throw ValidationError("--in-doubt-margin must be a whole number and s, m, h or d, at least 1s, e.g. 60s")
        }
        if let followUp, DurationText.parse(followUp) == nil {
            throw ValidationError("--follow-up must be a whole number and s, m, h or d, e.g. 30m, not '\(followUp)'")
        }
        do {
            _ = try countryPolicy()
        } catch {
            throw ValidationError(error.description)
        }
        do {
            _ = try sendWindowValue()
        } catch {
            throw ValidationError(error.description)
        }
        if let cooldown, DurationText.parse(cooldown) == nil {
            throw ValidationError("--cooldown must be a whole number and s, m, h or d, e.g. 24h, not '\(cooldown)'")
        }
        guard DurationText.parse(progressEvery) != nil else {
            throw ValidationError(
                "--progress-every must be a whole number and s, m, h or d, e.g. 30s, not '\(progressEvery)'")
        }
        if let metricsPort, !(0...65535).contains(metricsPort) {
            throw ValidationError("--metrics-port must be 0…65535")
        }
        if let metricsFile, metricsFile.isEmpty || metricsFile.hasSuffix("/") {
            throw ValidationError("--metrics-file must name a file, e.g. /var/lib/node_exporter/verifyd.prom")
        }
        guard DurationText.parse(settle) != nil else {
            throw ValidationError("--settle must be a whole number and s, m, h or d, e.g. 1s, not '\(settle)'")
        }
        guard let bytes = Self.byteCount(maxFileSize), bytes > 0 else {
            throw ValidationError("--max-file-size must be a number of bytes, optionally with K, M or G, e.g. 500M")
        }
        guard (1...10_000).contains(concurrency) else { throw ValidationError("--concurrency must be 1…10000") }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 (no limit) or more") }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be 1…100") }
        if let maxSends, maxSends < 0 { throw ValidationError("--max-sends must be 0 or more") }
        guard DurationText.parse(retryWindow) != nil else {
            throw ValidationError(
                "--retry-window must be a whole number and s, m, h or d, e.g. 10m, not '\(retryWindow)'")
        }
        guard shutdownGrace >= 0, shutdownGrace <= 3600 else {
            throw ValidationError("--shutdown-grace must be 0…3600")
        }
        if let locale, locale.isEmpty || locale.count > 16 {
            throw ValidationError("--locale looks wrong: '\(locale)'")
        }
    }

    /// `text` as bytes: digits, optionally followed by K, M or G (powers of 1024).
    static func byteCount(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        guard let last = text.uppercased().last else { return nil }
        let (digits, unit) = units[last].map { (text.dropLast(), $0) } ?? (Substring(text), 1)
        guard let value = Int(digits), value >= 0 else { return nil }
        let (total, overflow) = value.multipliedReportingOverflow(by: unit)
        return overflow ? nil : total
    }

    func runBlocking() throws {
        do {
            try runSpool()
        } catch let error where logFormat == .json && !(error is ExitCode) {
            // The last word of a failed run is a log line too, so every line on stderr stays JSON.
            makeLogger(format: .json).critical("\(error)")
            throw ExitCode.failure
        }
    }

    private func runSpool() throws {
        // A file-size limit (ulimit -f) then fails the write, which is reported like a full disk,
        // instead of killing the process in the middle of a commit.
        signal(SIGXFSZ, SIG_IGN)
        let startedAt = Timestamp.nowSeconds()
        let logger = makeLogger(format: logFormat)
        // Watched from the start, so a signal while the run starts up (the spool's lock taken, the store
        // opening) is a graceful stop too, not the default action's death.
        let stopSwitch = StopSwitch()
        let signals = SignalWatcher(
            logger: logger, stopping: "requests in flight get --shutdown-grace",
            aborting: "rows in flight are in doubt for the next run"
        ) {
            stopSwitch.flip()
        }
        defer { signals.cancel() }
        let provider = try providerOptions.makeProvider(requireCredentials: !dryRun)
        try spoolOptions.layout.prepare()
        let lock = try SpoolLock(spool: spoolOptions.layout)
        defer { withExtendedLifetime(lock) {} }
        let store = try spoolOptions.openStore(creating: true)
        // Follow-ups (V1 status questions) take a quarter of --concurrency and of --rate beside the sending, and
        // two more connections serve listings of the Verification Attempts API: a start never waits for a
        // connection.
        let followUpConcurrency = max(1, concurrency / 4)
        let transport = try providerOptions.connection.makeTransport(
            concurrency: concurrency + followUpConcurrency + 2)
        defer { transport.shutdown() }
        let timeout = providerOptions.connection.requestTimeout
        let configuration = SpoolRunner.Configuration(
            spool: spoolOptions.layout, providerName: providerOptions.provider,
            intake: JobIntake.Configuration(
                defaultChannel: via, defaultLocale: locale, maxFileSize: Self.byteCount(maxFileSize) ?? 1 << 30,
                countryPolicy: try countryPolicy()),
            scheduler: JobScheduler.Configuration(
                concurrency: concurrency, rate: rate, maxAttempts: maxAttempts, inDoubt: inDoubt,
                timeout: timeout, retryWindow: DurationText.parse(retryWindow) ?? .seconds(600), logNumbers: logNumbers,
                inDoubtMargin: DurationText.parse(inDoubtMargin) ?? .seconds(60),
                sendLimitWait: DurationText.parse(outcomeOptions.codeLifetime) ?? .seconds(600),
                sendWindow: try sendWindowValue(), sendWindowClockOffset: Self.sendWindowClockOffset),
            once: once, dryRun: dryRun, maxSends: maxSends, settle: DurationText.parse(settle) ?? .seconds(1),
            cooldown: cooldown, followUp: followUp.flatMap(DurationText.parse),
            outcomes: outcomeOptions.configuration(
                concurrency: followUpConcurrency, rate: rate / 4, timeout: timeout, maxTries: maxAttempts),
            lease: DurationText.parse(lease) ?? .seconds(30))
        let metrics = RunMetrics(
            provider: providerOptions.provider, startedAt: startedAt,
            lastSuccess: metricsFile.flatMap(MetricsFileWriter.lastSuccess(inFileAt:)))
        let metricsWriter = try metricsFile.map { path in
            do {
                return try MetricsFileWriter(path: path, metrics: metrics, interval: .seconds(5), logger: logger)
            } catch {
                throw CommandFailure("cannot write --metrics-file: \(error)")
            }
        }
        // Deferred before the run: the last write comes after the run and its summary, so it has them all.
        defer { metricsWriter?.stop() }
        // The live page reads the jobs as `status` does, on a connection of its own: the run's commits never wait
        // for it.
        let spoolOptions = spoolOptions
        let jobs = JobStatusReader(spool: spoolOptions.layout) { try spoolOptions.openStore(creating: false) }
        let endpoint = try metricsPort.map {
            try MetricsEndpoint(host: metricsHost, port: $0, metrics: metrics, jobs: jobs)
        }
        defer { endpoint?.shutdown() }
        if let endpoint {
            let origin = "http://\(metricsHost.contains(":") ? "[\(metricsHost)]" : metricsHost):\(endpoint.port)"
            logger.info(
                "serving metrics and the live page", metadata: ["url": "\(origin)/metrics", "page": "\(origin)/"])
        }
        let runner = SpoolRunner(
            configuration: configuration, store: store, provider: provider, transport: transport, logger: logger,
            metrics: metrics)
        let progress = makeProgressReporter(metrics: metrics, logger: logger)
        // The first signal stops taking rows; requests in flight get --shutdown-grace seconds to be
        // answered and recorded. After that the transport is shut down: what is still in the air ends as
        // a transport failure, and those rows stay in flight in the store, in doubt for the next run.
        let grace = shutdownGrace
        defer { stopSwitch.disconnect() }
        stopSwitch.connect {
            runner.stop()
            DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
                let abandoned = transport.inFlightCount
                if abandoned > 0 {
                    logger.warning(
                        "shutdown grace is over: abandoning the requests still in flight (in doubt, resolved by --in-doubt on the next run)",
                        metadata: ["requests": "\(abandoned)"])
                }
                transport.shutdown()
            }
        }
        let result: SpoolRunner.Result
        do {
            result = try runner.run()
            progress?.stop()
        } catch let error as any StoreError {
            progress?.stop()
            throw CommandFailure(Self.storeFailureMessage(store.location, "\(error)"))
        }
        if result.succeeded, once { metrics.succeeded(at: Timestamp.nowSeconds()) }
        printSummary(result, spool: spoolOptions.layout, store: store)
        if let reason = result.pauseReason {
            throw CommandFailure("job paused: \(reason). Fix the cause (e.g. the credentials) and run again.")
        }
        if let failure = result.storeFailure { throw CommandFailure(Self.storeFailureMessage(store.location, failure)) }
    }

    /// A line redrawn on stdout when it is a terminal; else a log line every `--progress-every`.
    private func makeProgressReporter(metrics: RunMetrics, logger: Logger) -> ProgressReporter? {
        if isatty(STDOUT_FILENO) == 1 {
            return ProgressReporter(metrics: metrics, output: .terminal(STDOUT_FILENO), interval: .milliseconds(500))
        }
        guard let interval = DurationText.parse(progressEvery), interval > .zero else { return nil }
        return ProgressReporter(metrics: metrics, output: .log(logger), interval: interval)
    }

    /// `--send-window`, read; `nil` without one.
    private func sendWindowValue() throws(SendWindowError) -> SendWindow? {
        guard let sendWindow else { return nil }
        return try SendWindow(parsing: sendWindow)
    }

    /// Seconds added to the time `--send-window` is judged at, from `VERIFYD_SEND_WINDOW_CLOCK_OFFSET`: for tests
    /// only, which reach a window's edge without waiting for it (README, "Send windows"). 0 when unset.
    private static var sendWindowClockOffset: Double {
        ProcessInfo.processInfo.environment["VERIFYD_SEND_WINDOW_CLOCK_OFFSET"].flatMap(Double.init) ?? 0
    }

    /// `--countries` and `--exclude-countries` as a policy.
    private func countryPolicy() throws(CountryPolicyError) -> CountryPolicy {
        try CountryPolicy(countries: countries, excludedCountries: excludeCountries)
    }

    /// What to tell the operator when the store cannot be written mid-run (disk full, read-only…).
    static func storeFailureMessage(_ path: String, _ failure: String) -> String {
        "stopped: the state store \(path) cannot be written: \(failure). What was committed before is intact "
            + "(no row lost, none sent twice); fix the cause and run again: the jobs resume where they stopped."
    }

    private func printSummary(_ result: SpoolRunner.Result, spool: Spool, store: any JobStoreReader) {
        for job in result.finishedJobs {
            let counts = (try? store.statusCounts(jobID: job.id)) ?? [:]
            print(JobSummaryText.line(for: job, counts: counts))
            print("  report: \(spool.reportDirectory(jobID: job.id))/report.csv")
        }
        for rejected in result.rejectedFiles {
            print("job \(rejected.jobID) \(rejected.fileName.printable): rejected — \(rejected.reason)")
        }
        for held in result.heldJobs {
            print("job \(held.jobID) \(held.fileName.printable): held — \(held.reason)")
        }
        for job in result.leftAloneJobs {
            print(
                "job \(job.jobID) \(job.fileName.printable): left alone — read for \(job.provider.rawValue); "
                    + "run with --provider \(job.provider.rawValue) to send it")
        }
        for followed in result.followedUp { print(OutcomeText.line(for: followed)) }
        for waiting in result.windowWaits {
            print(
                "job \(waiting.jobID) \(waiting.fileName.printable): \(waiting.rows) rows wait for --send-window "
                    + "\(sendWindow ?? ""); the next window opens at \(Timestamp.iso8601(waiting.opensAt)) "
                    + "(the job goes on in the next run)")
        }
        if result.finishedJobs.isEmpty, result.rejectedFiles.isEmpty, result.heldJobs.isEmpty,
            result.leftAloneJobs.isEmpty, result.followedUp.isEmpty, result.windowWaits.isEmpty, result.succeeded
        {
            print("nothing to do: no job files in \(spool.incoming) and no unfinished jobs")
        }
    }
}

/// Turns the first SIGTERM or SIGINT into a graceful stop and the second into an immediate exit.
///
/// The immediate exit is `_exit(130)`: no atexit handlers or C++ static destructors run while other
/// threads still work. The store stays consistent as after a kill -9 (WAL, synchronous=FULL): rows
/// in flight stay marked in flight and are in doubt on the next run.
///
/// The signals are caught by a handler of our own that writes each one's number into a pipe, which a Dispatch
/// source reads (the self-pipe way). A Dispatch signal source would lose some: on Linux it reads a signalfd and
/// installs a handler that does nothing, and under `async` main the main thread waits in `sigsuspend` with no
/// signal blocked, so a signal the kernel hands to that thread runs the empty handler and never reaches the source.
final class SignalWatcher: @unchecked Sendable {
    // @unchecked: `source` is set once in init; Dispatch sources are thread-safe.
    private let source: any DispatchSourceRead

    /// Starts watching; `onFirstSignal` runs on a Dispatch queue. Both signals are logged through
    /// `logger` (so `--log-format json` keeps every line JSON): the first with `stopping`, what the stop does,
    /// the second with `aborting`, what the abort leaves behind.
    init(logger: Logger, stopping: String, aborting: String, onFirstSignal: @escaping @Sendable () -> Void) {
        var ends: [Int32] = [-1, -1]
        if Glibc.pipe(&ends) == 0 {
            for end in ends {
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            }
        }
        signalPipeWriteEnd.store(ends[1], ordering: .sequentiallyConsistent)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { number in
            let saved = errno
            var byte = UInt8(truncatingIfNeeded: number)
            _ = write(signalPipeWriteEnd.load(ordering: .relaxed), &byte, 1)
            errno = saved
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for number in [SIGTERM, SIGINT] { sigaction(number, &action, nil) }
        let seen = SignalCounter()
        let readEnd = ends[0]
        source = DispatchSource.makeReadSource(fileDescriptor: readEnd, queue: DispatchQueue(label: "verifyd.signals"))
        source.setEventHandler {
            // Signals that arrive together are read together: each is one byte.
            var bytes = [UInt8](repeating: 0, count: 64)
            let count = read(readEnd, &bytes, bytes.count)
            guard count > 0 else { return }
            let (before, after) = seen.add(count)
            if after > 1 {
                logger.critical("second signal: aborting now; \(aborting)")
                _exit(130)
            }
            if before == 0 {
                logger.notice("stopping: \(stopping); signal again to abort")
                onFirstSignal()
            }
        }
        source.resume()
    }

    /// Stops watching: the signals take their default action again. The pipe stays open until the process ends: a
    /// handler already running may still write to it, and a closed descriptor's number could by then name a file.
    func cancel() {
        for number in [SIGTERM, SIGINT] { signal(number, SIG_DFL) }
        source.cancel()
    }
}

/// The write end of the pipe ``SignalWatcher``'s handler writes each signal into (-1 before a watcher exists): a
/// signal handler can reach only global state, and only async-signal-safe calls such as `write`.
private let signalPipeWriteEnd = Atomic<Int32>(-1)

/// What the first signal stops: the run once it is connected; a signal that comes before is kept and carried
/// out when it is.
final class StopSwitch: Sendable {
    private let state = Mutex<(flipped: Bool, stop: (@Sendable () -> Void)?)>((false, nil))

    /// The signal came: stops the run, now or once it is connected.
    func flip() {
        let stop = state.withLock { state in
            state.flipped = true
            return state.stop
        }
        stop?()
    }

    /// Connects the run's stop; carried out at once if the signal already came.
    func connect(_ stop: @escaping @Sendable () -> Void) {
        let flipped = state.withLock { state in
            state.stop = stop
            return state.flipped
        }
        if flipped { stop() }
    }

    /// Drops the run's stop, and with it what the stop holds (the runner, its store and transport), on the calling
    /// thread: the signal watcher's handler keeps this switch until its source is released on a Dispatch thread,
    /// and the run's objects must not be torn down there while the process exits (libcurl's and OpenSSL's
    /// clean-ups would run beside the exit handlers).
    func disconnect() {
        let stop = state.withLock { state in
            defer { state.stop = nil }
            return state.stop
        }
        withExtendedLifetime(stop) {}
    }
}

/// Counts signals; only touched on the signal queue.
private final class SignalCounter: @unchecked Sendable {
    // @unchecked: used only from the serial "verifyd.signals" queue.
    private var count = 0

    /// Adds `signals` and returns the count before and after.
    func add(_ signals: Int) -> (before: Int, after: Int) {
        let before = count
        count += max(1, signals)
        return (before, count)
    }
}
