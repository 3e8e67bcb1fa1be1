public import Dispatch

/// Something that carries HTTP requests: ``CurlTransport`` in production.
///
/// The scheduler depends on this protocol only, so tests can drive it with any transport.
public protocol HTTPTransport: Sendable {
    /// Sends `request`; `completion` runs exactly once, on `queue`. With a `deadline`, the request leaves only
    /// while the deadline allows it: past it, it is held back unsent (``TransportFailure/heldBackAtDeadline``).
    func send(
        _ request: HTTPRequest, timeout: Duration?, deadline: SendDeadline?, on queue: DispatchQueue,
        completion: @escaping @Sendable (Result<HTTPResponse, TransportFailure>) -> Void)
}

extension CurlTransport: HTTPTransport {}
