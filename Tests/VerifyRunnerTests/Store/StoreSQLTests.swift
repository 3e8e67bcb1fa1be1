import Testing

@testable import VerifyRunner

/// The statements both stores share, and their PostgreSQL parameters.
@Suite struct StoreSQLTests {
    @Test(arguments: [
        ("SELECT 1", "SELECT 1"),
        ("SELECT a FROM t WHERE b = ? AND c BETWEEN ? AND ?", "SELECT a FROM t WHERE b = $1 AND c BETWEEN $2 AND $3"),
        ("SELECT '?', ? FROM t", "SELECT '?', $1 FROM t"),
        ("SELECT 'it''s ?', ? FROM t", "SELECT 'it''s ?', $1 FROM t"),
        ("SELECT \"odd?name\" FROM t WHERE x = ?", "SELECT \"odd?name\" FROM t WHERE x = $1"),
        ("SELECT '\"?', ?, \"'?\", ?", "SELECT '\"?', $1, \"'?\", $2"),
        ("SELECT ?||?", "SELECT $1||$2"),
    ])
    func parametersAreNumberedOutsideQuotes(sql: String, numbered: String) {
        #expect(StoreSQL.numbered(sql) == numbered)
    }

    @Test func eachSharedStatementNumbersEveryParameterOfItsSQLiteText() {
        let statements = [
            StoreSQL.jobNumber, StoreSQL.deleteRows, StoreSQL.verificationsToStart, StoreSQL.unfinishedRows,
            StoreSQL.statusCounts, StoreSQL.requestsPerSecond, StoreSQL.answeredRequests, StoreSQL.sentRows,
            StoreSQL.errorCodeBreakdown, StoreSQL.job, StoreSQL.adoptProvider, StoreSQL.finishIntake, StoreSQL.pauseJob,
            StoreSQL.holdJob, StoreSQL.resumeJob, StoreSQL.finishJob, StoreSQL.rejectJob,
            StoreSQL.markUnsentRowsWouldSend,
            StoreSQL.skipRecentlySent, StoreSQL.outcomesChecked,
        ]
        for statement in statements {
            let parameters = statement.sql(in: .sqlite).filter { $0 == "?" }.count
            let postgres = statement.sql(in: .postgres)
            #expect(parameters > 0)
            #expect(!postgres.contains("?"))
            #expect(postgres.contains("$\(parameters)") && !postgres.contains("$\(parameters + 1)"))
        }
    }
}
