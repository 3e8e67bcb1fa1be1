/// How a code is delivered: V1 `via`, V2 `Channel`.
enum DeliveryChannel: String, Sendable {
    case sms
    case call

    /// Parses a client's value, ignoring case.
    init?(parameter: String) {
        self.init(rawValue: parameter.lowercased())
    }
}
