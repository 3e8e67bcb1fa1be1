/// How a code is delivered: V1 `via`, V2 `Channel`.
enum DeliveryChannel: String, Sendable {
    case sms
    case call

    /// Parses a client's value, ignoring case.
    init?(parameter: String) {
        self.init(rawValue: parameter.lowercased())
    }
}

/// How long a code stays valid on both APIs: 10 minutes, measured on the server's clock.
enum CodeLifetime {
    /// The lifetime in seconds.
    static let seconds: Double = 600
}
