import Dispatch

/// Sends many independent read-only requests (V1 status questions for outcomes) with at most
/// `concurrency` in the air and at most `rate` a second, and asks again, after a backoff, those that got
/// no usable answer (a `GET` sends nothing: asking again is safe).
///
/// Its state lives on one serial DispatchQueue; answers come back there from the transport.
final class RequestFanOut: @unchecked Sendable {
    // @unchecked: every mutable property is touched only on `queue`.

    /// Settings.
    struct Configuration: Sendable {
        /// Requests in the air at most.
        var concurrency: Int
        /// Requests per second at most; 0 = no limit.
        var rate: Double
        /// Time limit of one request.
        var timeout: Duration
        /// Tries per request before it is given up.
        var maxTries: Int
        /// The backoff between tries.
        var retryPolicy = RetryPolicy()
    }

    private let transport: any HTTPTransport
    private let configuration: Configuration
    private let metrics: RunMetrics?
    private let queue = DispatchQueue(label: "verifyd.fan-out")
    private var bucket: TokenBucket
    private var next = 0
    private var inFlight = 0
    private var waiting = 0
    private var retry: [Int] = []
    private var tries: [Int] = []
    private var tokenWaitScheduled = false
    private var finished = false

    /// Creates a fan-out over `transport`.
    init(transport: any HTTPTransport, configuration: Configuration, metrics: RunMetrics? = nil) {
        self.transport = transport
        self.configuration = configuration
        self.metrics = metrics
        bucket = TokenBucket(rate: configuration.rate)
    }

    /// Sends every request; `completion` gets, in the requests' order, what `read` made of each answer
    /// (`nil` for a request that never got a usable one). Call once per fan-out.
    ///
    /// - Parameters:
    ///   - requests: the requests.
    ///   - label: the `outcome` label of their answers in the metrics.
    ///   - read: reads an answer; `nil` when it is not usable (the request is asked again).
    ///   - completion: runs on the fan-out's queue.
    func run<Answer: Sendable>(
        _ requests: [HTTPRequest], label: String,
        read: @escaping @Sendable (Result<HTTPResponse, TransportFailure>) -> Answer?,
        completion: @escaping @Sendable ([Answer?]) -> Void
    ) {
        queue.async {
            let results = ResultBox<Answer>(count: requests.count)
            self.tries = Array(repeating: 0, count: requests.count)
            self.pump(requests, label: label, read: read, results: results, completion: completion)
        }
    }

    private func pump<Answer: Sendable>(
        _ requests: [HTTPRequest], label: String,
        read: @escaping @Sendable (Result<HTTPResponse, TransportFailure>) -> Answer?, results: ResultBox<Answer>,
        completion: @escaping @Sendable ([Answer?]) -> Void
    ) {
        let again = { @Sendable in
            self.pump(requests, label: label, read: read, results: results, completion: completion)
        }
        while inFlight < configuration.concurrency, next < requests.count || !retry.isEmpty {
            if let wait = bucket.take(now: Self.uptime()) {
                if !tokenWaitScheduled {
                    tokenWaitScheduled = true
                    queue.asyncAfter(deadline: .now() + wait) {
                        self.tokenWaitScheduled = false
                        again()
                    }
                }
                return
            }
            let index = retry.isEmpty ? next : retry.removeFirst()
            if index == next { next += 1 }
            inFlight += 1
            tries[index] += 1
            let sentAt = ContinuousClock.now
            let metrics = self.metrics
            transport.send(requests[index], timeout: configuration.timeout, deadline: nil, on: queue) { outcome in
                metrics?.requestAnswered(
                    outcome: label, httpStatus: try? outcome.get().status, duration: ContinuousClock.now - sentAt)
                self.inFlight -= 1
                if let answer = read(outcome) {
                    results.values[index] = answer
                } else if self.tries[index] < self.configuration.maxTries {
                    let retryAfter = ResponseClassifier.retryAfter((try? outcome.get())?.headers["retry-after"])
                    let delay = self.configuration.retryPolicy.delay(
                        afterAttempt: self.tries[index], retryAfter: retryAfter)
                    self.waiting += 1
                    self.queue.asyncAfter(deadline: .now() + delay.seconds) {
                        self.waiting -= 1
                        self.retry.append(index)
                        again()
                    }
                }
                again()
            }
        }
        if !finished, inFlight == 0, waiting == 0, next >= requests.count, retry.isEmpty {
            finished = true
            completion(results.values)
        }
    }

    private static func uptime() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}

/// The answers of one fan-out, filled on its queue.
private final class ResultBox<Answer: Sendable>: @unchecked Sendable {
    // @unchecked: touched only on the fan-out's queue.
    var values: [Answer?]

    init(count: Int) { values = Array(repeating: nil, count: count) }
}
