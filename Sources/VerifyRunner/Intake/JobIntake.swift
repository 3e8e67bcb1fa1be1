import Dispatch
import Glibc
import Synchronization

/// Reads a claimed job file into the store: each data row becomes a ``NewRow``, normalized to
/// E.164, with invalid rows and repeated numbers finished on the spot (docs/contract.md, "Job files").
///
/// The file is streamed and rows are handled in batches, so memory stays flat however large the
/// file: a batch of records is parsed, its rows are built and their numbers normalized on every
/// core (libphonenumber is the costly part), then duplicates are marked in input order and the batch
/// is handed to the store, which inserts it in one transaction on its own queue while the next batch
/// is read (at most one batch waits there, so at most two are in memory). The first batch is small
/// (``firstBatchSize`` rows) and each next one twice as large, up to the configured size, so the store
/// starts inserting at once and a small file's last insert, which nothing overlaps, is a short one.
/// Duplicates are found with a map from the E.164 digits (as an integer) to the first line, 16 bytes
/// a distinct number.
public struct JobIntake: Sendable {
    /// Intake settings.
    public struct Configuration: Sendable {
        /// The channel for rows without `via` (`--via`).
        public var defaultChannel: Channel
        /// The locale for rows without one (`--locale`), `nil` for the API's default.
        public var defaultLocale: String?
        /// Rows per insert transaction, at most (the first batches are smaller).
        public var batchSize: Int
        /// `--dry-run`: rows that would be sent are stored finished as `would_send` right away.
        public var dryRun: Bool
        /// `--max-file-size`: a larger file is rejected unread.
        public var maxFileSize: Int
        /// `--countries`, `--exclude-countries`: starts to other regions end `skipped` as they are read.
        public var countryPolicy: CountryPolicy

        /// Creates a configuration.
        public init(
            defaultChannel: Channel = .sms, defaultLocale: String? = nil, batchSize: Int = 20000, dryRun: Bool = false,
            maxFileSize: Int = 1 << 30, countryPolicy: CountryPolicy = .anyRegion
        ) {
            self.defaultChannel = defaultChannel
            self.defaultLocale = defaultLocale
            self.batchSize = batchSize
            self.dryRun = dryRun
            self.maxFileSize = maxFileSize
            self.countryPolicy = countryPolicy
        }
    }

    private let configuration: Configuration
    private let normalizer = PhoneNormalizer()
    /// Rows of the first batch; batches then double up to ``Configuration/batchSize``.
    static let firstBatchSize = 1000

    /// Creates an intake.
    public init(configuration: Configuration) { self.configuration = configuration }

