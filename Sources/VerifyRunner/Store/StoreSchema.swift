/// The stores' schema at the latest version, described once and written out in each store's SQL: what a new store
/// is created with, in one transaction. Migrations (``Migrations``) only bring older stores to it; a test
/// compares the catalogs of a new and of a migrated store of each kind, and of the two kinds with each other, so a
/// new migration changes this description too.
///
/// The columns are in the order the migrations leave them. The two kinds differ only in type names
/// (``StoreDialect``) and in what the shared store alone needs: the sequence `job_numbers` (runners on several
/// hosts never take the same job number; SQLite takes one above the highest under its write lock), the shared
/// rate bucket `rate_budget`, the leased row ranges `row_leases`, and the function `verifyd_fence`
/// (``PostgresFence``).
enum StoreSchema {
    /// Every table, in the order they are created.
    static let tables: [TableDefinition] = [
        jobs, jobRows, jobRequestSeconds, runners, rateBudget, rowLeases, jobActions,
    ]

    /// The secondary indexes, after the tables.
    static let indexes = [
        "CREATE UNIQUE INDEX jobs_by_number ON jobs (number);",
        jobActionsByJob,
    ]

    /// The index that lists a job's control actions in order.
    static let jobActionsByJob = "CREATE INDEX job_actions_by_job ON job_actions (job_id, id);"

    /// The schema in `dialect`'s SQL, ready to run on an empty database.
    static func creation(in dialect: StoreDialect) -> String {
        var statements: [String] = []
        if dialect == .postgres { statements.append("CREATE SEQUENCE job_numbers;") }
        for table in tables where dialect == .postgres || !table.isSharedStoreOnly {
            statements.append(table.creation(in: dialect))
        }
        statements.append(contentsOf: indexes)
        if dialect == .postgres {
            statements.append(rateBudgetFirstRow)
            statements.append(PostgresFence.onRowsWritten)
            statements.append(PostgresFence.onRowsWrittenAndLease)
        }
        return statements.joined(separator: "\n")
    }

    /// The one row of the shared rate bucket, empty, refilled from now on the database's clock.
    static let rateBudgetFirstRow =
        "INSERT INTO rate_budget (id, tokens, refilled_at) VALUES (1, 0, extract(epoch FROM clock_timestamp()));"

    /// Jobs: one per claimed file.
    private static let jobs = TableDefinition(
        name: "jobs",
        columns: [
            .init("id", .text, "PRIMARY KEY"),
            .init("file_name", .text, "NOT NULL"),
            .init("work_path", .text, "NOT NULL"),
            .init("state", .text, "NOT NULL"),
            .init("extra_columns", .text, "NOT NULL DEFAULT ''"),
            .init("total_rows", .integer, "NOT NULL DEFAULT 0"),
            .init("paused_reason", .text),
            .init("created_at", .text, "NOT NULL"),
            .init("started_at", .text),
            .init("finished_at", .text),
            .init("requests", .integer, "NOT NULL DEFAULT 0"),
            .init("retries", .integer, "NOT NULL DEFAULT 0"),
            .init("sending_seconds", .real, "NOT NULL DEFAULT 0"),
            .init("number", .integer, postgres: "DEFAULT nextval('job_numbers')"),
            .init("provider", .text),
            .init("outcomes_checked_at", .text),
            .init("paused_by", .text),
            .init("window_waiting", .integer),
            .init("window_opens_at", .real),
        ])

    /// The rows of every job, keyed by the job's number and the row's sequence (``RowKeyRange``). Its PostgreSQL
    /// table leaves room in each page so that a row's update can stay in its page.
    private static let jobRows = TableDefinition(
        name: "job_rows",
        columns: [
            .init("id", .integer, "PRIMARY KEY"),
            .init("line", .integer, "NOT NULL"),
            .init("phone_input", .text, "NOT NULL"),
            .init("country_input", .text),
            .init("via", .text, "NOT NULL"),
            .init("locale", .text),
            .init("code", .text),
            .init("e164", .text),
            .init("country_code", .integer),
            .init("extras", .text),
            .init("state", .text, "NOT NULL"),
            .init("status", .text),
            .init("attempts", .integer, "NOT NULL DEFAULT 0"),
            .init("not_before", .real),
            .init("error_code", .text),
            .init("message", .text),
            .init("provider_id", .text),
            .init("carrier", .text),
            .init("is_cellphone", .integer32),
            .init("http_status", .integer32),
            .init("started_at", .text),
            .init("finished_at", .text),
            .init("sent_at", .real),
            .init("outcome", .text),
            .init("time_zone", .text),
        ],
        postgresStorage: "fillfactor = 40")

    /// Each job's answered requests per wall-clock second.
    private static let jobRequestSeconds = TableDefinition(
        name: "job_request_seconds",
        columns: [
            .init("job_number", .integer, "NOT NULL"),
            .init("second", .integer, "NOT NULL"),
            .init("requests", .integer, "NOT NULL"),
        ],
        primaryKey: ["job_number", "second"])

    /// The runners the store has seen.
    private static let runners = TableDefinition(
        name: "runners",
        columns: [
            .init("id", .text, "PRIMARY KEY"),
            .init("host", .text, "NOT NULL"),
            .init("pid", .integer, "NOT NULL"),
            .init("started_at", .text, "NOT NULL"),
            .init("last_seen", .real, "NOT NULL"),
            .init("sent", .integer, "NOT NULL DEFAULT 0"),
            .init("ended_at", .text),
            .init("lease_seconds", .real),
            .init("lost_at", .real),
            .init("lost_to", .text),
        ])

