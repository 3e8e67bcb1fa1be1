import Dispatch

/// Reads a claimed job file into the store: each data row becomes a ``NewRow``, normalized to
/// E.164, with invalid rows and repeated numbers finished on the spot (SPEC.md §4).
///
/// The file is streamed and rows are handled in batches, so memory stays flat however large the
/// file: a batch is read, its numbers are normalized on every core (libphonenumber is the costly
/// part), then duplicates are marked in input order and the batch is inserted in one transaction.
/// Duplicates are found with a map from the E.164 digits (as an integer) to the first line, 16 bytes
/// a distinct number.
public struct JobIntake: Sendable {
    /// Intake settings.
    public struct Configuration: Sendable {
        /// The channel for rows without `via` (`--via`).
        public var defaultChannel: Channel
        /// The locale for rows without one (`--locale`), `nil` for the API's default.
        public var defaultLocale: String?
        /// Rows per insert transaction.
        public var batchSize: Int

        /// Creates a configuration.
        public init(defaultChannel: Channel = .sms, defaultLocale: String? = nil, batchSize: Int = 20000) {
            self.defaultChannel = defaultChannel
            self.defaultLocale = defaultLocale
            self.batchSize = batchSize
        }
    }

    /// The columns verifyd interprets (matched trimmed and case-insensitively); all others are
    /// carried through to the report.
    enum KnownColumn: String, CaseIterable {
        case phoneNumber = "phone_number"
        case countryCode = "country_code"
        case via
        case locale
        case verificationCode = "verification_code"
    }

    private let configuration: Configuration
    private let normalizer = PhoneNormalizer()

    /// Creates an intake.
    public init(configuration: Configuration) { self.configuration = configuration }

    /// Reads the file at `path` into `store` as the rows of job `jobID`.
    ///
    /// - Returns: the extra column names and the number of data rows.
    /// - Throws: ``JobFileError`` when the file cannot be read as a job at all (the caller moves it
    ///   to `rejected/`); store errors as they come.
    public func read(path: String, jobID: String, into store: JobStore) throws -> (extraColumns: [String], rows: Int) {
        let reader = try makeJobFileReader(path: path)
        var layout = ColumnLayout(columns: reader.columns)
        if !reader.columns.isEmpty, layout.index[.phoneNumber] == nil {
            throw JobFileError(reason: "no phone_number column in the header", line: 1)
        }
        var firstLine: [UInt64: Int] = [:]
        var batch: [NewRow] = []
        batch.reserveCapacity(configuration.batchSize)
        var sequence = 0
        while let item = try reader.next() {
            if reader.columns.count != layout.columns.count { layout = ColumnLayout(columns: reader.columns) }
            batch.append(makeRow(item, sequence: sequence, layout: layout))
            sequence += 1
            if batch.count >= configuration.batchSize {
                try store.insertRows(jobID: jobID, normalized(batch, firstLine: &firstLine))
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try store.insertRows(jobID: jobID, normalized(batch, firstLine: &firstLine)) }
        return (layout.extraColumns, sequence)
    }

    /// Normalizes the batch's numbers in parallel, then marks invalid rows and duplicates in order.
    private func normalized(_ batch: [NewRow], firstLine: inout [UInt64: Int]) -> [NewRow] {
        let results = normalizeInParallel(batch)
        var rows = batch
        for index in rows.indices {
            guard let result = results[index] else { continue }
            switch result {
            case .failure(let error):
                rows[index].finalStatus = .invalid
                rows[index].message = error.description
            case .success(let phone):
                rows[index].phone = NormalizedNumber(
                    e164: phone.e164, countryCode: phone.countryCode, nationalNumber: phone.nationalNumber)
                let key = UInt64(phone.e164.dropFirst()) ?? 0
                if let earlier = firstLine[key] {
                    rows[index].finalStatus = .duplicate
                    rows[index].message = "same number as line \(earlier)"
                } else {
                    firstLine[key] = rows[index].line
                    if !phone.isKnownValid {
                        rows[index].message =
                            "not a valid number in libphonenumber \(PhoneNormalizer.metadataVersion); sent anyway"
                    }
                }
            }
        }
        return rows
    }

    /// The normalization of every row still without a final status (`nil` for the others), computed on
    /// all cores. Runs on the intake's Dispatch thread; `concurrentPerform` returns when all are done.
    private func normalizeInParallel(_ rows: [NewRow]) -> [Result<NormalizedPhone, NormalizationError>?] {
        var results = [Result<NormalizedPhone, NormalizationError>?](repeating: nil, count: rows.count)
        let normalizer = self.normalizer
        let stripes = 16
        results.withUnsafeMutableBufferPointer { buffer in
            // Each stripe writes only its own indices, so the concurrent writes never overlap.
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: stripes) { stripe in
                for index in stride(from: stripe, to: rows.count, by: stripes) where rows[index].finalStatus == nil {
                    output[index] = normalizer.normalize(
                        phoneNumber: rows[index].phoneInput, countryCode: rows[index].countryInput)
                }
            }
        }
        return results
    }

