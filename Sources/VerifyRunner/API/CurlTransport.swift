import CCurl
public import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `curl_global_init`, run once, before the first transport exists (like corelibs Foundation's
/// `_initializeLibcurl`). Swift initialises globals lazily and thread-safely.
private let curlGlobalInit: Result<Void, CurlError> = Result { () throws(CurlError) in
    try check(curl_global_init(Int(CURL_GLOBAL_DEFAULT)), "curl_global_init")
}

/// The HTTP transport of verifyd: libcurl's multi interface driven by one dedicated thread.
///
/// Any number of requests can be in flight at once for the cost of that one thread and one socket
/// per connection. Connections are kept alive and reused (HTTP/2 multiplexing where the server
/// offers it over TLS), at most ``Configuration/maxConnections`` at a time; requests beyond that
/// wait inside libcurl for a free connection. Completions run on the `DispatchQueue` each caller
/// passes; nothing here blocks a caller except ``shutdown()``, which joins the thread.
///
/// ```swift
/// let transport = try CurlTransport(configuration: .init())
/// transport.send(HTTPRequest(method: .get, url: "https://api.authy.com/protected/json/…"),
///                on: schedulerQueue) { result in … }
/// …
/// transport.shutdown()
/// ```
///
/// `Sendable` without `@unchecked`: the thread-confined libcurl state lives in ``CurlMultiLoop`` on
/// the transport thread; this class only holds the `Sendable` ``TransferQueue`` and the thread id
/// behind a `Mutex`.
public final class CurlTransport: Sendable {
    /// Settings; `verifyd` fills them from its options.
    public struct Configuration: Sendable {
        /// Limit for establishing a connection (TCP and TLS), per request.
        public var connectTimeout: Duration
        /// Limit for a whole request unless ``CurlTransport/send(_:timeout:on:completion:)`` gives one.
        public var totalTimeout: Duration
        /// Most connections open at once (`CURLMOPT_MAX_TOTAL_CONNECTIONS`), and most kept alive
        /// idle (`CURLMOPT_MAXCONNECTS`).
        public var maxConnections: Int
        /// The `User-Agent` header.
        public var userAgent: String

        /// Creates a configuration; the defaults suit the production APIs.
        public init(
            connectTimeout: Duration = .seconds(5), totalTimeout: Duration = .seconds(15), maxConnections: Int = 64,
            userAgent: String = "verifyd"
        ) {
            self.connectTimeout = connectTimeout
            self.totalTimeout = totalTimeout
            self.maxConnections = maxConnections
            self.userAgent = userAgent
        }
    }

    private let queue: TransferQueue
    /// The transport thread until ``shutdown()`` has joined it.
    private let thread: Mutex<pthread_t?>

    /// Starts the transport thread.
    ///
    /// - Throws: `CurlError` if libcurl cannot be initialised or refuses the multi handle options.
    public init(configuration: Configuration = Configuration()) throws {
        try curlGlobalInit.get()
        let multi = try CurlMultiHandle(maxConnections: configuration.maxConnections)
        let poll = try TransportPoll()
        queue = TransferQueue(wakeup: poll.wakeup)
        let loop = CurlMultiLoop(multi: multi, poll: poll, queue: queue, configuration: configuration)
        thread = Mutex(Self.startThread(running: loop))
    }

    deinit {
        shutdown()
    }

    /// Queues `request`; `completion` runs exactly once, on `queue`.
    ///
    /// Never blocks. After ``shutdown()`` the completion runs at once with a failure whose
    /// ``TransportFailure/requestMayHaveBeenSent`` is `false`.
    /// - Parameters:
    ///   - request: What to send.
    ///   - timeout: Limit for this whole request; `nil` uses ``Configuration/totalTimeout``.
    ///   - deadline: When set, the transport thread asks it immediately before the request is written to its
    ///     connection (`CURLOPT_PREREQFUNCTION`) and again before the body is (the read callback); past it, the
    ///     request is held back and completes with ``TransportFailure/heldBackAtDeadline``.
    ///   - queue: Where `completion` runs.
    ///   - completion: Receives the response (any status) or why there is none.
    public func send(
        _ request: HTTPRequest, timeout: Duration? = nil, deadline: SendDeadline? = nil, on queue: DispatchQueue,
        completion: @escaping @Sendable (Result<HTTPResponse, TransportFailure>) -> Void
    ) {
        let transfer = QueuedTransfer(
            request: request, timeout: timeout, deadline: deadline, queue: queue, completion: completion)
        if !self.queue.enqueue(transfer) {
            queue.async { completion(.failure(.shutDown(requestMayHaveBeenSent: false))) }
        }
    }

    /// Stops accepting requests, fails every queued and in-flight request, and joins the thread.
    ///
    /// Requests in flight are not waited for: each completes with a failure (`curlCode` 42,
    /// "transport shut down") whose ``TransportFailure/requestMayHaveBeenSent`` says whether it
    /// may have reached the server. When this returns, every completion has been dispatched to its
    /// queue. Idempotent; concurrent callers all return after the join. Blocks for at most one turn
    /// of the loop, so call it from a thread, not from `async` code.
    public func shutdown() {
        queue.close()
        thread.withLock { thread in
            guard let running = thread else { return }
            pthread_join(running, nil)
            thread = nil
        }
    }

    /// Requests accepted and not yet completed: queued for, or in, libcurl.
    public var inFlightCount: Int { queue.outstandingCount }

    /// Starts a thread that runs `loop` and then releases it (and with it the multi handle).
    private static func startThread(running loop: CurlMultiLoop) -> pthread_t {
        // The loop is handed over, retained, as a raw pointer: after this only the new thread uses it.
        let context = Unmanaged.passRetained(loop).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                Unmanaged<CurlMultiLoop>.fromOpaque(context).takeRetainedValue().run()
                return nil
            }, context)
        precondition(status == 0, "pthread_create for the curl transport thread failed: \(status)")
        return thread
    }
}
