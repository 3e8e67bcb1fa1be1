extension PostgresConnection: StoreExecutor {
    var dialect: StoreDialect { .postgres }

    /// Runs the statement prepared on the session (once per session, by its text).
    @discardableResult
    func run(_ statement: StoreStatement, parameters: [(any StoreParameter)?]) throws -> Int {
        try result(of: statement, parameters).affectedRows
    }

    func rows<Columns: StoredColumnPositions, Row>(
        _ statement: StoreStatement, parameters: [(any StoreParameter)?],
        _ read: (_ row: any StoredColumns, _ at: Columns) throws -> Row?
    ) throws -> [Row] {
        let found = try result(of: statement, parameters)
        let at = try Columns(in: found)
        return try found.rows.compactMap { try read($0, at) }
    }

    func integer(_ statement: StoreStatement, parameters: [(any StoreParameter)?]) throws -> Int {
        let found = try result(of: statement, parameters)
        return found.count > 0 ? found[0].int(0) : 0
    }

    /// Runs `statement` in this dialect with `parameters`, as libpq takes them.
    private func result(of statement: StoreStatement, _ parameters: [(any StoreParameter)?]) throws -> PostgresResult {
        try query(statement.sql(in: dialect), parameters: parameters.map { $0.map { $0 as any PostgresParameter } })
    }
}
