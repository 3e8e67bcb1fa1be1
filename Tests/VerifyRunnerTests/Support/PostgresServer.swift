import Foundation
import Synchronization

/// A throwaway PostgreSQL cluster owned by the test run: `initdb` in a fresh `verifyd-pg-…` folder under the
/// temporary folder, its server listening only on a Unix socket in that folder (no TCP), so it never meets a
/// system cluster. Run as root, `initdb` and the server run as the `postgres` user (both refuse root).
///
/// ``shared()`` is one cluster for the whole test process, removed when the process exits; each test creates
/// its own database in it (``createDatabase(named:)``), so tests run in parallel. A test that stops its server
/// starts a cluster of its own with ``start()`` and removes it with ``remove()``. Every call blocks on child
/// processes; from an `async` test, call it inside ``offThePool(_:)``.
final class PostgresServer: Sendable {
    /// Why there is no server, database or query result to test with.
    enum Failure: Error, CustomStringConvertible {
        /// No `initdb` under `/usr/lib/postgresql/*/bin`, nor in the folder `pg_config --bindir` names.
        case notInstalled
        /// A command exited non-zero or ran out of time: the command, its exit status (124 when its time
        /// ran out), and the last lines of its output (and of the server log, for a start).
        case commandFailed(command: [String], status: Int32, output: String)

        var description: String {
            switch self {
            case .notInstalled:
                return "PostgreSQL is not installed: apt-get install postgresql (make test installs it); "
                    + "no initdb in /usr/lib/postgresql/*/bin, nor in pg_config --bindir"
            case .commandFailed(let command, let status, let output):
                let ending = status == PostgresServer.timedOutStatus ? "ran out of time" : "exited \(status)"
                return "`\(command.joined(separator: " "))` \(ending):\n\(output)"
            }
        }
    }

    /// The folder holding the server's Unix socket, its data folder (`data`) and its log (`server.log`).
    let socketDirectory: String
    /// The port in the socket's name (`.s.PGSQL.5432`); each cluster has its own socket folder, so it never
    /// clashes with another cluster's.
    let port = 5432
    /// The folder of the PostgreSQL programs (`initdb`, `pg_ctl`, `createdb`, `psql`).
    let binDirectory: String
    /// Whether the server's programs run as the `postgres` user, because the tests run as root.
    private let runsAsPostgresUser: Bool

    private var dataDirectory: String { socketDirectory + "/data" }
    private var logFile: String { socketDirectory + "/server.log" }

    private init(socketDirectory: String, binDirectory: String, runsAsPostgresUser: Bool) {
        self.socketDirectory = socketDirectory
        self.binDirectory = binDirectory
        self.runsAsPostgresUser = runsAsPostgresUser
    }

