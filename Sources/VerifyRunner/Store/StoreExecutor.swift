/// One connection as the statements written once see it (``StoreSQL``): ``SQLiteConnection`` and
/// ``PostgresConnection`` each run a ``StoreStatement`` in their own ``StoreDialect``, with its parameters, and hand
/// back its rows read by column name (``StoredColumnPositions``). Not thread-safe, as the connections are not: call
/// it on the queue of the store that owns the connection.
protocol StoreExecutor {
    /// The SQL the connection speaks.
    var dialect: StoreDialect { get }

    /// Runs `statement` with `parameters` as its `?`s in order (`nil` is NULL) and returns how many rows it
    /// inserted, changed or deleted.
    @discardableResult
    func run(_ statement: StoreStatement, parameters: [(any StoreParameter)?]) throws -> Int

    /// Runs `statement` with `parameters` and reads each row of its result with `read`, given where the columns of
    /// `Columns` stand, found by name once; the rows `read` returns `nil` for are left out.
    func rows<Columns: StoredColumnPositions, Row>(
        _ statement: StoreStatement, parameters: [(any StoreParameter)?],
        _ read: (_ row: any StoredColumns, _ at: Columns) throws -> Row?
    ) throws -> [Row]

    /// Runs `statement` with `parameters` and returns the first column of its first row as an integer (0 when
    /// there is no row): a count, a sum, a number.
    func integer(_ statement: StoreStatement, parameters: [(any StoreParameter)?]) throws -> Int

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T
}

extension StoreExecutor {
    /// ``run(_:parameters:)`` with the parameters listed.
    @discardableResult
    func run(_ statement: StoreStatement, _ parameters: (any StoreParameter)?...) throws -> Int {
        try run(statement, parameters: parameters)
    }

    /// ``rows(_:parameters:_:)`` with the parameters listed.
    func rows<Columns: StoredColumnPositions, Row>(
        _ statement: StoreStatement, _ parameters: (any StoreParameter)?...,
        read: (_ row: any StoredColumns, _ at: Columns) throws -> Row?
    ) throws -> [Row] {
        try rows(statement, parameters: parameters, read)
    }

    /// ``integer(_:parameters:)`` with the parameters listed.
    func integer(_ statement: StoreStatement, _ parameters: (any StoreParameter)?...) throws -> Int {
        try integer(statement, parameters: parameters)
    }

    /// The keys in `job_rows` of job `jobID` (its id), from `known` or else from the store, which `known` then
    /// keeps (a job's number never changes); job 0, matching no row, for an unknown job, which `known` does not
    /// keep (it may be created later).
    func keys(of jobID: String, known: inout [String: RowKeyRange]) throws -> RowKeyRange {
        if let keys = known[jobID] { return keys }
        let number = try integer(StoreSQL.jobNumber, jobID)
        guard number > 0 else { return RowKeyRange(job: 0) }
        let keys = RowKeyRange(job: number)
        known[jobID] = keys
        return keys
    }
}

/// A value both databases take as a statement parameter of ``StoreExecutor``: text, an integer, a double or a
/// boolean (an `INTEGER` 0 or 1 in both).
protocol StoreParameter: SQLiteBindable, PostgresParameter {}

extension String: StoreParameter {}
extension Int: StoreParameter {}
extension Double: StoreParameter {}
extension Bool: StoreParameter {}
