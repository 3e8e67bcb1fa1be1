/// The SQL of one kind of store where the two kinds spell the same thing differently: how a statement's
/// parameters are written (``StoreStatement/sql(in:)``), the names of column types and the options of a table
/// (``StoreSchema``, ``Migrations``). What differs in behaviour (leases, `SKIP LOCKED`, the fenced commit, job
/// numbering, the database's clock) is code of its store, not a word of its dialect.
enum StoreDialect: Sendable, CaseIterable {
    /// The embedded store (one SQLite file per spool).
    case sqlite
    /// The shared store (a PostgreSQL database several runners use).
    case postgres

    /// The name of `type` in this dialect.
    func name(of type: ColumnType) -> String {
        switch (type, self) {
        case (.text, _): return "TEXT"
        case (.integer, .sqlite): return "INTEGER"
        case (.integer, .postgres): return "BIGINT"
        case (.integer32, _): return "INTEGER"
        case (.real, .sqlite): return "REAL"
        case (.real, .postgres): return "DOUBLE PRECISION"
        }
    }

    /// A 64-bit integer column's type.
    var integer: String { name(of: .integer) }

    /// A floating-point column's type.
    var real: String { name(of: .real) }

    /// What follows the closing parenthesis of a `CREATE TABLE` whose rows are found only by its primary key:
    /// SQLite then stores the table as that key's B-tree alone (`WITHOUT ROWID`); PostgreSQL has no such option.
    var withoutRowID: String { self == .sqlite ? " WITHOUT ROWID" : "" }
}

/// A column's type, named per store by ``StoreDialect/name(of:)``.
enum ColumnType: Sendable {
    /// Text.
    case text
    /// A 64-bit integer: `INTEGER` in SQLite (whose integers are all 64-bit), `BIGINT` in PostgreSQL.
    case integer
    /// An integer that fits in 32 bits (an HTTP status, a flag): `INTEGER` in both.
    case integer32
    /// A double: `REAL` in SQLite, `DOUBLE PRECISION` in PostgreSQL.
    case real
}
