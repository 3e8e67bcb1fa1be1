import CCurl
import Dispatch

/// The event loop of ``CurlTransport``: runs on the transport's one thread and owns everything
/// libcurl-related (the multi handle, the easy-handle pool, the active transfers, the poll).
///
/// It drives libcurl through the socket interface (`curl_multi_socket_action`): libcurl says which
/// sockets to watch and when its next timeout is due (the callbacks below), ``TransportPoll`` waits
/// for exactly those sockets, and each ready socket is handed back to libcurl. A turn of the loop
/// takes the newly queued requests and adds them, a slice at a time, to the multi handle (libcurl then asks for an
/// immediate timeout, which starts them), waits, lets libcurl act on what is ready and completes
/// the finished transfers. Easy handles go back to the pool after `curl_easy_reset`; connections
/// stay in the multi handle's cache and are reused by later transfers.
final class CurlMultiLoop {
    /// Upper bound for one wait; new work and shutdown wake the loop earlier.
    private static let idleWaitMilliseconds: Int32 = 1000
    /// Requests added to the multi handle per turn of the loop. A burst (the first window: hundreds of new
    /// connections) is started a slice at a time, so the first requests of the burst go out while the later
    /// ones are still to be connected, instead of all connecting first and then all sending.
    private static let startsPerTurn = 32

    private let multi: CurlMultiHandle
    private let poll: TransportPoll
    private let queue: TransferQueue
    private let configuration: CurlTransport.Configuration
    /// Reset easy handles ready for the next transfer.
    private var idleHandles: [CurlEasyHandle] = []
    /// Transfers currently in the multi handle, by their easy handle's `CURL *`.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Requests taken from the queue and not yet started, oldest first (see ``startsPerTurn``).
    private var backlog: [QueuedTransfer] = []
    /// Where the next request to start is in ``backlog``.
    private var backlogHead = 0
    /// When libcurl wants its timeout handled (monotonic nanoseconds), `nil` when it wants none.
    private var timerDeadline: UInt64?
    /// The send deadlines requests passed during the current turn, looked back at once libcurl has written them.
    private let passedChecks = PassedDeadlineChecks()

    /// Creates the loop; nothing runs until ``run()``.
    init(multi: CurlMultiHandle, poll: TransportPoll, queue: TransferQueue, configuration: CurlTransport.Configuration)
    {
        self.multi = multi
        self.poll = poll
        self.queue = queue
        self.configuration = configuration
    }

    /// Runs until the queue is closed (by ``CurlTransport/shutdown()``, or here if the multi handle
    /// fails), then fails everything not yet completed and returns.
    ///
    /// When this returns, every request the queue ever accepted has had its completion dispatched,
    /// every easy handle is out of the multi handle, and libcurl no longer calls back into the loop.
    func run() {
        do throws(CurlError) {
            try installCallbacks()
        } catch {
            queue.close()
        }
        defer { try? multi.setEventCallbacks(socket: nil, timer: nil, context: nil) }
        while true {
            let (newTransfers, isOpen) = queue.takePending()
            backlog += newTransfers
            guard isOpen else {
                for queued in backlog[backlogHead...] {
                    queue.complete(queued, with: .failure(.shutDown(requestMayHaveBeenSent: false)))
                }
                backlog.removeAll()
                failActiveTransfers { transfer in .shutDown(requestMayHaveBeenSent: transfer.requestMayHaveBeenSent) }
                return
            }
            startFromBacklog()
            do throws(CurlError) {
                let timeout = backlogHead < backlog.count ? 0 : millisecondsUntilTimer()
                for ready in try poll.wait(timeoutMilliseconds: timeout) {
                    try multi.socketReady(ready.socket, select: ready.select)
                }
                if let deadline = timerDeadline, deadline <= Self.now() {
                    timerDeadline = nil
                    try multi.timeoutDue()
                }
                passedChecks.lookBack()
                completeFinishedTransfers()
            } catch {
                // The multi handle or the poll is broken (out of memory, bad state) and retrying
                // would spin: fail what it holds and stop the transport as if it had been shut down.
                queue.close()
                failActiveTransfers { transfer in
                    TransportFailure(
                        curlCode: error.code, message: error.description,
                        requestMayHaveBeenSent: transfer.requestMayHaveBeenSent, isTimeout: false)
                }
            }
        }
    }

