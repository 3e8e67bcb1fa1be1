import Foundation
import Testing

/// The throwaway PostgreSQL clusters the store tests run against: a real server on its own Unix socket,
/// that a test can stop and start again. (The blocking calls run in ``offThePool(_:)``; the expectations
/// are checked back in the test's task.)
@Suite struct PostgresServerTests {
    @Test func dedicatedServerStopsAndStartsAgainOnTheSameSocket() async throws {
        let server = try await offThePool { try PostgresServer.start() }
        defer { server.remove() }  // blocks briefly (an immediate shutdown), also when the test throws
        let uri = try await offThePool { try server.createDatabase() }
        #expect(try await offThePool { try server.psql(uri, "select 41+1") } == "42")

        try await offThePool { try server.stop() }
        await #expect(throws: PostgresServer.Failure.self) {
            try await offThePool { try server.psql(uri, "select 41+1") }
        }

        try await offThePool { try server.startAgain() }
        #expect(try await offThePool { try server.psql(uri, "select 41+1") } == "42")
    }

    @Test func removeStopsTheServerAndDeletesItsFolder() async throws {
        let server = try await offThePool { try PostgresServer.start() }
        let pidFile = server.socketDirectory + "/data/postmaster.pid"
        let postmaster = try #require(pid_t(String(contentsOfFile: pidFile, encoding: .utf8).prefix { $0 != "\n" }))
        try await offThePool { server.remove() }
        #expect(!Self.isRunning(postmaster))
        #expect(!FileManager.default.fileExists(atPath: server.socketDirectory))
        try await offThePool { server.remove() }  // a second call does nothing
    }

    @Test func sharedServerIsOnePerProcess() async throws {
        let first = try await offThePool { try PostgresServer.shared() }
        let second = try await offThePool { try PostgresServer.shared() }
        #expect(first === second)
        #expect(first.socketDirectory == second.socketDirectory)
    }

    @Test func databasesCreatedInParallelAreDistinct() async throws {
        let server = try await offThePool { try PostgresServer.shared() }
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await offThePool { try server.psql(server.createDatabase(), "select current_database()") }
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(names.count == 6)
        #expect(names.allSatisfy { $0.hasPrefix("verifyd_test_") })
    }

    @Test func namedDatabaseURIPercentEncodesTheName() async throws {
        let server = try await offThePool { try PostgresServer.shared() }
        let name = "verifyd test \(UInt32.random(in: 0 ... .max))"
        let uri = try await offThePool { try server.createDatabase(named: name) }
        let encodedName = name.replacingOccurrences(of: " ", with: "%20")
        let encodedDirectory = server.socketDirectory.replacingOccurrences(of: " ", with: "%20")
        #expect(uri == "postgresql://postgres@/\(encodedName)?host=\(encodedDirectory)&port=5432")
        #expect(try await offThePool { try server.psql(uri, "select current_database()") } == name)
    }

    /// Whether process `pid` exists and has not ended: an ended server stays a zombie until init reaps it.
    private static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // "PID (COMMAND) STATE …"
        return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).first != "Z"
    }
}
