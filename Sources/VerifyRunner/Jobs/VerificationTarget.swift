/// Everything a provider needs to build one request for one row.
///
/// Built from a normalized row, so both the V1 form (country code plus national number) and the
/// V2 form (E.164) are at hand.
public struct VerificationTarget: Sendable, Equatable {
    /// The number in E.164, e.g. `+12025550189`.
    public var e164: String
    /// The country calling code, e.g. `1`.
    public var countryCode: Int
    /// The national significant number, digits only, e.g. `2025550189`.
    public var nationalNumber: String
    /// Start or check.
    public var kind: VerificationKind
    /// SMS or voice call.
    public var channel: Channel
    /// Optional message language, e.g. `es`.
    public var locale: String?
    /// The code to check, for check rows.
    public var code: String?

    /// Creates a target.
    public init(
        e164: String, countryCode: Int, nationalNumber: String, kind: VerificationKind, channel: Channel,
        locale: String? = nil, code: String? = nil
    ) {
        self.e164 = e164
        self.countryCode = countryCode
        self.nationalNumber = nationalNumber
        self.kind = kind
        self.channel = channel
        self.locale = locale
        self.code = code
    }
}
