import CCurl

/// The event loop of ``CurlTransport``: runs on the transport's one thread and owns everything
/// libcurl-related (the multi handle, the easy-handle pool, the active transfers).
///
/// Each turn takes the newly queued requests, adds them to the multi handle, lets libcurl do the
/// ready network work (`curl_multi_perform`), completes the finished transfers and then sleeps in
/// `curl_multi_poll` until a socket is ready, a libcurl timeout is due or ``TransferQueue`` wakes
/// it. Easy handles go back to the pool after `curl_easy_reset`; connections stay in the multi
/// handle's cache and are reused by later transfers.
final class CurlMultiLoop {
    /// Upper bound for one `curl_multi_poll` sleep; new work and shutdown wake the loop earlier.
    private static let idlePollMilliseconds: Int32 = 1000

    private let multi: CurlMultiHandle
    private let queue: TransferQueue
    private let configuration: CurlTransport.Configuration
    /// Reset easy handles ready for the next transfer.
    private var idleHandles: [CurlEasyHandle] = []
    /// Transfers currently in the multi handle, by their easy handle's `CURL *`.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    /// Creates the loop; nothing runs until ``run()``.
    init(multi: CurlMultiHandle, queue: TransferQueue, configuration: CurlTransport.Configuration) {
        self.multi = multi
        self.queue = queue
        self.configuration = configuration
    }

    /// Runs until the queue is closed (by ``CurlTransport/shutdown()``, or here if the multi handle
    /// fails), then fails everything not yet completed and returns.
    ///
    /// When this returns, every request the queue ever accepted has had its completion dispatched,
    /// and every easy handle is out of the multi handle.
    func run() {
        while true {
            let (newTransfers, isOpen) = queue.takePending()
            guard isOpen else {
                for queued in newTransfers {
                    queue.complete(queued, with: .failure(.shutDown(requestMayHaveBeenSent: false)))
                }
                failActiveTransfers { transfer in .shutDown(requestMayHaveBeenSent: transfer.requestMayHaveBeenSent) }
                return
            }
            for queued in newTransfers { start(queued) }
            do throws(CurlError) {
                try multi.perform()
                completeFinishedTransfers()
                try multi.poll(timeoutMilliseconds: Self.idlePollMilliseconds)
            } catch {
                // The multi handle itself is broken (out of memory, bad state) and retrying would
                // spin: fail what it holds and stop the transport as if it had been shut down.
                queue.close()
                failActiveTransfers { transfer in
                    TransportFailure(
                        curlCode: error.code, message: error.description,
                        requestMayHaveBeenSent: transfer.requestMayHaveBeenSent, isTimeout: false)
                }
            }
        }
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
        let transfer = CurlTransfer(queued, handle: handle)
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

    /// Completes every transfer libcurl reports as done and returns its handle to the pool.
    private func completeFinishedTransfers() {
        while let (raw, code) = multi.nextFinished() {
            guard let transfer = active.removeValue(forKey: raw) else { continue }
            try? multi.remove(transfer.handle)
            let result = transfer.outcome(code)
            recycle(transfer.handle)
            queue.complete(transfer.queued, with: result)
        }
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
