import Dispatch
import Synchronization
import VerifyRunner

/// An ``HTTPTransport`` whose answers a test scripts: every request is recorded and answered by `reply`, at once,
/// or held until the test answers it (``answerHeld(_:)``). Tests wait for requests to arrive with ``waitFor(held:)``,
/// which resumes when they have, never by polling.
final class ScriptedTransport: HTTPTransport {
    /// What becomes of one request.
    enum Reply: Sendable {
        /// This answer.
        case answer(HTTPResponse)
        /// This failure.
        case fail(TransportFailure)
        /// No answer until the test gives one.
        case hold
    }

    /// A request waiting for the test's answer.
    private struct Held {
        var request: HTTPRequest
        var queue: DispatchQueue
        var completion: @Sendable (Result<HTTPResponse, TransportFailure>) -> Void
    }

    /// What the transport has seen and holds, and who waits for held requests.
    private struct State {
        var requests: [HTTPRequest] = []
        var held: [Held] = []
        var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())
    private let reply: @Sendable (HTTPRequest) -> Reply

    /// Creates a transport that answers each request as `reply` says.
    init(reply: @escaping @Sendable (HTTPRequest) -> Reply) {
        self.reply = reply
    }

    /// Every request sent so far, in order.
    var requests: [HTTPRequest] { state.withLock { $0.requests } }

    func send(
        _ request: HTTPRequest, timeout: Duration?, deadline: SendDeadline?, on queue: DispatchQueue,
        completion: @escaping @Sendable (Result<HTTPResponse, TransportFailure>) -> Void
    ) {
        let reply = reply(request)
        let ready: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.requests.append(request)
            guard case .hold = reply else { return [] }
            state.held.append(Held(request: request, queue: queue, completion: completion))
            let count = state.held.count
            let ready = state.waiters.filter { $0.count <= count }.map(\.continuation)
            state.waiters.removeAll { $0.count <= count }
            return ready
        }
        for waiter in ready { waiter.resume() }
        switch reply {
        case .answer(let response): queue.async { completion(.success(response)) }
        case .fail(let failure): queue.async { completion(.failure(failure)) }
        case .hold: break
        }
    }

    /// Returns once `count` requests are held.
    func waitFor(held count: Int) async {
        await withCheckedContinuation { continuation in
            let isReady = state.withLock { state in
                guard state.held.count < count else { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if isReady { continuation.resume() }
        }
    }

    /// Answers every held request as `answer` says, and holds no more of them.
    func answerHeld(_ answer: (HTTPRequest) -> Result<HTTPResponse, TransportFailure>) {
        let held = state.withLock { state in
            defer { state.held.removeAll() }
            return state.held
        }
        for request in held {
            let outcome = answer(request.request)
            request.queue.async { request.completion(outcome) }
        }
    }
}
