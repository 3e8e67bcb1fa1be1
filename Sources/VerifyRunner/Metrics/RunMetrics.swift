import Dispatch
public import Prometheus
import Synchronization

/// The run's live numbers: Prometheus metrics for `--metrics-file` and `--metrics-port`, and the
/// progress of the job being sent, for the progress line and the periodic log line.
///
/// Thread-safe: the scheduler's queue, the answer queue and the runner all report into it; the
/// Prometheus collectors are atomics, the progress is behind a mutex.
public final class RunMetrics: Sendable {
    /// Where the job being sent stands.
    public struct Progress: Sendable, Equatable {
        /// The job.
        public var jobID: String
        /// Its input file's name.
        public var fileName: String
        /// Its data rows.
        public var totalRows: Int
        /// Rows with a final status.
        public var doneRows: Int
        /// Requests in the air.
        public var inFlight: Int
        /// Retries sent in this run.
        public var retries: Int

        /// Creates a progress.
        public init(jobID: String, fileName: String, totalRows: Int, doneRows: Int, inFlight: Int = 0, retries: Int = 0)
        {
            self.jobID = jobID
            self.fileName = fileName
            self.totalRows = totalRows
            self.doneRows = doneRows
            self.inFlight = inFlight
            self.retries = retries
        }
    }

    /// The metrics, in the Prometheus text format through ``exposition()``.
    public let registry = PrometheusCollectorRegistry()
    private let provider: String
    private let inFlightGauge: Gauge
    private let retries: Counter
    private let rateLimitWaits: Counter
    private let rateLimitWaitSeconds: Counter
    private let latency: DurationHistogram
    private let jobRowsTotal: Gauge
    private let jobRowsDone: Gauge
    private let lastSuccess: Gauge
    private let leasesLost: Counter
    /// `verifyd_rows_total` by status, made up front: read without a lock for every finished row.
    private let rowCounters: [String: Counter]
    /// `verifyd_requests_total` by outcome and HTTP status, made at their first use.
    private let requestCounters = Mutex<[RequestKey: Counter]>([:])
    private let progressState = Mutex<Progress?>(nil)

    /// The labels of one `verifyd_requests_total` series besides the provider.
    private struct RequestKey: Hashable {
        let outcome: String
        let httpStatus: Int?
    }

