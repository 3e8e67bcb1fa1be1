/// One credential a provider needs: where it is read from, and whether it is a secret.
public struct CredentialField: Sendable, Equatable {
    /// The environment variable holding it, e.g. `AUTHY_API_KEY`.
    public var variable: String
    /// How descriptions name it, e.g. `Twilio account`.
    public var label: String
    /// Whether it is a secret: never shown, and may be read from a file instead (``file``).
    public var isSecret: Bool
    /// The option naming a file that holds it instead of the variable, if any.
    public var file: CredentialFile?
}

/// The command-line options that name a file holding a secret, read instead of its environment variable.
public enum CredentialFile: String, Sendable, CaseIterable {
    /// `--api-key-file`.
    case apiKey = "api-key-file"
    /// `--auth-token-file`.
    case authToken = "auth-token-file"
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

    /// The value of the field read from `variable` ("" when there is none).
    public subscript(variable: String) -> String { values[variable] ?? "" }

    /// Identifiers in full, secrets redacted, e.g. `Twilio account AC…, auth token (redacted)`.
    public var description: String {
        fields.map { field in
            field.isSecret ? "\(field.label) (redacted)" : "\(field.label) \(values[field.variable] ?? "")"
        }.joined(separator: ", ")
    }
}
