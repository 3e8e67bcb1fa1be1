/// The name of a verification API verifyd speaks (`--provider`; each job stores the one it was read for): one
/// of the providers registered in ``ProviderDefinition/all``.
public struct ProviderName: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The name as written on the command line and in the store, e.g. `authy-v1`.
    public let rawValue: String

    /// The name of a registered provider; `nil` for any other text.
    public init?(rawValue: String) {
        guard ProviderDefinition.all.contains(where: { $0.name.rawValue == rawValue }) else { return nil }
        self.rawValue = rawValue
    }

    /// A name declared by a provider's own folder, next to its definition.
    init(declaring rawValue: String) { self.rawValue = rawValue }

    /// Every registered provider's name, in the order of ``ProviderDefinition/all``.
    public static var allCases: [ProviderName] { ProviderDefinition.all.map(\.name) }

    /// The name, e.g. `authy-v1`.
    public var description: String { rawValue }

    /// Everything verifyd knows of this provider.
    public var definition: ProviderDefinition {
        guard let definition = ProviderDefinition.all.first(where: { $0.name == self }) else {
            preconditionFailure("provider \(rawValue) is not in ProviderDefinition.all")
        }
        return definition
    }
}
