/// The stores' schema, as one ordered list of migrations, each written in SQLite's SQL and in PostgreSQL's.
///
/// Migration *n* (1-based) brings the schema from version *n-1* to *n*; SQLite tracks the version in
/// `PRAGMA user_version`, PostgreSQL in the table `schema_version`. Never edit a shipped migration: append a
/// new one. Both columns of a step make the same tables and columns (a test compares the two schemas); they
/// differ only where the SQL does: PostgreSQL's integers are `BIGINT`, its reals `DOUBLE PRECISION`, and its
/// job numbers come from the sequence `job_numbers`, so runners on several hosts never take the same one.
///
/// The rows of all jobs live in `job_rows`, keyed by one integer made of the job's `number` and the
/// row's `seq` (see ``RowKeyRange``), which keeps a million-row intake cheap. Values that are usually absent are
/// NULL, not `''`, and nothing derivable is stored (the kind is `code IS NOT NULL`; the national number is the
/// E.164 number without `+` and the country code). `job_rows` has no secondary index on purpose: the
/// scheduler reads rows to send in input order along the primary key, and every index would cost two
/// more B-tree writes per state change.
///
/// Migration 1 creates `jobs` and a table `rows` keyed by the job id and `seq`. Migration 2 numbers the jobs
/// (`jobs.number`), creates `job_rows`, copies every row of `rows` into it (its key made from its job's number and
/// its `seq`, empty texts as NULL) and drops `rows`.
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
/// also gets the function `verifyd_fence`, which fails a group commit that would write rows another runner has
/// taken over. The step also adds `job_rows.lease_owner`, which migration 7 drops. The SQLite store, with one
/// runner per spool, keeps the same tables so that both schemas stay one.
///
/// Migration 6 keeps each runner's own `--lease` (`lease_seconds`), and when and by whom it was found gone
/// (`lost_at` on the database's clock, `lost_to`): a runner's rows are anyone's only once another runner has
/// recorded that, and a runner that finds it recorded knows it lost them. PostgreSQL's three-argument
/// `verifyd_fence` also fails a group commit whose runner was found gone (SQLSTATE `VF002`).
///
/// Migration 7 hands rows out by ranges: it creates `row_leases`, which holds, per job, ranges of consecutive row
/// keys and the runner each is leased to, and drops `job_rows.lease_owner`. Leasing a batch of rows writes one
/// range, not every row of it; a range is taken over as a whole from a runner found gone or ended. The ranges of a
/// job follow each other from its first row, so the next fresh range starts after the last one.
enum Migrations {
    /// Every migration, in order.
    static let all: [MigrationStep] = [
        MigrationStep(
            sqlite: """
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
                """,
            postgres: """
                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY,
                    file_name TEXT NOT NULL,
                    work_path TEXT NOT NULL,
                    state TEXT NOT NULL,
                    extra_columns TEXT NOT NULL DEFAULT '',
                    total_rows BIGINT NOT NULL DEFAULT 0,
                    paused_reason TEXT,
                    created_at TEXT NOT NULL,
                    started_at TEXT,
                    finished_at TEXT,
                    requests BIGINT NOT NULL DEFAULT 0,
                    retries BIGINT NOT NULL DEFAULT 0,
                    sending_seconds DOUBLE PRECISION NOT NULL DEFAULT 0
                );
                CREATE TABLE rows (
                    job_id TEXT NOT NULL,
                    seq BIGINT NOT NULL,
                    line BIGINT NOT NULL,
                    phone_input TEXT NOT NULL,
                    country_input TEXT NOT NULL,
                    via TEXT NOT NULL,
                    locale TEXT,
                    kind TEXT NOT NULL,
                    code TEXT,
                    e164 TEXT,
                    country_code BIGINT,
                    national TEXT,
                    extras TEXT NOT NULL DEFAULT '',
                    state TEXT NOT NULL,
                    status TEXT,
                    attempts BIGINT NOT NULL DEFAULT 0,
                    not_before DOUBLE PRECISION,
                    error_code TEXT,
                    message TEXT,
                    provider_id TEXT,
                    carrier TEXT,
                    is_cellphone INTEGER,
                    http_status INTEGER,
                    started_at TEXT,
                    finished_at TEXT,
                    PRIMARY KEY (job_id, seq)
                );
                """),
        MigrationStep(
            sqlite: """
                ALTER TABLE jobs ADD COLUMN number INTEGER;
                UPDATE jobs SET number = rowid;
                CREATE UNIQUE INDEX jobs_by_number ON jobs (number);
                CREATE TABLE job_rows (
                    id INTEGER PRIMARY KEY,
                    line INTEGER NOT NULL,
                    phone_input TEXT NOT NULL,
                    country_input TEXT,
                    via TEXT NOT NULL,
                    locale TEXT,
                    code TEXT,
                    e164 TEXT,
                    country_code INTEGER,
                    extras TEXT,
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
                    finished_at TEXT
                );
                INSERT INTO job_rows
                    SELECT jobs.number * 4294967296 + seq, line, phone_input, NULLIF(country_input, ''), via, locale, code,
                           e164, country_code, NULLIF(extras, ''), rows.state, status, attempts, not_before, error_code,
                           message, provider_id, carrier, is_cellphone, http_status, rows.started_at, rows.finished_at
                    FROM rows JOIN jobs ON jobs.id = rows.job_id;
                DROP TABLE rows;
                """,
            postgres: """
                CREATE SEQUENCE job_numbers;
                ALTER TABLE jobs ADD COLUMN number BIGINT DEFAULT nextval('job_numbers');
                UPDATE jobs SET number = nextval('job_numbers');
                CREATE UNIQUE INDEX jobs_by_number ON jobs (number);
                CREATE TABLE job_rows (
                    id BIGINT PRIMARY KEY,
                    line BIGINT NOT NULL,
                    phone_input TEXT NOT NULL,
                    country_input TEXT,
                    via TEXT NOT NULL,
                    locale TEXT,
                    code TEXT,
                    e164 TEXT,
                    country_code BIGINT,
                    extras TEXT,
                    state TEXT NOT NULL,
                    status TEXT,
                    attempts BIGINT NOT NULL DEFAULT 0,
                    not_before DOUBLE PRECISION,
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
                """),
        MigrationStep(
            sqlite: """
                CREATE TABLE job_request_seconds (
                    job_number INTEGER NOT NULL,
                    second INTEGER NOT NULL,
                    requests INTEGER NOT NULL,
                    PRIMARY KEY (job_number, second)
                ) WITHOUT ROWID;
                """,
            postgres: """
                CREATE TABLE job_request_seconds (
                    job_number BIGINT NOT NULL,
                    second BIGINT NOT NULL,
                    requests BIGINT NOT NULL,
                    PRIMARY KEY (job_number, second)
                );
                """),
        MigrationStep(
            sqlite: """
                ALTER TABLE jobs ADD COLUMN provider TEXT;
                ALTER TABLE jobs ADD COLUMN outcomes_checked_at TEXT;
                ALTER TABLE job_rows ADD COLUMN sent_at REAL;
                ALTER TABLE job_rows ADD COLUMN outcome TEXT;
                """,
            postgres: """
                ALTER TABLE jobs ADD COLUMN provider TEXT;
                ALTER TABLE jobs ADD COLUMN outcomes_checked_at TEXT;
                ALTER TABLE job_rows ADD COLUMN sent_at DOUBLE PRECISION;
                ALTER TABLE job_rows ADD COLUMN outcome TEXT;
                """),
        MigrationStep(
            sqlite: """
                ALTER TABLE job_rows ADD COLUMN lease_owner TEXT;
                CREATE TABLE runners (
                    id TEXT PRIMARY KEY,
                    host TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    started_at TEXT NOT NULL,
                    last_seen REAL NOT NULL,
                    sent INTEGER NOT NULL DEFAULT 0,
                    ended_at TEXT
                );
                CREATE TABLE rate_budget (
                    id INTEGER PRIMARY KEY,
                    tokens REAL NOT NULL,
                    refilled_at REAL NOT NULL
                );
                """,
            postgres: """
                ALTER TABLE job_rows ADD COLUMN lease_owner TEXT;
                CREATE TABLE runners (
                    id TEXT PRIMARY KEY,
                    host TEXT NOT NULL,
                    pid BIGINT NOT NULL,
                    started_at TEXT NOT NULL,
                    last_seen DOUBLE PRECISION NOT NULL,
                    sent BIGINT NOT NULL DEFAULT 0,
                    ended_at TEXT
                );
                CREATE TABLE rate_budget (
                    id INTEGER PRIMARY KEY,
                    tokens DOUBLE PRECISION NOT NULL,
                    refilled_at DOUBLE PRECISION NOT NULL
                );
                INSERT INTO rate_budget (id, tokens, refilled_at) VALUES (1, 0, extract(epoch FROM clock_timestamp()));
                ALTER TABLE job_rows SET (fillfactor = 40);
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
                """),
        MigrationStep(
            sqlite: """
                ALTER TABLE runners ADD COLUMN lease_seconds REAL;
                ALTER TABLE runners ADD COLUMN lost_at REAL;
                ALTER TABLE runners ADD COLUMN lost_to TEXT;
                """,
            postgres: """
                ALTER TABLE runners ADD COLUMN lease_seconds DOUBLE PRECISION;
                ALTER TABLE runners ADD COLUMN lost_at DOUBLE PRECISION;
                ALTER TABLE runners ADD COLUMN lost_to TEXT;
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
                """),
        MigrationStep(
            sqlite: """
                ALTER TABLE job_rows DROP COLUMN lease_owner;
                CREATE TABLE row_leases (
                    job_number INTEGER NOT NULL,
                    first_id INTEGER NOT NULL,
                    last_id INTEGER NOT NULL,
                    owner TEXT NOT NULL,
                    PRIMARY KEY (job_number, first_id)
                ) WITHOUT ROWID;
                """,
            postgres: """
                ALTER TABLE job_rows DROP COLUMN lease_owner;
                CREATE TABLE row_leases (
                    job_number BIGINT NOT NULL,
                    first_id BIGINT NOT NULL,
                    last_id BIGINT NOT NULL,
                    owner TEXT NOT NULL,
                    PRIMARY KEY (job_number, first_id)
                );
                """),
    ]
}

/// One change of the schema, in each store's SQL.
struct MigrationStep {
    /// The change for the SQLite store.
    let sqlite: String
    /// The same change for the PostgreSQL store.
    let postgres: String
}
