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
    private let process: Process

    private init(process: Process, baseURL: String) {
        self.process = process
        self.baseURL = baseURL
    }

    /// Starts the sandbox and waits until it prints the port it listens on.
    static func start(extraArguments: [String] = []) async throws -> SandboxProcess {
        try await offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: BuiltBinary.path)
            process.arguments = ["sandbox", "--port", "0"] + extraArguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
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
            // Keep draining stdout so the sandbox never blocks on a full pipe.
            _ = Drain(out.fileHandleForReading)
            return SandboxProcess(process: process, baseURL: String(seen[range]))
        }
    }

    /// Stops the sandbox and waits for it to exit.
    func stop() async throws {
        let process = self.process
        try await offThePool {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    /// What the sandbox counted so far (`GET /_sandbox/stats`).
    func stats() async throws -> SandboxCounts {
        let body = try await HTTPFetch.fetch(.get, baseURL + "/_sandbox/stats")
        guard let json = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw SandboxError.badStats
        }
        return SandboxCounts(json: json)
    }

    /// Switches every fault and the jitter off for good (`POST /_sandbox/faults/off`).
    func switchFaultsOff() async throws {
        _ = try await HTTPFetch.fetch(.post, baseURL + "/_sandbox/faults/off")
    }

    /// Polls the stats (bounded: about 30 s) until the sandbox has received `count` starts, or `run`
    /// has ended; returns the starts seen.
    func waitForStarts(_ count: Int, of run: Process) async throws -> Int {
        var starts = 0
        for _ in 0..<1500 where starts < count && run.isRunning {
            starts = try await stats().starts
            if starts < count { try await Task.sleep(for: .milliseconds(20)) }
        }
        return starts
    }

    /// Why the sandbox could not be used.
    enum SandboxError: Error {
        case exited(String)
        case badStats
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

    init(json: [String: Any]) {
        requests = json["requests"] as? Int ?? -1
        starts = json["starts"] as? Int ?? -1
        checks = json["checks"] as? Int ?? -1
        statusQueries = json["statusQueries"] as? Int ?? -1
        startsByNumber = json["startsByNumber"] as? [String: Int] ?? [:]
        deliveredByNumber = json["deliveredByNumber"] as? [String: Int] ?? [:]
        responsesByStatus = json["responsesByStatus"] as? [String: Int] ?? [:]
        faults = json["faults"] as? [String: Int] ?? [:]
    }
}

/// One request without a body over the project's own curl transport.
enum HTTPFetch {
    static func fetch(_ method: HTTPRequest.Method, _ url: String) async throws -> [UInt8] {
        let transport = try CurlTransport(configuration: .init())
        defer { transport.shutdown() }
        let response: Result<HTTPResponse, TransportFailure> = await withCheckedContinuation { continuation in
            transport.send(
                HTTPRequest(method: method, url: url), timeout: .seconds(10), on: DispatchQueue(label: "fetch")
            ) { continuation.resume(returning: $0) }
        }
        return try response.get().body
    }
}