    /// Creates a cluster in a new `verifyd-pg-…` folder under the temporary folder and starts its server.
    /// The caller removes it with ``remove()``; one it leaves is removed when the process exits.
    static func start() throws -> PostgresServer {
        let binDirectory = try processSetUp.get()
        let directory = (NSTemporaryDirectory() as NSString)
            .appendingPathComponent(directoryPrefix + String(UInt64.random(in: .min ... .max), radix: 16))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let server = PostgresServer(
            socketDirectory: directory, binDirectory: binDirectory, runsAsPostgresUser: getuid() == 0)
        liveServers.withLock { $0[ObjectIdentifier(server)] = server }
        do {
            try Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: directory + "/" + ownerFileName))
            // The server's user must reach the socket folder, and so must clients of any user.
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
            if server.runsAsPostgresUser { try run(["/usr/bin/chown", "-R", "postgres:postgres", directory]) }
            try server.runServerProgram([
                "initdb", "-D", server.dataDirectory, "--auth=trust", "-U", "postgres", "--no-sync", "-E", "UTF8",
                "--locale=C",
            ])
            try server.listenOnlyOnTheSocket()
            try server.startServer()
        } catch {
            server.remove()
            throw error
        }
        return server
    }

    /// The cluster every test of this process shares, started on first use and removed when the process exits.
    /// Each test creates its own database in it. If the start failed, every call throws its failure.
    static func shared() throws -> PostgresServer {
        try sharedServer.get()
    }

    /// Creates an empty database, `name` or else `verifyd_test_<random hex>`, and returns its libpq URI:
    /// `postgresql://postgres@/NAME?host=SOCKET_DIRECTORY&port=5432` (name and folder percent-encoded).
    func createDatabase(named name: String? = nil) throws -> String {
        let database = name ?? "verifyd_test_" + String(UInt64.random(in: .min ... .max), radix: 16)
        try Self.run(
            [binDirectory + "/createdb", "-h", socketDirectory, "-p", String(port), "-U", "postgres", database],
            in: socketDirectory)
        return "postgresql://postgres@/\(Self.percentEncoded(database))"
            + "?host=\(Self.percentEncoded(socketDirectory))&port=\(port)"
    }

    /// Runs `psql URI -tAc SQL` (no `.psqlrc`, stopping at the first error) and returns what it printed,
    /// trimmed: the rows, one a line, columns split by `|`. Throws when psql fails (an SQL error, no server).
    func psql(_ uri: String, _ sql: String) throws -> String {
        try Self.run([binDirectory + "/psql", uri, "-X", "-v", "ON_ERROR_STOP=1", "-tAc", sql], in: socketDirectory)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server (fast shutdown: open sessions are cut, their transactions rolled back) and waits
    /// until it is gone; ``startAgain()`` brings it back on the same socket and data.
    func stop() throws {
        try runServerProgram(["pg_ctl", "-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// Starts the server stopped by ``stop()`` again, on the same socket and data, and waits until it accepts
    /// connections.
    func startAgain() throws {
        try startServer()
    }

    /// Stops the server at once (immediate shutdown) if it runs and deletes its folder; a later call does
    /// nothing. Cannot throw (it also runs at exit): a stop that fails is printed on standard error.
    func remove() {
        guard Self.liveServers.withLock({ $0.removeValue(forKey: ObjectIdentifier(self)) }) != nil else { return }
        Self.removeCluster(in: socketDirectory, binDirectory: binDirectory, asPostgresUser: runsAsPostgresUser)
    }

    // MARK: - The cluster

    /// Makes the server listen on the socket in ``socketDirectory`` and nowhere else (no TCP).
    private func listenOnlyOnTheSocket() throws {
        let quotedDirectory = "'" + socketDirectory.replacingOccurrences(of: "'", with: "''") + "'"
        let settings = """

            # verifyd tests (PostgresServer.swift): a Unix socket in the cluster's own folder, no TCP.
            listen_addresses = ''
            unix_socket_directories = \(quotedDirectory)
            port = \(port)
            max_connections = 200

            """
        guard let configuration = FileHandle(forWritingAtPath: dataDirectory + "/postgresql.conf") else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: dataDirectory + "/postgresql.conf"])
        }
        defer { try? configuration.close() }
        try configuration.seekToEnd()
        try configuration.write(contentsOf: Data(settings.utf8))
    }

    /// Starts the server with `pg_ctl -w` (it waits until the server accepts connections, 60 s at most); a
    /// failure carries the last lines of the server log.
    private func startServer() throws {
        do {
            try runServerProgram(["pg_ctl", "-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "start"])
        } catch Failure.commandFailed(let command, let status, let output) {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "(no server log)"
            throw Failure.commandFailed(
                command: command, status: status,
                output: output + "\n--- \(logFile), last lines ---\n" + Self.lastLines(of: log))
        }
    }

    /// Runs the PostgreSQL program `arguments[0]` with the rest of `arguments`, as the `postgres` user if
    /// the tests run as root.
    @discardableResult
    private func runServerProgram(_ arguments: [String]) throws -> String {
        try Self.run(
            Self.serverCommand(arguments, binDirectory: binDirectory, asPostgresUser: runsAsPostgresUser),
            in: socketDirectory)
    }

    /// `arguments` with the program's full path, behind `runuser -u postgres --` if `asPostgresUser`.
    private static func serverCommand(_ arguments: [String], binDirectory: String, asPostgresUser: Bool) -> [String] {
        let command = [binDirectory + "/" + (arguments.first ?? "")] + arguments.dropFirst()
        return asPostgresUser ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + command : command
    }

    /// Stops the server of the cluster in `directory` at once, if it runs, and deletes the folder.
    private static func removeCluster(in directory: String, binDirectory: String, asPostgresUser: Bool) {
        if FileManager.default.fileExists(atPath: directory + "/data/postmaster.pid") {
            let stop = ["pg_ctl", "-D", directory + "/data", "-m", "immediate", "-w", "-t", "60", "stop"]
            do {
                try run(serverCommand(stop, binDirectory: binDirectory, asPostgresUser: asPostgresUser), in: directory)
            } catch {
                let message = "PostgresServer: cannot stop the server in \(directory): \(error)\n"
                FileHandle.standardError.write(Data(message.utf8))
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - Once per process

    /// The start of every cluster's folder name.
    private static let directoryPrefix = "verifyd-pg-"
    /// The file in a cluster's folder that holds the process ID of the test process that owns it.
    private static let ownerFileName = "owner-pid"
    /// The exit status of `timeout` when the command's time ran out.
    private static let timedOutStatus: Int32 = 124

    /// The servers started and not removed yet, removed at exit by ``removeLiveServers()``.
    private static let liveServers = Mutex<[ObjectIdentifier: PostgresServer]>([:])

    /// The server ``shared()`` returns (or the failure to start it): started once, on first use.
    private static let sharedServer = Result { try start() }

    /// The folder of the PostgreSQL programs, found on first use. Before it is returned, the clusters of test
    /// processes that died without removing theirs are removed, and the exit handler that removes this
    /// process's clusters is registered.
    private static let processSetUp = Result {
        let binDirectory = try findBinDirectory()
        removeOrphanedClusters(binDirectory: binDirectory)
        atexit { PostgresServer.removeLiveServers() }
        return binDirectory
    }

    /// Removes every server not removed yet: the shared one, and any a test left. Runs at exit.
    private static func removeLiveServers() {
        for server in liveServers.withLock({ Array($0.values) }) { server.remove() }
    }

    /// Removes the clusters of test processes that ended without their exit handler (killed, crashed): each
    /// `verifyd-pg-…` folder whose owner file names a process that no longer exists.
    private static func removeOrphanedClusters(binDirectory: String) {
        let temporary = NSTemporaryDirectory() as NSString
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary as String)) ?? []
        for name in names where name.hasPrefix(directoryPrefix) {
            let directory = temporary.appendingPathComponent(name)
            guard let owner = try? String(contentsOfFile: directory + "/" + ownerFileName, encoding: .utf8),
                let pid = pid_t(owner.trimmingCharacters(in: .whitespacesAndNewlines)),
                kill(pid, 0) == -1, errno == ESRCH
            else { continue }
            removeCluster(in: directory, binDirectory: binDirectory, asPostgresUser: getuid() == 0)
        }
    }

    /// The `bin` folder of the newest `/usr/lib/postgresql/VERSION` (Debian's layout), or else the folder
    /// `pg_config --bindir` names, if it holds the programs the tests run.
    private static func findBinDirectory() throws -> String {
        let programs = ["initdb", "pg_ctl", "createdb", "psql"]
        func holdsPrograms(_ directory: String) -> Bool {
            programs.allSatisfy { FileManager.default.isExecutableFile(atPath: directory + "/" + $0) }
        }
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted { $0.compare($1, options: .numeric) == .orderedDescending }
        if let debian = versions.map({ "/usr/lib/postgresql/\($0)/bin" }).first(where: holdsPrograms) {
            return debian
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        if let pgConfig = path.split(separator: ":").map({ "\($0)/pg_config" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
            let reported = try? run([pgConfig, "--bindir"]).trimmingCharacters(in: .whitespacesAndNewlines),
            holdsPrograms(reported)
        {
            return reported
        }
        throw Failure.notInstalled
    }

    // MARK: - Commands

    /// Runs `command` (a program's path, then its arguments) in `directory` (else the current one) and returns
    /// its standard output and error together. It gets no standard input, no `PG…` variables (they could point
    /// a client at another server), no inherited descriptors (``closingInheritedDescriptors``), and 120 s: then
    /// `timeout` ends it. Throws ``Failure/commandFailed(command:status:output:)`` unless it exits 0.
    @discardableResult
    private static func run(_ command: [String], in directory: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        let timeLimit = ["/usr/bin/timeout", "--kill-after=5", "120"]
        process.arguments = ["-c", closingInheritedDescriptors, "bash"] + timeLimit + command
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        process.standardInput = FileHandle.nullDevice
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // One pipe, read to its end here: nothing else can fill up and block the child.
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure.commandFailed(
                command: command, status: process.terminationStatus, output: lastLines(of: text))
        }
        return text
    }

    /// A Bash program that runs its arguments as a command in a subshell that first closes every descriptor
    /// above 2. Foundation's `Process` leaves its child one end of a socket pair and reaps the child only once
    /// that end is closed everywhere: the server that `pg_ctl start` leaves running would hold it for good, and
    /// `waitUntilExit()` would never return. Bash itself keeps it open until the command ends.
    private static let closingInheritedDescriptors = """
        ( for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; (( fd > 2 )) && eval "exec $fd>&-"; done; exec "$@" )
        """

    /// The last 30 lines of `text`, for a failure's message.
    private static func lastLines(of text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(30).joined(separator: "\n")
    }

    /// `text` with every byte but the URI's unreserved ones and `/` percent-encoded (RFC 3986).
    private static func percentEncoded(_ text: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/".utf8)
        return text.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }
            .joined()
    }
}

extension PostgresServer {
    /// A new database on the test run's shared server (started on first use) and its address, waited for off Swift's
    /// cooperative pool: an `async` test that blocked a pool thread on it could starve the tests running beside it.
    static func newSharedDatabase() async throws -> (server: PostgresServer, address: String) {
        try await offThePool {
            let server = try shared()
            return (server, try server.createDatabase())
        }
    }
}
