import Foundation

@testable import VerifyRunner

/// Stores as the first verifyd left them: only the first migration applied (schema version 1), holding one
/// finished job of one `sent` row in that schema's tables, which later migrations copy into theirs.
enum OldStores {
    /// The job the old stores hold.
    static let jobID = "20260101-000000-0a0a"

    /// The job and its row in the first schema's tables (SQL both stores read alike).
    private static let jobSQL = """
        INSERT INTO jobs (id, file_name, work_path, state, total_rows, created_at, started_at, finished_at)
            VALUES ('\(jobID)', 'old.csv', '/nowhere/done/old.csv', 'finished', 1, '2026-01-01T00:00:00Z',
                    '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z');
        INSERT INTO rows (job_id, seq, line, phone_input, country_input, via, kind, e164, country_code, national,
                          state, status, attempts)
            VALUES ('\(jobID)', 0, 2, '+12025550100', '', 'sms', 'start', '+12025550100', 1, '2025550100',
                    'finished', 'sent', 1);
        """

    /// Writes a SQLite store at `path` (a new file) at schema version 1, in WAL mode as verifyd made it.
    static func sqlite(at path: String) throws {
        let connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA journal_mode = WAL")
        try connection.execute(Migrations.all[0].sql(in: .sqlite) + jobSQL + "PRAGMA user_version = 1;")
    }

    /// Writes a PostgreSQL store at schema version 1 into the empty database at `address`.
    static func postgres(_ address: String) throws {
        let connection = try PostgresConnection(address: address)
        try connection.execute(
            Migrations.all[0].sql(in: .postgres) + jobSQL
                + "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);")
    }
}
