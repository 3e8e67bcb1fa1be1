import Dispatch
import Glibc
public import Logging

/// Tells the operator how the job being sent is going: a line redrawn in place every half second on
/// a terminal, or one log line every `--progress-every` when the output is a file or a pipe (cron,
/// systemd's journal), where a redrawn line would be noise.
///
/// Reads only ``RunMetrics/progress``; runs on its own Dispatch queue.
public final class ProgressReporter: @unchecked Sendable {
    // @unchecked: `last`, `smoothedRate` and `lineShown` are touched only on `queue`; `timer` is set in init.

    /// Where progress goes.
    public enum Output: Sendable {
        /// A line on this terminal's file descriptor, redrawn in place.
        case terminal(Int32)
        /// A log line at info level.
        case log(Logger)
    }

    private let metrics: RunMetrics
    private let output: Output
    private let queue = DispatchQueue(label: "verifyd.progress")
    private var timer: (any DispatchSourceTimer)?
    private var last: (jobID: String, done: Int, at: Double)?
    private var smoothedRate: Double?
    private var lineShown = false

    /// Starts reporting every `interval`.
    public init(metrics: RunMetrics, output: Output, interval: Duration) {
        self.metrics = metrics
        self.output = output
        timer = DispatchSource.repeatingTimer(every: interval, on: queue) { [weak self] in self?.tick() }
    }

    deinit { timer?.cancel() }

    /// Stops reporting and clears the terminal line, so what is printed next starts on a clean line.
    public func stop() {
        queue.sync {
            timer?.cancel()
            clearLine()
        }
    }

    /// Erases the progress line, if one is shown.
    private func clearLine() {
        if case .terminal(let descriptor) = output, lineShown { Self.write("\r\u{1B}[2K", to: descriptor) }
        lineShown = false
    }

    private func tick() {
        guard let progress = metrics.progress else {
            clearLine()
            last = nil
            return
        }
        let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        if let last, last.jobID == progress.jobID, now > last.at {
            let rate = Double(progress.doneRows - last.done) / (now - last.at)
            // An exponential average keeps the rate and ETA from jumping with every tick.
            smoothedRate = smoothedRate.map { $0 * 0.7 + rate * 0.3 } ?? rate
        } else {
            smoothedRate = nil
        }
        last = (progress.jobID, progress.doneRows, now)
        switch output {
        case .terminal(let descriptor):
            Self.write("\r\u{1B}[2K" + ProgressLine.text(progress, rowsPerSecond: smoothedRate), to: descriptor)
            lineShown = true
        case .log(let logger):
            logger.info("progress", metadata: ProgressLine.metadata(progress, rowsPerSecond: smoothedRate))
        }
    }

    private static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { _ = Glibc.write(descriptor, $0.baseAddress, $0.count) }
    }
}
