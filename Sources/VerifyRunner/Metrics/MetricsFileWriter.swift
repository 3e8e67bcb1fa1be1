import Dispatch
import Foundation
public import Logging

/// `--metrics-file PATH`: the metrics rewritten every few seconds and once more at exit, each time
/// under a temporary name renamed into place, so node_exporter's textfile collector (which reads only
/// `*.prom`) never sees half a file. Mode 0644: the collector runs as another user.
///
/// A write that fails is logged once and tried again at the next tick; metrics never stop a job.
public final class MetricsFileWriter: @unchecked Sendable {
    // @unchecked: `failing` is touched only on `queue`; `timer` is set in init.
    private let path: String
    private let metrics: RunMetrics
    private let logger: Logger
    private let queue = DispatchQueue(label: "verifyd.metrics-file")
    private var timer: (any DispatchSourceTimer)?
    private var failing = false

    /// Writes the file now, then every `interval` until ``stop()``.
    ///
    /// - Throws: ``FileWriteError`` when the first write fails (a folder that does not exist, no right
    ///   to write there): a mistake in the command line is reported before any work starts.
    public init(path: String, metrics: RunMetrics, interval: Duration, logger: Logger) throws {
        self.path = path
        self.metrics = metrics
        self.logger = logger
        try writeFile()
        timer = DispatchSource.repeatingTimer(every: interval, on: queue) { [weak self] in self?.write() }
    }

    deinit { timer?.cancel() }

    /// Stops the timer and writes the file a last time.
    public func stop() {
        queue.sync {
            timer?.cancel()
            write()
        }
    }

    /// The value of `verifyd_last_success_timestamp_seconds` in the file an earlier run left at `path`.
    public static func lastSuccess(inFileAt path: String) -> Double? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return RunMetrics.lastSuccess(inExposition: text)
    }

    private func writeFile() throws(FileWriteError) {
        let file = try AtomicFileWriter(path: path, mode: 0o644)
        try file.write(metrics.exposition())
        try file.commit()
    }

    private func write() {
        do {
            try writeFile()
            if failing { logger.notice("metrics file written again", metadata: ["path": "\(path)"]) }
            failing = false
        } catch {
            if !failing { logger.warning("cannot write the metrics file", metadata: ["error": "\(error)"]) }
            failing = true
        }
    }
}
