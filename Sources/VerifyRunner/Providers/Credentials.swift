/// One credential a provider needs: where it is read from, and whether it is a secret.
public struct CredentialField: Sendable, Equatable {
    /// The environment variable holding it, e.g. `AUTHY_API_KEY`.
    public var variable: String
    /// How descriptions name it, e.g. `Twilio account`.
    public var label: String
    /// Whether it is a secret: never shown, and may be read from a file instead (``file``).
    public var isSecret: Bool
    /// The long option (without its dashes, e.g. `api-key-file`) naming a file that holds a secret instead of its
    /// variable, if any. Every option a provider names here must be one the commands accept; a test runs each.
    public var fileOption: String?

    /// A field; a provider declares each of its own as a static constant, and reads its value by that constant.
    public init(variable: String, label: String, isSecret: Bool, fileOption: String? = nil) {
        self.variable = variable
        self.label = label
        self.isSecret = isSecret
        self.fileOption = fileOption
    }
}

/// The credentials loaded for one provider, by ``CredentialField/variable``. Never logged, stored, or put on a
/// command line: the description shows identifiers and redacts secrets.
public struct Credentials: Sendable, Equatable, CustomStringConvertible {
    /// The fields, in order.
    private let fields: [CredentialField]
    /// The values by variable name.
    private let values: [String: String]

    /// Credentials with `values` (by variable name) for `fields`; a missing value is empty.
    public init(fields: [CredentialField], values: [String: String]) {
        self.fields = fields
        self.values = values
    }

    /// The value of `field`, one of the provider's own fields ("" when none was loaded: a run that sends nothing
    /// needs none). Asking for a field the provider did not declare is a mistake in its code, and stops.
    public subscript(field: CredentialField) -> String {
        precondition(fields.contains(field), "\(field.variable) is not one of the provider's credentials")
        return values[field.variable] ?? ""
    }

    /// Identifiers in full, secrets redacted, e.g. `Twilio account AC…, auth token (redacted)`.
    public var description: String {
        fields.map { field in
            field.isSecret ? "\(field.label) (redacted)" : "\(field.label) \(values[field.variable] ?? "")"
        }.joined(separator: ", ")
    }
}
