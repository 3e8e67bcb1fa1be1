extension SQLiteConnection: StoreExecutor {
    var dialect: StoreDialect { .sqlite }

    /// Runs the statement from the connection's cache of prepared statements (prepared once, then reused).
    @discardableResult
    func run(_ statement: StoreStatement, parameters: [(any StoreParameter)?]) throws -> Int {
        try self.statement(statement.sql(in: dialect)).bind(parameters).run()
        return changes
    }

    /// Steps through the rows as they come; the statement is reset afterwards, even when `read` throws, so it
    /// keeps no read snapshot open (which would stop WAL checkpoints).
    func rows<Columns: StoredColumnPositions, Row>(
        _ statement: StoreStatement, parameters: [(any StoreParameter)?],
        _ read: (_ row: any StoredColumns, _ at: Columns) throws -> Row?
    ) throws -> [Row] {
        let prepared = try self.statement(statement.sql(in: dialect)).bind(parameters)
        defer { prepared.rewind() }
        let at = try Columns(in: prepared)
        var rows: [Row] = []
        while try prepared.step() {
            if let row = try read(prepared, at) { rows.append(row) }
        }
        return rows
    }

    func integer(_ statement: StoreStatement, parameters: [(any StoreParameter)?]) throws -> Int {
        try self.statement(statement.sql(in: dialect)).bind(parameters).scalarInt()
    }
}
