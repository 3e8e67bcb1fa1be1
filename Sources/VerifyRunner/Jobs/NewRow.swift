/// A row as intake hands it to the store: what was read, what it normalized to, and its first state.
public struct NewRow: Sendable, Equatable {
    /// 0-based position among the job's data rows (report order).
    public var sequence: Int
    /// The 1-based physical line of the row in the input file.
    public var line: Int
    /// `phone_number` as written in the file.
    public var phoneInput: String
    /// `country_code` as written in the file.
    public var countryInput: String
    /// The channel (row's `via`, else `--via`).
    public var channel: Channel
    /// The row's `locale`, if any.
    public var locale: String?
    /// The row's `time_zone` (an IANA name), if any: its recipient's zone, over its number's.
    public var timeZone: String?
    /// Start or check.
    public var kind: VerificationKind
    /// The code to check (check rows only).
    public var code: String?
    /// The normalized number; `nil` when the row is invalid.
    public var phone: NormalizedNumber?
    /// The input's other columns, aligned with ``JobRecord/extraColumns`` (may be shorter).
    public var extras: [String]
    /// `nil` for a row to send; otherwise its final status from intake (invalid, duplicate…).
    public var finalStatus: RowStatus?
    /// Why, for rows finished at intake (e.g. "too short for region US").
    public var message: String?

    /// Creates a row.
    public init(
        sequence: Int, line: Int, phoneInput: String, countryInput: String, channel: Channel,
        locale: String?, kind: VerificationKind, code: String?, phone: NormalizedNumber?, extras: [String],
        finalStatus: RowStatus?, message: String?, timeZone: String? = nil
    ) {
        self.sequence = sequence
        self.line = line
        self.phoneInput = phoneInput
        self.countryInput = countryInput
        self.channel = channel
        self.locale = locale
        self.kind = kind
        self.code = code
        self.phone = phone
        self.extras = extras
        self.finalStatus = finalStatus
        self.message = message
        self.timeZone = timeZone
    }
}

/// The parts of a normalized number the store keeps.
public struct NormalizedNumber: Sendable, Equatable {
    /// E.164, e.g. `+12025550189`.
    public var e164: String
    /// Country calling code, e.g. 1.
    public var countryCode: Int
    /// National significant number, digits only.
    public var nationalNumber: String

    /// Creates a number.
    public init(e164: String, countryCode: Int, nationalNumber: String) {
        self.e164 = e164
        self.countryCode = countryCode
        self.nationalNumber = nationalNumber
    }
}