    /// The buckets of the request latency histogram.
    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
    ]

    /// Creates the metrics of a run through `provider`.
    ///
    /// - Parameter lastSuccess: the last successful run's time (seconds since 1970) that an earlier
    ///   process wrote into the metrics file, carried on until this run succeeds.
    public init(provider: ProviderName, startedAt: Double, lastSuccess lastSuccessTime: Double? = nil) {
        self.provider = provider.rawValue
        inFlightGauge = registry.makeGauge(descriptor: Self.name("requests_in_flight", nil, "Requests in the air."))
        retries = registry.makeCounter(
            descriptor: Self.name("retries", "total", "Requests that were retries of an earlier attempt."))
        rateLimitWaits = registry.makeCounter(
            descriptor: Self.name("rate_limit_waits", "total", "Times sending waited for the --rate token bucket."))
        rateLimitWaitSeconds = registry.makeCounter(
            descriptor: Self.name("rate_limit_wait_seconds", "total", "Time sending waited for the token bucket."))
        latency = registry.makeDurationHistogram(
            descriptor: Self.name("request_duration", "seconds", "Time from a request's start to its answer."),
            labels: [("provider", provider.rawValue)], buckets: Self.latencyBuckets)
        jobRowsTotal = registry.makeGauge(
            descriptor: Self.name("job_rows", nil, "Rows of the job being sent (0 when idle)."))
        jobRowsDone = registry.makeGauge(
            descriptor: Self.name("job_rows_done", nil, "Rows of the job being sent that have a final status."))
        lastSuccess = registry.makeGauge(
            descriptor: Self.name("last_success_timestamp", "seconds", "When a run last ended well or a job finished."))
        leasesLost = registry.makeCounter(
            descriptor: Self.name(
                "leases_lost", "total", "Times another runner of the shared store found this one gone (its rows lost).")
        )
        registry.makeGauge(descriptor: Self.name("run_start_timestamp", "seconds", "When this process started."))
            .set(startedAt)
        if let lastSuccessTime { lastSuccess.set(lastSuccessTime) }
        var rowCounters: [String: Counter] = [:]
        for status in RowStatus.allCases.map(\.rawValue) {
            rowCounters[status] = registry.makeCounter(
                descriptor: Self.name("rows", "total", "Rows that reached a final status in this process, by status."),
                labels: [("status", status)])
        }
        self.rowCounters = rowCounters
    }

    private static func name(_ metric: String, _ unit: String?, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "verifyd", metricName: metric, unitName: unit ?? "", helpText: help)
    }

    // MARK: Reports from the scheduler

    /// A request got its answer (or its transfer failed) after `duration`.
    ///
    /// - Parameters:
    ///   - outcome: what it meant, e.g. `sent`, `rejected`, `rate_limited`, `no_answer` (``outcome(of:)``).
    ///   - httpStatus: the answer's status, `nil` when none arrived.
    public func requestAnswered(outcome: String, httpStatus: Int?, duration: Duration) {
        let key = RequestKey(outcome: outcome, httpStatus: httpStatus)
        let counter = requestCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.name("requests", "total", "Answered requests by provider, outcome and HTTP status."),
                labels: [
                    ("provider", provider), ("outcome", outcome),
                    ("http_status", httpStatus.map(String.init) ?? "none"),
                ])
            counters[key] = counter
            return counter
        }
        counter.increment()
        latency.record(duration)
    }

    /// The metric label for what an answer meant.
    public static func outcome(of verdict: ProviderResult.Verdict) -> String {
        switch verdict {
        case .sent: "sent"
        case .approved: "approved"
        case .denied: "denied"
        case .rejectedNumber: "rejected"
        case .failedPermanently: "failed"
        case .fatalForJob: "fatal"
        case .rateLimited: "rate_limited"
        case .numberLimited: "number_limited"
        case .retryable(_, let mayHaveBeenProcessed): mayHaveBeenProcessed ? "in_doubt" : "retryable"
        }
    }

    /// The number of requests in the air changed.
    public func inFlightChanged(to count: Int) {
        inFlightGauge.set(Double(count))
        progressState.withLock { $0?.inFlight = count }
    }

    /// A retry left.
    public func retried() {
        retries.increment()
        progressState.withLock { $0?.retries += 1 }
    }

    /// Sending waited `seconds` for the token bucket.
    public func rateLimitWaited(seconds: Double) {
        rateLimitWaits.increment()
        rateLimitWaitSeconds.increment(by: seconds)
    }

    /// One row reached the final status `status`.
    public func rowFinished(_ status: String) {
        rowsFinished(status, count: 1)
    }

    /// Rows reached final statuses: `counts` by status (`unfinished` is ignored).
    public func rowsFinished(_ counts: [String: Int]) {
        for (status, rows) in counts where rows > 0 && status != "unfinished" { rowsFinished(status, count: rows) }
    }

    private func rowsFinished(_ status: String, count: Int) {
        rowCounters[status]?.increment(by: Int64(count))
        progressState.withLock { $0?.doneRows += count }
    }

    // MARK: Reports from the runner

    /// A job starts sending; `doneRows` of its `totalRows` already have a final status.
    public func jobStarted(id: String, fileName: String, totalRows: Int, doneRows: Int) {
        progressState.withLock {
            $0 = Progress(jobID: id, fileName: fileName, totalRows: totalRows, doneRows: doneRows)
        }
    }

    /// `rows` of job `jobID` had a final status before it started sending (counted after the start).
    public func rowsDoneBefore(_ rows: Int, jobID: String) {
        progressState.withLock { progress in
            guard let current = progress, current.jobID == jobID else { return }
            progress?.doneRows = min(current.totalRows, current.doneRows + rows)
        }
    }

    /// The job being sent stopped being sent (finished, paused, stopped).
    public func jobEnded() {
        progressState.withLock { $0 = nil }
    }

    /// A job ended: `outcome` is `finished`, `rejected`, `held` or `paused`.
    public func jobCompleted(_ outcome: String) {
        registry.makeCounter(
            descriptor: Self.name("jobs", "total", "Jobs that ended in this process, by how they ended."),
            labels: [("outcome", outcome)]
        ).increment()
    }

    /// Another runner of the shared store found this one gone: the rows it held were lost to it.
    public func leaseLost() {
        leasesLost.increment()
    }

    /// The run, or a job in daemon mode, ended well at `time` (seconds since 1970).
    public func succeeded(at time: Double) {
        lastSuccess.set(time)
    }

    /// Where the job being sent stands, or `nil` when none is.
    public var progress: Progress? { progressState.withLock { $0 } }

    /// The metrics in the Prometheus text format (version 0.0.4).
    public func exposition() -> [UInt8] {
        let progress = self.progress
        jobRowsTotal.set(Double(progress?.totalRows ?? 0))
        jobRowsDone.set(Double(progress?.doneRows ?? 0))
        return registry.emitToBuffer()
    }

    /// The value of `verifyd_last_success_timestamp_seconds` in an earlier exposition, if any.
    public static func lastSuccess(inExposition text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix("verifyd_last_success_timestamp_seconds ") {
            if let value = Double(line.split(separator: " ").last ?? ""), value > 0 { return value }
        }
        return nil
    }
}
