import Dispatch
import Foundation
import Synchronization
import VerifyRunner

/// `verifyd sandbox --port 0` as a child process, for end-to-end tests over real sockets.
final class SandboxProcess: Sendable {
    /// The sandbox's default credentials, as the environment of a `verifyd run` against it.
    static let credentials: [String: String] = [
        "AUTHY_API_KEY": "sandbox-api-key",
        "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000000",
        "TWILIO_AUTH_TOKEN": "sandbox-auth-token",
        "VERIFY_SERVICE_SID": "VA00000000000000000000000000000000",
    ]

    /// `http://127.0.0.1:PORT`.
    let baseURL: String
    /// The codes the sandbox printed on its standard output, as they come.
    let codes: SandboxCodes
    private let process: Process

    private init(process: Process, baseURL: String, codes: SandboxCodes) {
        self.process = process
        self.baseURL = baseURL
        self.codes = codes
    }

    /// Starts the sandbox and waits until it prints the port it listens on; its standard error goes to
    /// `stderrFile` if given.
    static func start(extraArguments: [String] = [], stderrFile: String? = nil) async throws -> SandboxProcess {
        try await offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: BuiltBinary.path)
            process.arguments = ["sandbox", "--port", "0"] + extraArguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            if let stderrFile { process.standardError = try FileHandle.emptyFileForWriting(at: stderrFile) }
            try process.run()
            var seen = ""
            while !seen.contains("\n") || !seen.contains("listening on ") {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { throw SandboxError.exited(seen) }
                seen += String(decoding: chunk, as: UTF8.self)
            }
            guard let range = seen.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) else {
                throw SandboxError.exited(seen)
            }
            // Keep reading stdout (the code lines) so the sandbox never blocks on a full pipe.
            let codes = SandboxCodes(reading: out.fileHandleForReading, after: seen)
            return SandboxProcess(process: process, baseURL: String(seen[range]), codes: codes)
        }
    }

    /// Stops the sandbox (SIGTERM) and waits for it to exit; returns its exit status.
    @discardableResult
    func stop() async throws -> Int32 {
        let process = self.process
        return try await offThePool {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// What the sandbox counted so far (`GET /_sandbox/stats`).
    func stats() async throws -> SandboxCounts {
        try await stats(query: "")
    }

    /// What the sandbox counted once it has received `count` starts, or after `bound` seconds with the counts as
    /// they are (`GET /_sandbox/stats?wait_for_starts=N&timeout_ms=T`, a long poll: the sandbox answers as the
    /// start that reaches the count arrives).
    func stats(whenStartsReach count: Int, bound: Double = 120) async throws -> SandboxCounts {
        try await stats(query: "?wait_for_starts=\(count)&timeout_ms=\(Int(bound * 1000))", timeout: bound + 10)
    }

    /// `GET /_sandbox/stats` with a query.
    private func stats(query: String, timeout: Double = 10) async throws -> SandboxCounts {
        let request = HTTPRequest(method: .get, url: baseURL + "/_sandbox/stats" + query)
        let body = try await HTTPFetch.send(request, timeout: .seconds(timeout)).body
        guard let json = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw SandboxError.badStats
        }
        return SandboxCounts(json: json)
    }

    /// Starts a V2 verification of `e164` through the sandbox, as any client of the account would; returns the
    /// HTTP status of the answer (201: a code was sent).
    func startV2(_ e164: String) async throws -> Int {
        let credentials = Self.credentials
        let provider = VerifyV2Provider(
            baseURL: baseURL, accountSID: credentials["TWILIO_ACCOUNT_SID"] ?? "",
            authToken: credentials["TWILIO_AUTH_TOKEN"] ?? "", serviceSID: credentials["VERIFY_SERVICE_SID"] ?? "")
        let target = VerificationTarget(
            e164: e164, countryCode: 1, nationalNumber: String(e164.dropFirst(2)), kind: .start, channel: .sms)
        return try await HTTPFetch.send(provider.request(for: target)).status
    }

    /// Switches every fault and the jitter off for good (`POST /_sandbox/faults/off`).
    func switchFaultsOff() async throws {
        _ = try await HTTPFetch.fetch(.post, baseURL + "/_sandbox/faults/off")
    }

    /// Ends the lifetime of every code the sandbox still holds (`POST /_sandbox/codes/expire`).
    func expireCodes() async throws {
        _ = try await HTTPFetch.fetch(.post, baseURL + "/_sandbox/codes/expire")
    }

    /// Waits until the sandbox has received `count` starts (a long poll of its stats) or `run` has ended,
    /// whichever comes first, and returns the starts received by then. The long poll's timeout, `bound` seconds, is
    /// only a safety net: the starts received by then are returned, and the caller's check fails.
    func waitForStarts(_ count: Int, of run: Process, bound: Double = 120) async throws -> Int {
        let reached: SandboxCounts? = await firstOf(
            { report in Task { report(try? await self.stats(whenStartsReach: count, bound: bound)) } },
            ProcessEnds.source(run, nil))
        if let reached { return reached.starts }
        // The run ended first: its long poll is left to time out (or to fail when the sandbox stops).
        return try await stats().starts
    }

    /// Arms `signal` for the process ``ArmedSignal/aim(at:)`` names, to be sent the moment the sandbox has received
    /// `count` starts: a long poll of its stats, whose answer sends the signal where it arrives, on a Dispatch queue.
    /// Arm it before the process starts sending: a test's task, which a busy test run may resume seconds late,
    /// would let the process go on far past the count. With `continueAfter`, SIGCONT follows from a Dispatch timer
    /// that long after the signal (a pause of that length). `bound` seconds is only the long poll's safety net.
    func arm(_ signal: Int32, atStarts count: Int, continueAfter: Duration? = nil, bound: Double = 120) throws
        -> ArmedSignal
    {
        try ArmedSignal(
            signal, atStarts: count, continueAfter: continueAfter,
            poll: HTTPRequest(
                method: .get, url: baseURL + "/_sandbox/stats?wait_for_starts=\(count)&timeout_ms=\(Int(bound * 1000))"),
            timeout: .seconds(bound + 10))
    }

    /// Why the sandbox could not be used.
    enum SandboxError: Error {
        case exited(String)
        case badStats
    }
}

