/// A row as it was read from the input, with its last answer: a line of the files made to be dropped into
/// `incoming/` again (`retry.csv`, `not_verified.csv`).
public struct ResendRow: Sendable, Equatable {
    /// `phone_number` as written in the input.
    public var phoneInput: String
    /// `country_code` as written in the input (empty when absent).
    public var countryInput: String
    /// The row's channel (`sms` or `call`).
    public var channel: String
    /// The row's locale, if any.
    public var locale: String?
    /// The code to check, for check rows.
    public var code: String?
    /// The carried-through columns, in the job's `extraColumns` order.
    public var extras: [String]
    /// The last answer's HTTP status (`nil`: the transfer got no answer).
    public var httpStatus: Int?
    /// The last answer's error code.
    public var errorCode: String?

    /// Creates a row.
    public init(
        phoneInput: String, countryInput: String, channel: String, locale: String? = nil, code: String? = nil,
        extras: [String] = [], httpStatus: Int? = nil, errorCode: String? = nil
    ) {
        self.phoneInput = phoneInput
        self.countryInput = countryInput
        self.channel = channel
        self.locale = locale
        self.code = code
        self.extras = extras
        self.httpStatus = httpStatus
        self.errorCode = errorCode
    }
}
