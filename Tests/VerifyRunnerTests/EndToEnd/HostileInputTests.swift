import Foundation
import Testing
import VerifyRunner

/// The built `verifyd` against the files real exports and a shared spool produce: every bad
/// input gets a specific answer, and none costs a request, a crash or a lost row.
@Suite(.serialized) struct HostileInputTests {
    /// The reports of every job in a spool, by the input file's name (as `status --json` names it).
    private static func reports(in spool: String) throws -> [String: [[String: String]]] {
        var reports: [String: [[String: String]]] = [:]
        let store = try JobStores.open(spool + "/verifyd.sqlite", creating: true)
        for job in try store.jobs() where job.state == .finished {
            let reader = try CSVReader(path: spool + "/reports/\(job.id)/report.csv", delimiter: UInt8(ascii: ","))
            var rows: [[String: String]] = []
            while let item = try reader.next() {
                guard case .row(let row) = item else { continue }
                rows.append(Dictionary(uniqueKeysWithValues: zip(reader.columns, row.values)))
            }
            reports[job.fileName] = rows
        }
        return reports
    }

    /// The `NAME.error.txt` notes in `rejected/`, by file name.
    private static func rejections(in spool: String) throws -> [String: String] {
        var notes: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: spool + "/rejected")
        where name.hasSuffix(".error.txt") {
            notes[String(name.dropLast(".error.txt".count))] = try String(
                contentsOfFile: spool + "/rejected/" + name, encoding: .utf8)
        }
        return notes
    }

    /// One dry run over a spool of broken, foreign and hostile files: each gets its specific outcome.
    @Test func everyKindOfBadFileGetsItsOwnAnswer() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let files: [(String, [UInt8])] = [
            ("semicolon.csv", Array("Phone Number;Country Code;name\n2025550101;1;\"a;b\"\n+12025550102;;c\n".utf8)),
            ("tab.csv", Array("MSISDN\tref\n+12025550103\tx\n".utf8)),
            ("bom.csv", [0xEF, 0xBB, 0xBF] + Array("phone\n+12025550104\n".utf8)),
            ("utf16.csv", [0xFF, 0xFE] + Array("phone_number\n".utf8).flatMap { [$0, 0] }),
            (
                "badutf8.csv",
                Array("phone_number,name\n+12025550105,".utf8) + [0xFF] + Array("x\n+12025550106,ok\n".utf8)
            ),
            (
                "quotes.csv",
                Array("phone_number,note\n+12025550107,\"two\nlines\"\n+12025550108,\"open\n+12025550109,after\n".utf8)
            ),
            ("blanks.csv", Array("phone_number\n\n   \n+12025550110\n\t\n".utf8)),
            ("headeronly.csv", Array("phone_number,country_code\n".utf8)),
            ("empty.csv", []),
            (
                "longline.csv",
                Array(
                    ("phone_number,note\n+12025550111," + String(repeating: "x", count: 70_000) + "\n+12025550112,ok\n")
                        .utf8)
            ),
            ("big.csv", Array(("phone_number\n" + String(repeating: "+12025550113\n", count: 20_000)).utf8)),
            (
                "numbers.csv",
                Array(
                    """
                    phone_number,country_code
                    2.02555E+09,1
                    00442079460123,
                    07911 123456,44
                    1-800-FLOWERS,1
                    +999123456,
                    +1202,
                    =cmd|' /C calc'!A0,1
                    (202) 555-0114,+1

                    """.utf8)
            ),
            (
                "numbers.jsonl",
                Array(#"{"phone_number": 12025550115}"#.utf8) + [10]
                    + Array(#"{"phone_number":"+12025550116","note":"=HYPERLINK(\"http://x\")"}"#.utf8) + [10]
            ),
            ("list ü\nnew.csv", Array("phone_number\n+12025550117\n".utf8)),
        ]
        for (name, bytes) in files {
            let path = spool.path + "/incoming/" + name
            try FileManager.default.createDirectory(atPath: spool.path + "/incoming", withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        let outside = try spool.write("phone_number\n+12025550118\n", to: "outside.csv")
        try FileManager.default.createSymbolicLink(
            atPath: spool.path + "/incoming/link.csv", withDestinationPath: outside)
        try FileManager.default.createDirectory(
            atPath: spool.path + "/incoming/folder.csv", withIntermediateDirectories: false)
        try spool.write("not a job", to: "incoming/notes.txt")

        let run = try await BuiltBinary.run([
            "run", "--once", "--dry-run", "--spool", spool.path, "--max-file-size", "100K", "--settle", "0s",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr.suffix(3000))")
        let reports = try Self.reports(in: spool.path)
        let rejected = try Self.rejections(in: spool.path)
        func rows(_ name: String) -> [[String: String]] { reports[name] ?? [] }
        func outcome(_ name: String, line: Int) -> String {
            guard let row = rows(name).first(where: { $0["line"] == "\(line)" }) else { return "no row" }
            return [row["status"], row["e164"], row["message"]].compactMap { $0 }.filter { !$0.isEmpty }
                .joined(separator: " ")
        }

        // Separators and header spellings.
        #expect(outcome("semicolon.csv", line: 2) == "would_send +12025550101")
        #expect(rows("semicolon.csv").first?["name"] == "a;b")
        #expect(outcome("semicolon.csv", line: 3) == "would_send +12025550102")
        #expect(outcome("tab.csv", line: 2) == "would_send +12025550103")
        #expect(outcome("bom.csv", line: 2) == "would_send +12025550104")
        // Encodings.
        #expect(rejected["utf16.csv"]?.contains("UTF-16 text is not supported: save the file as UTF-8") == true)
        #expect(outcome("badutf8.csv", line: 2) == "invalid invalid UTF-8 at byte 14")
        #expect(outcome("badutf8.csv", line: 3) == "would_send +12025550106")
        // Quotes, blank lines, a header only, an empty file, a long line, a large file.
        #expect(outcome("quotes.csv", line: 2) == "would_send +12025550107")
        #expect(rows("quotes.csv").first?["note"] == "two\nlines")
        #expect(outcome("quotes.csv", line: 4).hasPrefix("invalid unterminated quoted field"))
        #expect(outcome("quotes.csv", line: 5) == "would_send +12025550109", "the rest of the file is read")
        #expect(rows("blanks.csv").map { $0["line"] } == ["4"])
        #expect(reports["headeronly.csv"]?.isEmpty == true, "a header only is a finished job of 0 rows")
        #expect(rejected["empty.csv"]?.contains("empty file") == true)
        #expect(outcome("longline.csv", line: 2) == "invalid line longer than 65536 bytes")
        #expect(outcome("longline.csv", line: 3) == "would_send +12025550112")
        #expect(rejected["big.csv"]?.contains("more than --max-file-size 102400") == true, "\(rejected)")
        // Numbers.
        #expect(
            outcome("numbers.csv", line: 2).hasPrefix("invalid")
                && outcome("numbers.csv", line: 2).contains("scientific"))
        #expect(outcome("numbers.csv", line: 3) == "would_send +442079460123")
        #expect(outcome("numbers.csv", line: 4) == "would_send +447911123456")
        #expect(outcome("numbers.csv", line: 5) == "invalid contains letters")
        #expect(outcome("numbers.csv", line: 6).hasPrefix("invalid unknown country code"))
        #expect(outcome("numbers.csv", line: 7) == "invalid too short for region US")
        #expect(outcome("numbers.csv", line: 9) == "would_send +12025550114")
        #expect(outcome("numbers.jsonl", line: 1).hasPrefix("invalid phone_number is a JSON number"))
        // Spreadsheet safety: a formula is neutralized, a phone number is not.
        let numberRows = rows("numbers.csv")
        #expect(
            numberRows.first { $0["line"] == "8" }?["phone_number"] == "'=cmd|' /C calc'!A0",
            "a formula gets a quote mark")
        #expect(numberRows.first { $0["line"] == "9" }?["country_code"] == "+1", "a country code with + is left alone")
        #expect(rows("numbers.jsonl").last?["note"] == "'=HYPERLINK(\"http://x\")")
        // The spool: odd names work, links are rejected unread, folders and other files are left alone.
        #expect(outcome("list ü\nnew.csv", line: 2) == "would_send +12025550117")
        #expect(FileManager.default.fileExists(atPath: spool.path + "/done/list ü\nnew.csv"))
        #expect(run.stdout.contains("list ü\\u{a}new.csv: finished"), "a newline in a name cannot forge an output line")
        #expect(rejected["link.csv"]?.contains("symbolic link") == true)
        #expect(FileManager.default.fileExists(atPath: outside), "the link's target is untouched")
        #expect(FileManager.default.fileExists(atPath: spool.path + "/incoming/folder.csv"))
        #expect(FileManager.default.fileExists(atPath: spool.path + "/incoming/notes.txt"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path + "/processing").isEmpty)
    }

    /// A file that is still changing (a writer that does not rename it in) is claimed only once it has
    /// been unchanged for `--settle`; `--once` waits for it.
    @Test func aFileStillBeingWrittenIsClaimedOnlyOnceItSettles() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let file = try spool.write(EndToEndTests.mobilesCSV(count: 3), to: "incoming/growing.csv")
        // A writer that goes on changing the file, every 20 ms on a thread of its own, until the run says it waits for
        // it: however late the run starts or the test's own task runs, the file is never still for --settle before.
        let writer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "growing-file-writer"))
        writer.schedule(deadline: .now(), repeating: .milliseconds(20))
        writer.setEventHandler {
            try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: file)
        }
        writer.activate()
        defer { writer.cancel() }
        let stderrFile = spool.path + "/stderr.txt"
        let run = try BuiltBinary.start(
            ["run", "--once", "--dry-run", "--spool", spool.path, "--settle", "1s"], stderrFile: stderrFile)
        _ = try await BuiltBinary.waitForLine(
            containing: "waiting for files in incoming/ to stop changing", in: stderrFile, of: run)
        writer.cancel()
        #expect(try await run.exitStatus() == 0)
        #expect(try Report(spool: spool.path).rows.count == 3, "then it was read whole")
    }

    /// A file dated a year ahead of this machine's clock would never look settled by its time stamp: `--once`
    /// still finishes, claiming it once it has been unchanged for `--settle` by this machine's own clock, and
    /// says what it did.
    @Test func aFileDatedInTheFutureIsClaimedOnceItHasNotChangedForTheSettleTime() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let file = try spool.write(EndToEndTests.mobilesCSV(count: 3), to: "incoming/ahead.csv")
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(365 * 86_400)], ofItemAtPath: file)
        let run = try await BuiltBinary.run(["run", "--once", "--dry-run", "--spool", spool.path, "--settle", "1s"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("a file in incoming/ is dated in the future"), "stderr: \(run.stderr)")
        #expect(run.stderr.contains("ahead.csv"), "stderr: \(run.stderr)")
        #expect(try Report(spool: spool.path).rows.count == 3)
    }

    /// A file the daemon cannot read (its permissions) is rejected with the reason, once: it is moved
    /// out of `incoming/`, so it is not retried in a loop. Root reads anything, so the run is made
    /// unprivileged for the file: it runs in a user namespace where the file's owner does not exist.
    @Test func anUnreadableFileIsRejectedOnceWithTheReason() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let file = try spool.write("phone_number\n+12025550119\n", to: "incoming/secret.csv")
        #expect(chown(file, 54_321, 54_321) == 0 || getuid() != 0)
        #expect(chmod(file, 0o000) == 0)
        let run = try await BuiltBinary.run(
            ["run", "--once", "--dry-run", "--spool", spool.path, "--settle", "0s"],
            launcher: getuid() == 0 ? ["/usr/bin/unshare", "--map-root-user"] : [])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("rejected — cannot open file: Permission denied"), "stdout: \(run.stdout)")
        let note = try String(contentsOfFile: spool.path + "/rejected/secret.csv.error.txt", encoding: .utf8)
        #expect(note == "secret.csv: cannot open file: Permission denied\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path + "/incoming").isEmpty)
    }

    /// Two runs on one spool: the second refuses to start, naming the first, so no job is sent twice.
    @Test func aSecondRunOnTheSameSpoolRefusesToStart() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let stderrFile = spool.path + "/daemon.log"
        let daemon = try BuiltBinary.start(
            ["run", "--spool", spool.path, "--api-base", "http://127.0.0.1:9", "--metrics-port", "0"],
            environment: SandboxProcess.credentials, stderrFile: stderrFile)
        // The daemon takes the spool's lock before it opens its store and then its metrics port: once it says it
        // serves its metrics, it holds the lock.
        _ = try await BuiltBinary.waitForLine(containing: "serving metrics", in: stderrFile, of: daemon)
        let holder = try String(contentsOfFile: spool.path + "/.verifyd.lock", encoding: .utf8)
            .trimmingCharacters(in: .newlines)
        try #require(holder == "\(daemon.processIdentifier)", "the daemon holds the lock")

        let second = try await BuiltBinary.run(
            ["run", "--once", "--spool", spool.path, "--api-base", "http://127.0.0.1:9"],
            environment: SandboxProcess.credentials)
        #expect(second.status == 1)
        #expect(second.stderr.contains("another verifyd run (process \(holder)) is working on the spool"))
        daemon.terminate()
        #expect(try await daemon.exitStatus() == 0)
        let after = try await BuiltBinary.run(["run", "--once", "--dry-run", "--spool", spool.path])
        #expect(after.status == 0, "the lock ends with its process: \(after.stderr)")
    }

    /// `--cooldown`: a number another job sent successfully within the window is `skipped`, not sent.
    @Test func theCooldownSkipsNumbersSentByAnEarlierJob() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        let arguments = ["run", "--once", "--spool", spool.path, "--api-base", sandbox.baseURL, "--settle", "0s"]
        try spool.write(EndToEndTests.mobilesCSV(count: 3), to: "incoming/monday.csv")
        let first = try await BuiltBinary.run(arguments, environment: SandboxProcess.credentials)
        try #require(first.status == 0, "stderr: \(first.stderr)")
        try spool.write(EndToEndTests.mobilesCSV(count: 5), to: "incoming/tuesday.csv")
        let second = try await BuiltBinary.run(
            arguments + ["--cooldown", "24h"], environment: SandboxProcess.credentials)
        #expect(second.status == 0, "stderr: \(second.stderr)")

        let tuesday = try Self.reports(in: spool.path)["tuesday.csv"] ?? []
        #expect(tuesday.map { $0["status"] } == ["skipped", "skipped", "skipped", "sent", "sent"])
        #expect(tuesday.first?["message"] == "sent successfully by an earlier job within --cooldown 24h")
        let counts = try await sandbox.stats()
        #expect(counts.deliveredByNumber.count == 5)
        #expect(counts.deliveredByNumber.values.allSatisfy { $0 == 1 }, "no number got a second code")
    }

    /// Secrets never leave: not in the output, the reports or the store; a key file others can read is
    /// refused; there is no flag that would put a key on the command line; TLS cannot be turned off and
    /// plain http is for loopback only.
    @Test func secretsStayOutOfOutputReportsAndTheStore() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        let secret = "sk-live-SECRET-7f3a9c"
        let keyFile = try spool.write(secret + "\n", to: "keys/authy.key")
        try spool.write(EndToEndTests.mobilesCSV(count: 3), to: "spool/incoming/list.csv")
        let arguments = [
            "run", "--once", "--spool", spool.path + "/spool", "--api-base", sandbox.baseURL, "--api-key-file", keyFile,
            "--settle", "0s",
        ]

        #expect(chmod(keyFile, 0o644) == 0)
        let readable = try await BuiltBinary.run(arguments)
        #expect(readable.status == 1)
        #expect(readable.stderr.contains("is readable by others (mode 644); run chmod 600"), "\(readable.stderr)")

        // systemd's LoadCredential= folder is private to the service whatever the mode of the files in it
        // (since systemd 254 an ACL, shown as 0440): a key there is accepted.
        #expect(chmod(keyFile, 0o440) == 0)
        let credential = try await BuiltBinary.run(
            arguments, environment: ["CREDENTIALS_DIRECTORY": spool.path + "/keys"])
        #expect(credential.stderr.contains("job paused"), "the key was read and sent: \(credential.stderr)")

        #expect(chmod(keyFile, 0o600) == 0)
        let refused = try await BuiltBinary.run(arguments)
        #expect(refused.status == 1, "the sandbox refuses the key: the job is paused")
        #expect(refused.stderr.contains("job paused"), "\(refused.stderr)")
        var everything =
            refused.stdout + refused.stderr + readable.stdout + readable.stderr + credential.stdout
            + credential.stderr
        let spoolFiles = FileManager.default.enumerator(atPath: spool.path + "/spool")?.allObjects as? [String] ?? []
        for file in spoolFiles {
            if let data = FileManager.default.contents(atPath: spool.path + "/spool/" + file) {
                everything += String(decoding: data, as: UTF8.self)
            }
        }
        #expect(!everything.contains(secret) && !everything.contains("7f3a9c"), "the key appears nowhere")
        #expect(spoolFiles.contains("verifyd.sqlite"))

        let onTheCommandLine = try await BuiltBinary.run(["run", "--once", "--api-key", secret])
        #expect(onTheCommandLine.status == 64, "no option takes a key on the command line")
        let plainHTTP = try await BuiltBinary.run(["run", "--once", "--api-base", "http://api.example.com"])
        #expect(plainHTTP.status == 64)
        #expect(plainHTTP.stderr.contains("plain http:// is accepted only for loopback hosts"))
        let help = try await BuiltBinary.run(["run", "--help"])
        #expect(!help.stdout.lowercased().contains("insecure") && !help.stdout.lowercased().contains("verify-peer"))
    }

    /// Reports and the store are the owner's only; the spool's folders are group-readable at most.
    @Test func filesAreCreatedWithOwnerOnlyModes() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let list = try spool.write(EndToEndTests.mobilesCSV(count: 2), to: "elsewhere/modes.csv")
        let submitted = try await BuiltBinary.run(["submit", list, "--spool", spool.path + "/spool"])
        try #require(submitted.status == 0, "stderr: \(submitted.stderr)")
        let run = try await BuiltBinary.run([
            "run", "--once", "--dry-run", "--spool", spool.path + "/spool", "--settle", "0s",
        ])
        try #require(run.status == 0, "stderr: \(run.stderr)")
        func mode(_ path: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: spool.path + "/spool/" + path)[.posixPermissions] as? Int)
                ?? -1
        }
        let job = try #require(try JobStores.open(spool.path + "/spool/verifyd.sqlite", creating: true).jobs().first)
        #expect(try mode("verifyd.sqlite") == 0o600)
        #expect(try mode("reports") == 0o700)
        #expect(try mode("reports/\(job.id)") == 0o700)
        for file in ["report.csv", "report.jsonl", "summary.json"] {
            #expect(try mode("reports/\(job.id)/\(file)") == 0o600, "\(file)")
        }
        for folder in ["", "incoming", "processing", "done", "rejected"] {
            #expect(try mode(folder) == 0o750, "\(folder)")
        }
    }

    /// A number is masked in the log (`+1202*****00`) unless `--log-numbers`.
    @Test func numbersInTheLogAreMaskedUnlessAskedFor() async throws {
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        for logNumbers in [false, true] {
            let spool = try TemporaryDirectory()
            defer { spool.remove() }
            // A landline: the sandbox refuses SMS to it with an error code, which is logged once.
            try spool.write("phone_number\n+12025550000\n", to: "incoming/landline.csv")
            let run = try await BuiltBinary.run(
                ["run", "--once", "--spool", spool.path, "--api-base", sandbox.baseURL, "--settle", "0s"]
                    + (logNumbers ? ["--log-numbers"] : []),
                environment: SandboxProcess.credentials)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(run.stderr.contains("error_code=60082"), "the error class is logged: \(run.stderr)")
            #expect(run.stderr.contains("+12025550000") == logNumbers)
            #expect(run.stderr.contains("+1202*****00") == !logNumbers)
        }
    }

    /// TLS peer verification is on: a server with a self-signed certificate is refused.
    @Test func aServerWithASelfSignedCertificateIsRefused() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let generate = Process()
        generate.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        generate.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", folder.path + "/key.pem", "-out",
            folder.path + "/cert.pem",
        ]
        generate.standardOutput = FileHandle.nullDevice
        generate.standardError = FileHandle.nullDevice
        try generate.run()
        try #require(try await generate.exitStatus() == 0, "openssl made a certificate")
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [
            "python3", "-c",
            """
            import http.server, ssl, sys
            server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[1], sys.argv[2])
            server.socket = context.wrap_socket(server.socket, server_side=True)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """,
            folder.path + "/cert.pem", folder.path + "/key.pem",
        ]
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: python's TLS accept loop was seen to outlive a SIGTERM; a test leaves no process behind.
        defer { kill(server.processIdentifier, SIGKILL) }
        let port = try await offThePool {
            String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try #require(Int(port) != nil, "the TLS server is listening: \(port)")

        let check = try await BuiltBinary.run(
            ["check", "--phone", "+12025550189", "--code", "123456", "--api-base", "https://127.0.0.1:\(port)"],
            environment: SandboxProcess.credentials)
        #expect(check.status == 1)
        #expect(check.stderr.lowercased().contains("certificate"), "stderr: \(check.stderr)")
    }
}
