public import Dispatch

/// Something that carries HTTP requests: ``CurlTransport`` in production.
///
/// The scheduler depends on this protocol only, so tests can drive it with any transport.
public protocol HTTPTransport: Sendable {
    /// Sends `request`; `completion` runs exactly once, on `queue`.
    func send(
        _ request: HTTPRequest, timeout: Duration?, on queue: DispatchQueue,
        completion: @escaping @Sendable (Result<HTTPResponse, TransportFailure>) -> Void)
}

extension CurlTransport: HTTPTransport {}