/// A signal sent to a process once the sandbox has received a number of starts (``SandboxProcess/arm(_:atStarts:bound:)``).
final class ArmedSignal: Sendable {
    /// The process to signal, and what the long poll answered.
    private struct State {
        var target: Process?
        /// The starts the long poll answered with, once it has.
        var starts: Int?
        /// Whether the signal was sent.
        var sent = false
        /// Who waits for the answer.
        var waiters: [@Sendable () -> Void] = []
    }

    private let transport: CurlTransport
    private let state: Mutex<State>

    fileprivate init(
        _ signal: Int32, atStarts count: Int, continueAfter: Duration?, poll: HTTPRequest, timeout: Duration
    ) throws {
        state = Mutex(State())
        transport = try CurlTransport(configuration: .init())
        // The answer holds this until it comes; ``sent(orEndOf:)`` shuts the transport down, which ends the poll.
        transport.send(poll, timeout: timeout, on: DispatchQueue(label: "armed signal")) { [self] outcome in
            let json = (try? outcome.get()).flatMap { try? JSONSerialization.jsonObject(with: Data($0.body)) }
            let starts = (json as? [String: Any]).map(SandboxCounts.init(json:))?.starts ?? 0
            let waiters = state.withLock { state in
                state.starts = starts
                if starts >= count, let target = state.target, target.isRunning {
                    kill(target.processIdentifier, signal)
                    state.sent = true
                    if let pause = continueAfter {
                        let pid = target.processIdentifier
                        let seconds = Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18
                        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { kill(pid, SIGCONT) }
                    }
                }
                defer { state.waiters = [] }
                return state.waiters
            }
            waiters.forEach { $0() }
        }
    }

    /// Names the process to signal.
    func aim(at process: Process) { state.withLock { $0.target = process } }

    /// Waits for the long poll's answer, or for `process` to end, whichever comes first: the starts by the signal,
    /// `nil` when none was sent.
    func sent(orEndOf process: Process) async -> Int? {
        defer { transport.shutdown() }
        let outcome: @Sendable () -> Int? = { self.state.withLock { $0.sent ? $0.starts : nil } }
        return await firstOf(
            { report in
                let answered = self.state.withLock { state in
                    if state.starts == nil { state.waiters.append { report(outcome()) } }
                    return state.starts != nil
                }
                if answered { report(outcome()) }
            },
            ProcessEnds.source(process, nil))
    }
}

/// The sandbox's counters, as the tests read them.
struct SandboxCounts {
    /// Requests received, whatever their answer.
    let requests: Int
    /// Start requests that passed authentication, those refused for their number included.
    let starts: Int
    /// Start requests per E.164 number.
    let startsByNumber: [String: Int]
    /// Verifications actually created (codes sent) per E.164 number.
    let deliveredByNumber: [String: Int]
    /// Check requests received.
    let checks: Int
    /// Status queries received.
    let statusQueries: Int
    /// Answers per HTTP status, e.g. `"429"`.
    let responsesByStatus: [String: Int]
    /// Injected faults by name (`"429"`, `"drop_after"`, `"hang"`…).
    let faults: [String: Int]
    /// Requests to the Verification Attempts API (`/v2/Attempts…`).
    let attemptRequests: Int

