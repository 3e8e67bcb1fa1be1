import Dispatch
import Synchronization

/// A request accepted by ``CurlTransport/send(_:timeout:on:completion:)`` and not yet completed.
struct QueuedTransfer: Sendable {
    /// What to send.
    let request: HTTPRequest
    /// The total timeout for this request, or `nil` for the configured default.
    let timeout: Duration?
    /// The moment after which the request must not leave, if any.
    let deadline: SendDeadline?
    /// Where ``completion`` runs.
    let queue: DispatchQueue
    /// Runs exactly once with the outcome.
    let completion: @Sendable (Result<HTTPResponse, TransportFailure>) -> Void
}

/// The hand-off point between the threads that send requests and the transport thread.
///
/// Callers append to a pending list under a `Mutex`; the transport thread takes the whole list at
/// once. The thread is woken (``TransportWakeup``) only when the list goes from empty to non-empty,
/// since one wakeup makes it take everything queued until then.
///
/// Closing is final. The wakeup is only ever called under the lock while the queue is open, and the
/// transport thread closes its poll only after it has seen the queue closed under the lock, so no
/// wakeup can reach a closed descriptor.
final class TransferQueue: Sendable {
    /// The state behind the lock.
    private struct State {
        /// Accepted requests the transport thread has not taken yet.
        var pending: [QueuedTransfer] = []
        /// `false` once ``close()`` ran.
        var isOpen = true
    }

    private let state = Mutex(State())
    private let wakeup: TransportWakeup
    /// Requests accepted and not yet completed (queued or in libcurl).
    private let outstanding = Atomic<Int>(0)

    /// Creates an open queue that wakes the transport thread through `wakeup`.
    init(wakeup: TransportWakeup) {
        self.wakeup = wakeup
    }

    /// Requests accepted and not yet handed to their completion queue.
    var outstandingCount: Int { outstanding.load(ordering: .acquiring) }

    /// Queues `transfer` for the transport thread.
    ///
    /// - Returns: `false` if the queue is closed; the caller then owns the completion.
    func enqueue(_ transfer: QueuedTransfer) -> Bool {
        state.withLock { state in
            guard state.isOpen else { return false }
            outstanding.add(1, ordering: .acquiringAndReleasing)
            state.pending.append(transfer)
            if state.pending.count == 1 { wakeup.wake() }
            return true
        }
    }

    /// Takes every pending request (transport thread only).
    ///
    /// - Returns: The requests, and whether the queue is still open. Once it returns `false` the
    ///   caller must complete the returned requests and everything in flight, then stop.
    func takePending() -> (transfers: [QueuedTransfer], isOpen: Bool) {
        state.withLock { state in
            let taken = state.pending
            state.pending = []
            return (taken, state.isOpen)
        }
    }

    /// Stops accepting requests and wakes the transport thread so that it sees it. Idempotent.
    func close() {
        state.withLock { state in
            guard state.isOpen else { return }
            state.isOpen = false
            wakeup.wake()
        }
    }

    /// Hands `result` to `transfer`'s completion on its queue.
    func complete(_ transfer: QueuedTransfer, with result: Result<HTTPResponse, TransportFailure>) {
        complete([(transfer, result)])
    }

    /// Hands each result to its transfer's completion: the completions bound for one queue run in one work item,
    /// in order, so a burst of answers costs each queue one wakeup.
    func complete(_ finished: [(QueuedTransfer, Result<HTTPResponse, TransportFailure>)]) {
        guard !finished.isEmpty else { return }
        outstanding.subtract(finished.count, ordering: .acquiringAndReleasing)
        var byQueue: [ObjectIdentifier: [(QueuedTransfer, Result<HTTPResponse, TransportFailure>)]] = [:]
        for item in finished { byQueue[ObjectIdentifier(item.0.queue), default: []].append(item) }
        for batch in byQueue.values {
            let items = batch
            batch[0].0.queue.async {
                for (transfer, result) in items { transfer.completion(result) }
            }
        }
    }
}
