/// The store's schema, as an ordered list of migrations tracked in `PRAGMA user_version`.
///
/// Migration *n* (1-based) brings the schema from version *n-1* to *n*. Never edit a shipped
/// migration: append a new one.
///
/// `rows` has no secondary index on purpose: the scheduler reads rows to send in `seq` order along
/// the primary key, and every index would cost two more B-tree writes per state change.
enum Migrations {
    /// Every migration, in order.
    static let all: [String] = [
        """
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            file_name TEXT NOT NULL,
            work_path TEXT NOT NULL,
            state TEXT NOT NULL,
            extra_columns TEXT NOT NULL DEFAULT '',
            total_rows INTEGER NOT NULL DEFAULT 0,
            paused_reason TEXT,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            requests INTEGER NOT NULL DEFAULT 0,
            retries INTEGER NOT NULL DEFAULT 0,
            sending_seconds REAL NOT NULL DEFAULT 0
        );
        CREATE TABLE rows (
            job_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            line INTEGER NOT NULL,
            phone_input TEXT NOT NULL,
            country_input TEXT NOT NULL,
            via TEXT NOT NULL,
            locale TEXT,
            kind TEXT NOT NULL,
            code TEXT,
            e164 TEXT,
            country_code INTEGER,
            national TEXT,
            extras TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL,
            status TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before REAL,
            error_code TEXT,
            message TEXT,
            provider_id TEXT,
            carrier TEXT,
            is_cellphone INTEGER,
            http_status INTEGER,
            started_at TEXT,
            finished_at TEXT,
            PRIMARY KEY (job_id, seq)
        ) WITHOUT ROWID;
        """
    ]

    /// Applies the migrations the database has not seen yet, each in its own transaction.
    static func migrate(_ connection: SQLiteConnection) throws {
        let current = try connection.integerPragma("user_version")
        for (index, sql) in all.enumerated() where index >= current {
            try connection.transaction {
                try connection.execute(sql)
                try connection.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }
}