    init(json: [String: Any]) {
        requests = json["requests"] as? Int ?? -1
        starts = json["starts"] as? Int ?? -1
        checks = json["checks"] as? Int ?? -1
        statusQueries = json["statusQueries"] as? Int ?? -1
        startsByNumber = json["startsByNumber"] as? [String: Int] ?? [:]
        deliveredByNumber = json["deliveredByNumber"] as? [String: Int] ?? [:]
        responsesByStatus = json["responsesByStatus"] as? [String: Int] ?? [:]
        faults = json["faults"] as? [String: Int] ?? [:]
        attemptRequests = json["attemptRequests"] as? Int ?? -1
    }
}

/// One request without a body over the project's own curl transport.
enum HTTPFetch {
    /// The body of the answer to a request without a body.
    static func fetch(_ method: HTTPRequest.Method, _ url: String) async throws -> [UInt8] {
        try await send(HTTPRequest(method: method, url: url)).body
    }

    /// The answer to `request`, which may take up to `timeout`.
    static func send(_ request: HTTPRequest, timeout: Duration = .seconds(10)) async throws -> HTTPResponse {
        let transport = try CurlTransport(configuration: .init())
        defer { transport.shutdown() }
        let response: Result<HTTPResponse, TransportFailure> = await withCheckedContinuation { continuation in
            transport.send(request, timeout: timeout, on: DispatchQueue(label: "fetch")) {
                continuation.resume(returning: $0)
            }
        }
        return try response.get()
    }
}

/// The code lines `verifyd sandbox` prints on its standard output (`… code for +12025550101 is 123456`, one
/// per code sent, re-sends included), read on a thread of their own as they come, so a test can wait for
/// the sandbox to have sent a number of codes instead of polling its counters.
final class SandboxCodes: Sendable {
    /// What has been read, and who waits for more.
    private struct State {
        /// Code lines per number, in the order they were sent.
        var byNumber: [String: [String]] = [:]
        /// Code lines read.
        var count = 0
        /// The output ended (the sandbox exited).
        var ended = false
        /// Callbacks waiting for a count, called once it is reached or the output ends.
        var waiters: [(count: Int, notify: @Sendable () -> Void)] = []
    }

    private let state = Mutex(State())

    /// Starts reading `handle`, whose first bytes were `start` (the banner, maybe followed by code lines).
    init(reading handle: FileHandle, after start: String) {
        PipeLines.read(
            handle, after: Array(start.utf8), lines: { [self] in $0.forEach(record) }, end: { [self] _ in finish() })
    }

    /// Every code sent to `number`, oldest first.
    func codes(for number: String) -> [String] { lines(for: number).map(Self.code(of:)) }

    /// Every code line printed for `number` (its time, the code, whether it was sent again), oldest first.
    func lines(for number: String) -> [String] { state.withLock { $0.byNumber[number] ?? [] } }

    /// The latest code sent to `number`.
    func code(for number: String) -> String? { codes(for: number).last }

    /// Code lines read so far.
    var count: Int { state.withLock { $0.count } }

    /// Calls `notify` once the sandbox has printed at least `count` codes (or its output ended), on the
    /// reading thread, or at once.
    func whenCounted(_ count: Int, _ notify: @escaping @Sendable () -> Void) {
        let ready = state.withLock { state in
            guard state.count < count, !state.ended else { return true }
            state.waiters.append((count, notify))
            return false
        }
        if ready { notify() }
    }

    /// Returns once the sandbox has printed at least `count` codes (or its output ended).
    func waitFor(_ count: Int) async {
        await withCheckedContinuation { continuation in whenCounted(count) { continuation.resume() } }
    }

    /// Returns once the sandbox has printed at least `count` codes, or `run` has exited: whichever comes
    /// first. Returns the codes printed by then.
    func waitFor(_ count: Int, orExitOf run: Process) async -> Int {
        await firstOf({ report in self.whenCounted(count) { report(()) } }, ProcessEnds.source(run, ()))
        return self.count
    }

    /// Reads one line: `… code for NUMBER is CODE[ (sent again)]`.
    private func record(_ line: String) {
        guard let marker = line.range(of: " code for "),
            let isRange = line.range(of: " is ", range: marker.upperBound..<line.endIndex)
        else { return }
        let number = String(line[marker.upperBound..<isRange.lowerBound])
        let ready = state.withLock { state in
            state.byNumber[number, default: []].append(line)
            state.count += 1
            let ready = state.waiters.filter { $0.count <= state.count }
            state.waiters.removeAll { $0.count <= state.count }
            return ready
        }
        ready.forEach { $0.notify() }
    }

    /// The code of a code line.
    private static func code(of line: String) -> String {
        guard let isRange = line.range(of: " is ", options: .backwards) else { return "" }
        return String(line[isRange.upperBound...].prefix { $0.isNumber })
    }

    private func finish() {
        let waiting = state.withLock { state in
            state.ended = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiting.forEach { $0.notify() }
    }
}