    /// The token bucket of `--rate` that runners sharing a store draw from (one row).
    private static let rateBudget = TableDefinition(
        name: "rate_budget",
        columns: [
            .init("id", .integer32, "PRIMARY KEY"),
            .init("tokens", .real, "NOT NULL"),
            .init("refilled_at", .real, "NOT NULL"),
        ],
        isSharedStoreOnly: true)

    /// The operators' control actions (`verifyd pause`, `resume`, `cancel`): who asked what of which job, when
    /// and why, and which runner carried it out, when.
    private static let jobActions = TableDefinition(
        name: "job_actions",
        columns: [
            .init("id", .numberedKey),
            .init("job_id", .text, "NOT NULL"),
            .init("action", .text, "NOT NULL"),
            .init("reason", .text),
            .init("user_name", .text, "NOT NULL"),
            .init("requested_at", .text, "NOT NULL"),
            .init("carried_out_at", .text),
            .init("carried_out_by", .text),
        ])

    /// Ranges of consecutive row keys of a job and the runner each is leased to.
    private static let rowLeases = TableDefinition(
        name: "row_leases",
        columns: [
            .init("job_number", .integer, "NOT NULL"),
            .init("first_id", .integer, "NOT NULL"),
            .init("last_id", .integer, "NOT NULL"),
            .init("owner", .text, "NOT NULL"),
        ],
        primaryKey: ["job_number", "first_id"],
        isSharedStoreOnly: true)
}

/// One table of ``StoreSchema``.
struct TableDefinition: Sendable {
    /// One column: its name, type and constraints (`NOT NULL`, `DEFAULT …`, `PRIMARY KEY`), the same in both
    /// dialects unless the PostgreSQL ones are given apart.
    struct Column: Sendable {
        /// The name.
        let name: String
        /// The type.
        let type: ColumnType
        /// The constraints in SQLite's SQL.
        let sqliteConstraints: String
        /// The constraints in PostgreSQL's SQL.
        let postgresConstraints: String

        /// A column with `constraints` in both dialects, or with `postgres` in PostgreSQL's instead.
        init(_ name: String, _ type: ColumnType, _ constraints: String = "", postgres: String? = nil) {
            self.name = name
            self.type = type
            sqliteConstraints = constraints
            postgresConstraints = postgres ?? constraints
        }

        /// The column's definition in `dialect`'s SQL.
        func definition(in dialect: StoreDialect) -> String {
            let constraints = dialect == .sqlite ? sqliteConstraints : postgresConstraints
            let typed = "\(name) \(dialect.name(of: type))"
            return constraints.isEmpty ? typed : "\(typed) \(constraints)"
        }
    }

    /// The name.
    let name: String
    /// The columns, in order.
    let columns: [Column]
    /// A primary key of several columns; empty when a column says `PRIMARY KEY` itself.
    var primaryKey: [String] = []
    /// Whether only the shared store has it: a runner alone on its SQLite spool needs neither a shared rate
    /// bucket nor leased ranges.
    var isSharedStoreOnly = false
    /// PostgreSQL storage parameters (`WITH (…)`), if any.
    var postgresStorage: String?

    /// The `CREATE TABLE` statement in `dialect`'s SQL. A table keyed by several columns is a SQLite
    /// `WITHOUT ROWID` table: it is read only by that key.
    func creation(in dialect: StoreDialect) -> String {
        var lines = columns.map { "    " + $0.definition(in: dialect) }
        if !primaryKey.isEmpty { lines.append("    PRIMARY KEY (\(primaryKey.joined(separator: ", ")))") }
        var ending = ")"
        if !primaryKey.isEmpty { ending += dialect.withoutRowID }
        if dialect == .postgres, let postgresStorage { ending += " WITH (\(postgresStorage))" }
        return "CREATE TABLE \(name) (\n" + lines.joined(separator: ",\n") + "\n\(ending);"
    }
}

/// The PostgreSQL function that fences a group commit (``PostgresJobStore``): it fails the transaction when the
/// rows written are fewer than those meant (another runner took some over, SQLSTATE `VF001`) or when this runner
/// was found gone (`VF002`).
enum PostgresFence {
    /// `verifyd_fence(written, expected)`.
    static let onRowsWritten = """
        CREATE FUNCTION verifyd_fence(written bigint, expected bigint) RETURNS bigint
        LANGUAGE plpgsql AS $fence$
        BEGIN
            IF written <> expected THEN
                RAISE EXCEPTION 'rows taken over by another runner: % of % written', written, expected
                    USING ERRCODE = 'VF001';
            END IF;
            RETURN written;
        END
        $fence$;
        """

    /// `verifyd_fence(written, expected, seen)`: `seen` is 0 when this runner's record says it was found gone.
    static let onRowsWrittenAndLease = """
        CREATE FUNCTION verifyd_fence(written bigint, expected bigint, seen bigint) RETURNS bigint
        LANGUAGE plpgsql AS $fence$
        BEGIN
            IF seen = 0 THEN
                RAISE EXCEPTION 'this runner''s lease is over: another runner found it gone'
                    USING ERRCODE = 'VF002';
            END IF;
            RETURN verifyd_fence(written, expected);
        END
        $fence$;
        """
}