    /// Reads the file at `path` into `store` as the rows of job `jobID`.
    ///
    /// - Returns: the extra column names, the number of data rows, and how many rows intake already
    ///   gave a final status (invalid, duplicate, would_send), by status.
    /// - Throws: ``JobFileError`` when the file cannot be read as a job at all (the caller moves it
    ///   to `rejected/`); store errors as they come.
    public func read(
        path: String, jobID: String, into store: any JobLifecycleStore
    ) throws -> (extraColumns: [String], rows: Int, finished: [String: Int]) {
        var info = stat()
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) > configuration.maxFileSize {
            throw JobFileError(
                reason: "the file is \(info.st_size) bytes, more than --max-file-size \(configuration.maxFileSize); "
                    + "split it, or run with a higher limit")
        }
        let reader = try makeJobFileReader(path: path)
        var layout = ColumnLayout(columns: reader.columns)
        if !reader.columns.isEmpty, layout.position(of: .phoneNumber) == nil {
            throw JobFileError(
                reason: "no phone_number column in the header (nor an alias such as phone, mobile or msisdn; "
                    + "header: \(reader.columns.prefix(8).map { String($0.prefix(40)) }.joined(separator: ", ")))",
                line: 1)
        }
        var firstLine: [UInt64: Int] = [:]
        var items: [InputItem] = []
        var batchSize = min(Self.firstBatchSize, configuration.batchSize)
        items.reserveCapacity(configuration.batchSize)
        var sequence = 0
        var finished: [RowStatus: Int] = [:]
        let inserts = PendingInsert(store: store, jobID: jobID)
        defer { inserts.waitForCompletion() }
        func submitBatch() throws {
            var rows = prepareInParallel(items, firstSequence: sequence - items.count, layout: layout)
            markDuplicates(in: &rows, firstLine: &firstLine)
            for index in rows.indices {
                if let status = rows[index].row.finalStatus { finished[status, default: 0] += 1 }
            }
            try inserts.submit(rows.map(\.row))
            items.removeAll(keepingCapacity: true)
            batchSize = min(batchSize * 2, configuration.batchSize)
        }
        while let item = try reader.next() {
            if reader.columns.count != layout.columns.count {
                // A row with more fields than any before adds columns: the rows before it keep the old layout.
                if !items.isEmpty { try submitBatch() }
                layout = ColumnLayout(columns: reader.columns)
            }
            items.append(item)
            sequence += 1
            if items.count >= batchSize { try submitBatch() }
        }
        if !items.isEmpty { try submitBatch() }
        try inserts.finish()
        return (
            layout.extraColumns, sequence,
            Dictionary(uniqueKeysWithValues: finished.map { ($0.key.rawValue, $0.value) })
        )
    }

    /// A row built from its record, with its number normalized, before duplicates are known.
    struct PreparedRow {
        var row: NewRow
        /// The E.164 digits as an integer, the duplicate key; 0 when the row has no number.
        var key: UInt64
    }

    /// Builds and normalizes the rows of a batch of records on all cores. Runs on the intake's Dispatch
    /// thread; `concurrentPerform` returns when every row is done.
    private func prepareInParallel(_ items: [InputItem], firstSequence: Int, layout: ColumnLayout) -> [PreparedRow] {
        let slices = 16
        let sliceSize = (items.count + slices - 1) / slices
        return [PreparedRow](unsafeUninitializedCapacity: items.count) { buffer, initialized in
            // Each slice initializes only its own indices, so the concurrent writes never overlap.
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: slices) { slice in
                for index in min(items.count, slice * sliceSize)..<min(items.count, (slice + 1) * sliceSize) {
                    output.initializeElement(
                        at: index, to: prepare(items[index], sequence: firstSequence + index, layout: layout))
                }
            }
            initialized = items.count
        }
    }

    /// One row: built from its record, then its number normalized unless the row is already finished.
    private func prepare(_ item: InputItem, sequence: Int, layout: ColumnLayout) -> PreparedRow {
        var row = makeRow(item, sequence: sequence, layout: layout)
        guard row.finalStatus == nil else { return PreparedRow(row: row, key: 0) }
        switch normalizer.normalize(phoneNumber: row.phoneInput, countryCode: row.countryInput) {
        case .failure(let error):
            row.finalStatus = .invalid
            row.message = error.description
            return PreparedRow(row: row, key: 0)
        case .success(let phone):
            row.phone = NormalizedNumber(
                e164: phone.e164, countryCode: phone.countryCode, nationalNumber: phone.nationalNumber)
            if row.kind == .start, let refusal = configuration.countryPolicy.refusal(region: phone.regionCode) {
                row.finalStatus = .skipped
                row.message = refusal
                return PreparedRow(row: row, key: 0)
            }
            if !phone.isKnownValid {
                row.message = "not a valid number in libphonenumber \(PhoneNormalizer.metadataVersion); sent anyway"
            }
            // E.164 is `+` and at most 15 digits, so its digits always fit.
            let key = phone.e164.utf8.dropFirst().reduce(UInt64(0)) { $0 &* 10 &+ UInt64($1 &- UInt8(ascii: "0")) }
            return PreparedRow(row: row, key: key)
        }
    }

    /// Marks, in input order, every row whose number an earlier row of the job already has; under
    /// `--dry-run` the others end `would_send`.
    private func markDuplicates(in rows: inout [PreparedRow], firstLine: inout [UInt64: Int]) {
        for index in rows.indices where rows[index].key != 0 {
            let line = rows[index].row.line
            if let earlier = firstLine.updateValue(line, forKey: rows[index].key) {
                firstLine[rows[index].key] = earlier
                rows[index].row.finalStatus = .duplicate
                rows[index].row.message = "same number as line \(earlier)"
            } else if configuration.dryRun {
                rows[index].row.finalStatus = .wouldSend
            }
        }
    }

    /// The one batch the store may be inserting while intake reads the next.
    private final class PendingInsert: Sendable {
        private let store: any JobLifecycleStore
        private let jobID: String
        private let idle = DispatchSemaphore(value: 1)
        private let failure = Mutex<(any Error)?>(nil)

        init(store: any JobLifecycleStore, jobID: String) {
            self.store = store
            self.jobID = jobID
        }

        /// Waits for the previous batch, then hands `rows` to the store; throws the previous batch's error.
        func submit(_ rows: [NewRow]) throws {
            idle.wait()
            if let error = failure.withLock({ $0 }) {
                idle.signal()
                throw error
            }
            store.insertRowsAsync(jobID: jobID, rows) { error in
                if let error { self.failure.withLock { $0 = error } }
                self.idle.signal()
            }
        }

        /// Waits for the last batch; throws the error of any batch.
        func finish() throws {
            waitForCompletion()
            if let error = failure.withLock({ $0 }) { throw error }
        }

        /// Waits until no batch is being inserted.
        func waitForCompletion() {
            idle.wait()
            idle.signal()
        }
    }

    /// Where the known and the extra columns are in a row's values.
    struct ColumnLayout: Sendable {
        let columns: [String]
        /// The position of each ``KnownColumn`` (by its raw value), -1 when the header lacks it.
        private var positions = [Int](repeating: -1, count: KnownColumn.allCases.count)
        private(set) var extraIndices: [Int] = []

        init(columns: [String]) {
            self.columns = columns
            for (position, name) in columns.enumerated() {
                if let known = KnownColumn(header: name), positions[known.rawValue] < 0 {
                    positions[known.rawValue] = position
                } else {
                    extraIndices.append(position)
                }
            }
        }

        var extraColumns: [String] { extraIndices.map { columns[$0] } }

        /// Whether the header has a `time_zone` column.
        var hasTimeZone: Bool { positions[KnownColumn.timeZone.rawValue] >= 0 }

        /// Where `column` is, or `nil` when the header lacks it.
        func position(of column: KnownColumn) -> Int? {
            positions[column.rawValue] < 0 ? nil : positions[column.rawValue]
        }

        func value(_ column: KnownColumn, in values: [String]) -> String {
            let position = positions[column.rawValue]
            return position >= 0 && position < values.count ? values[position] : ""
        }
    }

    /// The row as read, with its final status when intake already knows it (unreadable line, bad
    /// `via` or code); normalization comes after, in ``prepare(_:sequence:layout:)``.
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
        // Most files have no time_zone column: then nothing of it is read per row.
        let timeZone = layout.hasTimeZone ? layout.value(.timeZone, in: values).trimmingWhitespace() : ""
        let problem =
            Self.problem(via: viaInput, code: code)
            ?? (timeZone.isEmpty ? nil : RecipientZones.problem(timeZoneColumn: timeZone)?.description)
        return NewRow(
            sequence: sequence, line: input.line, phoneInput: layout.value(.phoneNumber, in: values),
            countryInput: layout.value(.countryCode, in: values),
            channel: Channel(rawValue: viaInput) ?? configuration.defaultChannel,
            locale: locale.isEmpty ? configuration.defaultLocale : locale,
            kind: code.isEmpty ? .start : .check, code: code.isEmpty ? nil : code, phone: nil,
            extras: layout.extraIndices.map { $0 < values.count ? values[$0] : "" },
            finalStatus: problem == nil ? nil : .invalid, message: problem, timeZone: timeZone.isEmpty ? nil : timeZone)
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