    /// Where the known and the extra columns are in a row's values.
    struct ColumnLayout {
        let columns: [String]
        var index: [KnownColumn: Int] = [:]
        var extraIndices: [Int] = []

        init(columns: [String]) {
            self.columns = columns
            for (position, name) in columns.enumerated() {
                let key = name.trimmingWhitespace().lowercased()
                if let known = KnownColumn(rawValue: key), index[known] == nil {
                    index[known] = position
                } else {
                    extraIndices.append(position)
                }
            }
        }

        var extraColumns: [String] { extraIndices.map { columns[$0] } }

        func value(_ column: KnownColumn, in values: [String]) -> String {
            guard let position = index[column], position < values.count else { return "" }
            return values[position]
        }
    }

    /// The row as read, with its final status when intake already knows it (unreadable line, bad
    /// `via` or code); normalization comes after, for a whole batch at once.
    private func makeRow(_ item: InputItem, sequence: Int, layout: ColumnLayout) -> NewRow {
        guard case .row(let input) = item else {
            guard case .unreadable(let line, let reason) = item else { preconditionFailure("InputItem has two cases") }
            return NewRow(
                sequence: sequence, line: line, phoneInput: "", countryInput: "", channel: configuration.defaultChannel,
                locale: nil, kind: .start, code: nil, phone: nil, extras: [], finalStatus: .invalid, message: reason)
        }
        let values = input.values
        let viaInput = layout.value(.via, in: values).trimmingWhitespace().lowercased()
        let locale = layout.value(.locale, in: values).trimmingWhitespace()
        let code = layout.value(.verificationCode, in: values).trimmingWhitespace()
        let problem = Self.problem(via: viaInput, code: code)
        return NewRow(
            sequence: sequence, line: input.line, phoneInput: layout.value(.phoneNumber, in: values),
            countryInput: layout.value(.countryCode, in: values),
            channel: Channel(rawValue: viaInput) ?? configuration.defaultChannel,
            locale: locale.isEmpty ? configuration.defaultLocale : locale,
            kind: code.isEmpty ? .start : .check, code: code.isEmpty ? nil : code, phone: nil,
            extras: layout.extraIndices.map { $0 < values.count ? values[$0] : "" },
            finalStatus: problem == nil ? nil : .invalid, message: problem)
    }

    /// A problem with the row's `via` or `verification_code` column, or `nil`.
    public static func problem(via: String, code: String) -> String? {
        if !via.isEmpty, Channel(rawValue: via) == nil { return "via must be sms or call, not '\(via)'" }
        if !code.isEmpty,
            !(4...10).contains(code.count) || !code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        {
            return "verification_code must be 4 to 10 letters or digits"
        }
        return nil
    }
}