    /// Starts up to ``startsPerTurn`` requests of the backlog, oldest first.
    private func startFromBacklog() {
        let end = min(backlog.count, backlogHead + Self.startsPerTurn)
        for index in backlogHead..<end { start(backlog[index]) }
        backlogHead = end
        if backlogHead == backlog.count {
            backlog.removeAll(keepingCapacity: true)
            backlogHead = 0
        }
    }

    /// How long the next wait may last: until libcurl's timeout (0 if due), at most the idle bound.
    private func millisecondsUntilTimer() -> Int32 {
        guard let deadline = timerDeadline else { return Self.idleWaitMilliseconds }
        let now = Self.now()
        guard deadline > now else { return 0 }
        // Rounded up, so the wait never ends just before the deadline and spins.
        return Int32(min(UInt64(Self.idleWaitMilliseconds), (deadline - now + 999_999) / 1_000_000))
    }

    /// Monotonic time in nanoseconds.
    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Points libcurl's socket and timer callbacks at this loop (unretained: the loop outlives the
    /// callbacks, which ``run()`` removes before it returns).
    private func installCallbacks() throws(CurlError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        try multi.setEventCallbacks(
            socket: { _, socket, what, context, _ in
                guard let context else { return 0 }
                let loop = Unmanaged<CurlMultiLoop>.fromOpaque(context).takeUnretainedValue()
                if what == CURL_POLL_REMOVE {
                    loop.poll.unwatch(socket)
                } else {
                    loop.poll.watch(
                        socket, input: what == CURL_POLL_IN || what == CURL_POLL_INOUT,
                        output: what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
                }
                return 0
            },
            timer: { _, milliseconds, context in
                guard let context else { return 0 }
                let loop = Unmanaged<CurlMultiLoop>.fromOpaque(context).takeUnretainedValue()
                loop.timerDeadline = milliseconds < 0 ? nil : CurlMultiLoop.now() + UInt64(milliseconds) * 1_000_000
                return 0
            }, context: context)
    }

    /// Configures a pooled easy handle for `queued` and adds it to the multi handle, or completes
    /// `queued` with a failure (nothing was sent) if libcurl refuses.
    private func start(_ queued: QueuedTransfer) {
        let handle: CurlEasyHandle
        do throws(CurlError) {
            handle = try borrowHandle()
        } catch {
            return failUnsent(queued, error)
        }
        let transfer = CurlTransfer(queued, handle: handle, passedChecks: passedChecks)
        do throws(CurlError) {
            try transfer.configure(configuration)
            try multi.add(handle)
            active[handle.raw] = transfer
        } catch {
            recycle(handle)
            failUnsent(queued, error)
        }
    }

    /// Completes `queued`, which libcurl refused before anything was sent, with `error`.
    private func failUnsent(_ queued: QueuedTransfer, _ error: CurlError) {
        let failure = TransportFailure(
            curlCode: error.code, message: error.description, requestMayHaveBeenSent: false, isTimeout: false)
        queue.complete(queued, with: .failure(failure))
    }

    /// Completes every transfer libcurl reports as done and returns its handle to the pool. The completions of
    /// one turn go to their queues together: one work item per queue, not one per answer.
    private func completeFinishedTransfers() {
        var finished: [(QueuedTransfer, Result<HTTPResponse, TransportFailure>)] = []
        while let (raw, code) = multi.nextFinished() {
            guard let transfer = active.removeValue(forKey: raw) else { continue }
            try? multi.remove(transfer.handle)
            let result = transfer.outcome(code)
            recycle(transfer.handle)
            finished.append((transfer.queued, result))
        }
        queue.complete(finished)
    }

    /// Removes every active transfer from the multi handle and completes it with `failure`.
    private func failActiveTransfers(_ failure: (CurlTransfer) -> TransportFailure) {
        let transfers = active.values
        active.removeAll()
        for transfer in transfers {
            try? multi.remove(transfer.handle)
            let result = failure(transfer)
            recycle(transfer.handle)
            queue.complete(transfer.queued, with: .failure(result))
        }
    }

    /// Takes a reset easy handle from the pool, or creates one when the pool is empty.
    private func borrowHandle() throws(CurlError) -> CurlEasyHandle {
        if let handle = idleHandles.popLast() { return handle }
        return try CurlEasyHandle()
    }

    /// Resets `handle` and returns it to the pool.
    private func recycle(_ handle: CurlEasyHandle) {
        handle.reset()
        idleHandles.append(handle)
    }
}

@available(*, unavailable)
extension CurlMultiLoop: Sendable {}
