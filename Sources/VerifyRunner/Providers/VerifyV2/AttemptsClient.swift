public import Dispatch

/// Lists Verify V2 Verification Attempts page by page, within the API's 100 requests a minute, retrying a
/// page that fails for a passing reason (a page is a `GET`: asking again never sends anything).
///
/// One client per process, shared by every job's in-doubt look-ups and by outcomes, so that together they
/// keep to the account's limit. Its state lives on one serial DispatchQueue; pages go through the same
/// ``HTTPTransport`` as the starts.
public final class AttemptsClient: @unchecked Sendable {
    // @unchecked: `limit` and `stopped` are touched only on `queue`.

    /// Settings.
    public struct Configuration: Sendable {
        /// Requests a minute at most (the API's limit is 100 per account).
        public var requestsPerMinute: Int
        /// Time limit of one page request.
        public var timeout: Duration
        /// Tries of one page that fails with a server error or an unreadable body, before the listing fails.
        public var maxTries: Int
        /// Answers 429 one page may get before the listing fails.
        public var maxRateLimited: Int
        /// The backoff between tries of a failed page.
        public var retryPolicy: RetryPolicy

        /// Creates a configuration.
        public init(
            requestsPerMinute: Int = 100, timeout: Duration = .seconds(30), maxTries: Int = 5,
            maxRateLimited: Int = 30, retryPolicy: RetryPolicy = RetryPolicy()
        ) {
            self.requestsPerMinute = requestsPerMinute
            self.timeout = timeout
            self.maxTries = max(1, maxTries)
            self.maxRateLimited = max(1, maxRateLimited)
            self.retryPolicy = retryPolicy
        }
    }

    /// A listing that went through every page.
    public struct Listing: Sendable, Equatable {
        /// When its first page was asked for (seconds since 1970): it shows every attempt made before then.
        public var listedAt: Double
        /// Requests it took (pages, and the tries of failed ones).
        public var requests: Int
    }

    /// A listing that could not be completed: the API could not tell.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// What went wrong with the last page.
        public var description: String
        /// Requests it took.
        public var requests: Int
    }

    /// The requests and answers of one listing in progress.
    private final class Run: @unchecked Sendable {
        // @unchecked: touched only on the client's queue.
        var listedAt: Double?
        var requests = 0
        var tries = 0
        var rateLimited = 0
    }

    /// The API's requests.
    public let api: AttemptsAPI
    private let transport: any HTTPTransport
    private let configuration: Configuration
    private let metrics: RunMetrics?
    private let queue = DispatchQueue(label: "verifyd.attempts")
    private var limit: SlidingWindowLimit
    private var stopped = false

    /// Creates a client.
    public init(
        api: AttemptsAPI, transport: any HTTPTransport, configuration: Configuration = Configuration(),
        metrics: RunMetrics? = nil
    ) {
        self.api = api
        self.transport = transport
        self.configuration = configuration
        self.metrics = metrics
        // A second of slack over the API's minute: its window starts when a request arrives, a little after it
        // left here, and a request it refused would cost a Retry-After of at least a second.
        self.limit = SlidingWindowLimit(limit: configuration.requestsPerMinute, window: 61)
    }

    /// Lists every attempt `query` matches, page after page.
    ///
    /// - Parameters:
    ///   - query: what to list.
    ///   - callerQueue: a serial queue; `onPage` and then `completion` run on it, in order.
    ///   - onPage: each page's attempts.
    ///   - completion: the listing's facts, or why it could not be completed.
    public func list(
        _ query: AttemptsQuery, on callerQueue: DispatchQueue,
        onPage: @escaping @Sendable ([VerificationAttempt]) -> Void,
        completion: @escaping @Sendable (Result<Listing, Failure>) -> Void
    ) {
        let request = api.request(for: query)
        queue.async {
            self.fetch(request, run: Run(), callerQueue: callerQueue, onPage: onPage, completion: completion)
        }
    }

    /// Ends every listing: the next page is not asked for, and its listing fails.
    public func stop() {
        queue.async { self.stopped = true }
    }

    private func fetch(
        _ request: HTTPRequest, run: Run, callerQueue: DispatchQueue,
        onPage: @escaping @Sendable ([VerificationAttempt]) -> Void,
        completion: @escaping @Sendable (Result<Listing, Failure>) -> Void
    ) {
        let again = { @Sendable in
            self.fetch(request, run: run, callerQueue: callerQueue, onPage: onPage, completion: completion)
        }
        let fail = { @Sendable (message: String) in
            let failure = Failure(description: message, requests: run.requests)
            callerQueue.async { completion(.failure(failure)) }
        }
        guard !stopped else { return fail("stopped before the listing was complete") }
        if let wait = limit.take(now: Self.uptime()) {
            queue.asyncAfter(deadline: .now() + wait, execute: again)
            return
        }
        if run.listedAt == nil { run.listedAt = Timestamp.nowSeconds() }
        run.requests += 1
        let sentAt = ContinuousClock.now
        let metrics = self.metrics
        transport.send(request, timeout: configuration.timeout, deadline: nil, on: queue) { outcome in
            metrics?.requestAnswered(
                outcome: "attempts_listing", httpStatus: try? outcome.get().status,
                duration: ContinuousClock.now - sentAt)
            let answer: AttemptsAnswer
            switch outcome {
            case .success(let response): answer = AttemptsAPI.read(response)
            case .failure(let failure): answer = .failed(retryable: true, message: failure.description)
            }
            switch answer {
            case .page(let attempts, let next):
                run.tries = 0
                run.rateLimited = 0
                callerQueue.async { onPage(attempts) }
                guard let next else {
                    let listing = Listing(listedAt: run.listedAt ?? Timestamp.nowSeconds(), requests: run.requests)
                    callerQueue.async { completion(.success(listing)) }
                    return
                }
                guard let nextRequest = self.api.nextPageRequest(next) else {
                    return fail("the API's next_page_url is not on its own host: \(next)")
                }
                self.fetch(nextRequest, run: run, callerQueue: callerQueue, onPage: onPage, completion: completion)
            case .rateLimited(let retryAfter):
                run.rateLimited += 1
                guard run.rateLimited < self.configuration.maxRateLimited else {
                    return fail("the Attempts API kept answering 429 (\(run.rateLimited) times)")
                }
                let wait = max(
                    retryAfter ?? self.configuration.retryPolicy.delay(afterAttempt: run.rateLimited, retryAfter: nil),
                    .seconds(1))
                self.limit.block(for: wait.seconds, now: Self.uptime())
                again()
            case .failed(let retryable, let message):
                run.tries += 1
                guard retryable, run.tries < self.configuration.maxTries else { return fail(message) }
                let delay = self.configuration.retryPolicy.delay(afterAttempt: run.tries, retryAfter: nil)
                self.queue.asyncAfter(deadline: .now() + delay.seconds, execute: again)
            }
        }
    }

    private static func uptime() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
