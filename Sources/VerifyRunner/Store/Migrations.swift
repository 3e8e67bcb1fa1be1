/// How an older store is brought to the current schema (``StoreSchema``): one ordered list of migrations, each
/// written once and spelled out per store by ``StoreDialect``. A new store does not take them: it is created at
/// the current schema at once.
///
/// Migration *n* (1-based) brings the schema from version *n-1* to *n*; SQLite tracks the version in
/// `PRAGMA user_version`, PostgreSQL in the table `schema_version`. Never edit a shipped migration (old stores
/// depend on it): append a new one and change ``StoreSchema`` to match; `StoreSchemaTests` compares the catalogs
/// of a new and of a migrated store of each kind.
///
/// The rows of all jobs live in `job_rows`, keyed by one integer made of the job's `number` and the
/// row's `seq` (see ``RowKeyRange``), which keeps a million-row intake cheap. Values that are usually absent are
/// NULL, not `''`, and nothing derivable is stored (the kind is `code IS NOT NULL`; the national number is the
/// E.164 number without `+` and the country code). `job_rows` has no secondary index on purpose: the
/// scheduler reads rows to send in input order along the primary key, and every index would cost two
/// more B-tree writes per state change.
///
/// Migration 1 creates `jobs` and a table `rows` keyed by the job id and `seq`. Migration 2 numbers the jobs
/// (`jobs.number`; PostgreSQL from the sequence `job_numbers`), creates `job_rows`, copies every row of `rows`
/// into it (its key made from its job's number and its `seq`, empty texts as NULL) and drops `rows`.
///
/// Migration 3 adds `job_request_seconds`: each job's answered requests per wall-clock second, one upsert per group
/// commit, for the requests-per-second chart of `summary.html`.
///
/// Migration 4 keeps the provider each job was read for (`jobs.provider`: a job is only ever sent through
/// it; a job an older store holds has none until a run adopts one) and when its outcomes were last asked for; and
/// per row, when it was last marked in flight (`sent_at`, seconds since 1970: where an in-doubt look-up starts
/// searching) and its `outcome`. SQLite adds columns without rewriting the table.
///
/// Migration 5 is for runners sharing a PostgreSQL store: `runners` lists them (`verifyd runners`), each with
/// when it was last seen, and `rate_budget` is the token bucket of `--rate` that they share (one row). PostgreSQL
/// also gets the function `verifyd_fence` (``PostgresFence``). The step also adds `job_rows.lease_owner`, which
/// migration 7 drops.
///
/// Migration 6 keeps each runner's own `--lease` (`lease_seconds`), and when and by whom it was found gone
/// (`lost_at` on the database's clock, `lost_to`): a runner's rows are anyone's only once another runner has
/// recorded that, and a runner that finds it recorded knows it lost them. PostgreSQL's three-argument
/// `verifyd_fence` also fails a group commit whose runner was found gone.
///
/// Migration 7 hands rows out by ranges: it creates `row_leases`, which holds, per job, ranges of consecutive row
/// keys and the runner each is leased to, and drops `job_rows.lease_owner`. Leasing a batch of rows writes one
/// range, not every row of it; a range is taken over as a whole from a runner found gone or ended. The ranges of a
/// job follow each other from its first row, so the next fresh range starts after the last one.
///
/// Migration 8 drops `rate_budget` and `row_leases` from SQLite stores, which migrations 5 and 7 made there: one
/// runner per spool needs neither a shared bucket nor leased ranges.
///
/// Migration 9 is for operators steering a job: `jobs.paused_by` names the operator who paused or canceled it
/// (NULL when verifyd's own rules paused it, which the next run lifts), and `job_actions` records every control
/// action: who asked what of which job, when and why, and which runner carried it out, when.
///
/// Migration 10 adds `job_rows.time_zone`: the row's `time_zone` input column (an IANA name), NULL when the input
/// has none. Send windows judge a row in that zone rather than in its number's.
///
/// Migration 11 adds `jobs.window_waiting` and `jobs.window_opens_at`: how many of the job's rows a run left waiting
/// for `--send-window`, and when the first of their windows opens (seconds since 1970), for `status`.
enum Migrations {
    /// Every migration, in order.
    static let all: [MigrationStep] = [
        MigrationStep { sql in
            """
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                file_name TEXT NOT NULL,
                work_path TEXT NOT NULL,
                state TEXT NOT NULL,
                extra_columns TEXT NOT NULL DEFAULT '',
                total_rows \(sql.integer) NOT NULL DEFAULT 0,
                paused_reason TEXT,
                created_at TEXT NOT NULL,
                started_at TEXT,
                finished_at TEXT,
                requests \(sql.integer) NOT NULL DEFAULT 0,
                retries \(sql.integer) NOT NULL DEFAULT 0,
                sending_seconds \(sql.real) NOT NULL DEFAULT 0
            );
            CREATE TABLE rows (
                job_id TEXT NOT NULL,
                seq \(sql.integer) NOT NULL,
                line \(sql.integer) NOT NULL,
                phone_input TEXT NOT NULL,
                country_input TEXT NOT NULL,
                via TEXT NOT NULL,
                locale TEXT,
                kind TEXT NOT NULL,
                code TEXT,
                e164 TEXT,
                country_code \(sql.integer),
                national TEXT,
                extras TEXT NOT NULL DEFAULT '',
                state TEXT NOT NULL,
                status TEXT,
                attempts \(sql.integer) NOT NULL DEFAULT 0,
                not_before \(sql.real),
                error_code TEXT,
                message TEXT,
                provider_id TEXT,
                carrier TEXT,
                is_cellphone INTEGER,
                http_status INTEGER,
                started_at TEXT,
                finished_at TEXT,
                PRIMARY KEY (job_id, seq)
            )\(sql.withoutRowID);
            """
        },
        MigrationStep { sql in
            let numbering =
                switch sql {
                case .sqlite: "ALTER TABLE jobs ADD COLUMN number INTEGER;\nUPDATE jobs SET number = rowid;"
                case .postgres:
                    """
                    CREATE SEQUENCE job_numbers;
                    ALTER TABLE jobs ADD COLUMN number BIGINT DEFAULT nextval('job_numbers');
                    UPDATE jobs SET number = nextval('job_numbers');
                    """
                }
            return """
                \(numbering)
                CREATE UNIQUE INDEX jobs_by_number ON jobs (number);
                CREATE TABLE job_rows (
                    id \(sql.integer) PRIMARY KEY,
                    line \(sql.integer) NOT NULL,
                    phone_input TEXT NOT NULL,
                    country_input TEXT,
                    via TEXT NOT NULL,
                    locale TEXT,
                    code TEXT,
                    e164 TEXT,
                    country_code \(sql.integer),
                    extras TEXT,
                    state TEXT NOT NULL,
                    status TEXT,
                    attempts \(sql.integer) NOT NULL DEFAULT 0,
                    not_before \(sql.real),
                    error_code TEXT,
                    message TEXT,
                    provider_id TEXT,
                    carrier TEXT,
                    is_cellphone INTEGER,
                    http_status INTEGER,
                    started_at TEXT,
                    finished_at TEXT
                );
                INSERT INTO job_rows
                    SELECT jobs.number * 4294967296 + seq, line, phone_input, NULLIF(country_input, ''), via, locale, code,
                           e164, country_code, NULLIF(extras, ''), rows.state, status, attempts, not_before, error_code,
                           message, provider_id, carrier, is_cellphone, http_status, rows.started_at, rows.finished_at
                    FROM rows JOIN jobs ON jobs.id = rows.job_id;
                DROP TABLE rows;
                """
        },
        MigrationStep { sql in
            """
            CREATE TABLE job_request_seconds (
                job_number \(sql.integer) NOT NULL,
                second \(sql.integer) NOT NULL,
                requests \(sql.integer) NOT NULL,
                PRIMARY KEY (job_number, second)
            )\(sql.withoutRowID);
            """
        },
        MigrationStep { sql in
            """
            ALTER TABLE jobs ADD COLUMN provider TEXT;
            ALTER TABLE jobs ADD COLUMN outcomes_checked_at TEXT;
            ALTER TABLE job_rows ADD COLUMN sent_at \(sql.real);
            ALTER TABLE job_rows ADD COLUMN outcome TEXT;
            """
        },
        MigrationStep { sql in
            let sharedStoreOnly =
                sql == .sqlite
                ? ""
                : """
                \(StoreSchema.rateBudgetFirstRow)
                ALTER TABLE job_rows SET (fillfactor = 40);
                \(PostgresFence.onRowsWritten)
                """
            return """
                ALTER TABLE job_rows ADD COLUMN lease_owner TEXT;
                CREATE TABLE runners (
                    id TEXT PRIMARY KEY,
                    host TEXT NOT NULL,
                    pid \(sql.integer) NOT NULL,
                    started_at TEXT NOT NULL,
                    last_seen \(sql.real) NOT NULL,
                    sent \(sql.integer) NOT NULL DEFAULT 0,
                    ended_at TEXT
                );
                CREATE TABLE rate_budget (
                    id INTEGER PRIMARY KEY,
                    tokens \(sql.real) NOT NULL,
                    refilled_at \(sql.real) NOT NULL
                );
                \(sharedStoreOnly)
                """
        },
        MigrationStep { sql in
            """
            ALTER TABLE runners ADD COLUMN lease_seconds \(sql.real);
            ALTER TABLE runners ADD COLUMN lost_at \(sql.real);
            ALTER TABLE runners ADD COLUMN lost_to TEXT;
            \(sql == .postgres ? PostgresFence.onRowsWrittenAndLease : "")
            """
        },
        MigrationStep { sql in
            """
            ALTER TABLE job_rows DROP COLUMN lease_owner;
            CREATE TABLE row_leases (
                job_number \(sql.integer) NOT NULL,
                first_id \(sql.integer) NOT NULL,
                last_id \(sql.integer) NOT NULL,
                owner TEXT NOT NULL,
                PRIMARY KEY (job_number, first_id)
            )\(sql.withoutRowID);
            """
        },
        MigrationStep { sql in
            sql == .sqlite ? "DROP TABLE rate_budget;\nDROP TABLE row_leases;" : ""
        },
        MigrationStep { sql in
            """
            ALTER TABLE jobs ADD COLUMN paused_by TEXT;
            CREATE TABLE job_actions (
                id \(sql.numberedPrimaryKey),
                job_id TEXT NOT NULL,
                action TEXT NOT NULL,
                reason TEXT,
                user_name TEXT NOT NULL,
                requested_at TEXT NOT NULL,
                carried_out_at TEXT,
                carried_out_by TEXT
            );
            \(StoreSchema.jobActionsByJob)
            """
        },
        MigrationStep { _ in "ALTER TABLE job_rows ADD COLUMN time_zone TEXT;" },
        MigrationStep { sql in
            """
            ALTER TABLE jobs ADD COLUMN window_waiting \(sql.integer);
            ALTER TABLE jobs ADD COLUMN window_opens_at \(sql.real);
            """
        },
    ]
}

/// One change of the schema, written once: ``sql(in:)`` spells it out for one kind of store.
struct MigrationStep: Sendable {
    /// The change in a dialect's SQL; empty when the change does not concern that kind of store.
    private let text: @Sendable (StoreDialect) -> String

    /// A step whose SQL `text` writes for a given dialect.
    init(_ text: @escaping @Sendable (StoreDialect) -> String) { self.text = text }

    /// The change in `dialect`'s SQL.
    func sql(in dialect: StoreDialect) -> String { text(dialect) }
}
