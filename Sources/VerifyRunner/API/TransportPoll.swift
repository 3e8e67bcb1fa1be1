import CCurl

#if canImport(Glibc)
    import Glibc
#endif

/// The transport thread's readiness poll: the sockets libcurl asks to watch, in one Linux epoll set,
/// plus an eventfd that other threads signal to wake the thread (``TransportWakeup``).
///
/// epoll reports only the sockets that are ready, so a turn of the loop costs the same with ten
/// transfers in flight or a thousand (`curl_multi_poll` walks every transfer's sockets each time).
/// Used by the transport thread only; the descriptors are closed in `deinit`.
final class TransportPoll {
    private let epoll: Int32
    private let wakeupDescriptor: Int32
    /// Sockets currently in the epoll set.
    private var watched = Set<Int32>()
    private var readyDescriptors = [Int32](repeating: 0, count: 256)
    private var readySelects = [Int32](repeating: 0, count: 256)

    /// Creates the epoll set with the wakeup eventfd in it.
    /// - Throws: ``CurlError`` (`CURLM_OUT_OF_MEMORY`) when the kernel refuses a descriptor.
    init() throws(CurlError) {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeupDescriptor = ccurl_eventfd_create()
        guard epoll >= 0, wakeupDescriptor >= 0,
            ccurl_epoll_control(epoll, EPOLL_CTL_ADD, wakeupDescriptor, 1, 0) == 0
        else {
            if epoll >= 0 { close(epoll) }
            if wakeupDescriptor >= 0 { close(wakeupDescriptor) }
            throw CurlError(CURLM_OUT_OF_MEMORY, function: "epoll_create1/eventfd")
        }
    }

    deinit {
        close(epoll)
        close(wakeupDescriptor)
    }

    /// What other threads use to wake ``wait(timeoutMilliseconds:)``.
    var wakeup: TransportWakeup { TransportWakeup(descriptor: wakeupDescriptor) }

    /// Watches `socket` for input and/or output, as libcurl's socket callback asks.
    func watch(_ socket: Int32, input: Bool, output: Bool) {
        let operation = watched.contains(socket) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
        if ccurl_epoll_control(epoll, operation, socket, input ? 1 : 0, output ? 1 : 0) != 0 {
            // The set and `watched` disagree when a socket number was closed and reused without a
            // removal in between (epoll drops closed descriptors by itself): try the other operation.
            let retry = operation == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
            _ = ccurl_epoll_control(epoll, retry, socket, input ? 1 : 0, output ? 1 : 0)
        }
        watched.insert(socket)
    }

    /// Stops watching `socket`.
    func unwatch(_ socket: Int32) {
        guard watched.remove(socket) != nil else { return }
        _ = ccurl_epoll_control(epoll, EPOLL_CTL_DEL, socket, 0, 0)
    }

    /// Sleeps until a watched socket is ready, a wakeup arrives or `timeoutMilliseconds` pass.
    ///
    /// - Returns: the ready sockets with their `CURL_CSELECT_*` bits (a wakeup is consumed, not returned).
    /// - Throws: ``CurlError`` if `epoll_wait` fails (other than by a signal).
    func wait(timeoutMilliseconds: Int32) throws(CurlError) -> [(socket: Int32, select: Int32)] {
        let count = ccurl_epoll_wait(
            epoll, &readyDescriptors, &readySelects, Int32(readyDescriptors.count), timeoutMilliseconds)
        guard count >= 0 else { throw CurlError(CURLM_INTERNAL_ERROR, function: "epoll_wait") }
        var ready: [(socket: Int32, select: Int32)] = []
        ready.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            if readyDescriptors[index] == wakeupDescriptor {
                ccurl_eventfd_drain(wakeupDescriptor)
            } else {
                ready.append((readyDescriptors[index], readySelects[index]))
            }
        }
        return ready
    }
}

@available(*, unavailable)
extension TransportPoll: Sendable {}

/// Wakes the transport thread out of ``TransportPoll/wait(timeoutMilliseconds:)`` from any thread.
///
/// `Sendable`: writing to an eventfd is safe from any thread. The descriptor stays valid because
/// ``TransferQueue`` calls ``wake()`` only under its lock while it is open, and the transport thread
/// closes the poll only after it has seen the queue closed under that same lock.
struct TransportWakeup: Sendable {
    /// The eventfd.
    fileprivate let descriptor: Int32

    /// Makes the current or next wait return at once.
    func wake() { ccurl_eventfd_signal(descriptor) }
}
