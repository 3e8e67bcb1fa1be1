import Dispatch
import Logging
import Synchronization

@testable import VerifyRunner

/// An ``InDoubtLookUp`` that knows the answer for each number at once: unlike V1 (a status question per row) and
/// V2 (listings of the Attempts API, after a margin), it reports every row it is handed right away, as `findings`
/// says (``InDoubtFinding/unanswered(_:)`` for a number it does not know).
final class ScriptedLookUp: InDoubtLookUp, @unchecked Sendable {
    // @unchecked: touched only on the scheduler's queue, as the protocol promises.

    private let findings: [String: InDoubtFinding]
    private var queue: DispatchQueue?
    private var report: (@Sendable (InDoubtLookUpReport) -> Void)?
    private var handed: [(sequence: Int, e164: String)] = []
    /// Reports handed to the queue and not yet delivered: their rows are still held.
    private var reporting = 0
    /// The numbers it was asked about, in order.
    private(set) var asked: [String] = []

    /// Creates the look-up with its answers by number.
    init(findings: [String: InDoubtFinding]) {
        self.findings = findings
    }

    func begin(on queue: DispatchQueue, report: @escaping @Sendable (InDoubtLookUpReport) -> Void) {
        self.queue = queue
        self.report = report
    }

    func add(sequence: Int, e164: String, sentAt: Double, leftBy: Double, now: Double) {
        handed.append((sequence, e164))
        asked.append(e164)
    }

    func lookUpDue(now: Double, jobIsIdle: Bool) -> Double? {
        guard !handed.isEmpty, let queue, let report else { return nil }
        let unknown = ProviderResult(verdict: .retryable(retryAfter: nil, mayHaveBeenProcessed: true), message: "?")
        let found = handed.map { (sequence: $0.sequence, finding: findings[$0.e164] ?? .unanswered(unknown)) }
        handed.removeAll()
        reporting += 1
        queue.async {
            self.reporting -= 1
            report(InDoubtLookUpReport(findings: found, requests: 0))
        }
        return nil
    }

    var holdsRows: Bool { !handed.isEmpty || reporting > 0 }

    var hasWaitingRows: Bool { false }
}

/// A provider defined only here: Authy V1's requests and answers, but rows in doubt go to a look-up of its own
/// (``ScriptedLookUp``, made by its ``ScriptedCompanion``) instead of V1's status question, and outcomes are read
/// in bulk from the same script.
struct LookUpProvider: VerificationProvider {
    private let v1 = AuthyV1Provider(baseURL: "http://127.0.0.1:1", apiKey: "key")
    /// The companion every run of this provider gets.
    let companion: ScriptedCompanion

    /// A provider whose look-ups find `findings` and whose outcomes are `outcomes`, by number.
    init(findings: [String: InDoubtFinding], outcomes: [String: VerificationOutcome] = [:]) {
        companion = ScriptedCompanion(findings: findings, outcomes: outcomes)
    }

    var name: ProviderName { ProviderName(declaring: "scripted-look-up") }

    func request(for target: VerificationTarget) -> HTTPRequest { v1.request(for: target) }

    func interpret(_ response: HTTPResponse, for target: VerificationTarget) -> ProviderResult {
        v1.interpret(response, for: target)
    }

    var inDoubtQuestion: InDoubtQuestion { .lookUp }

    func statusRequest(for target: VerificationTarget) -> HTTPRequest? { nil }

    func interpretStatus(_ response: HTTPResponse) -> Bool? { nil }

    func makeCompanion(
        transport: any HTTPTransport, timeout: Duration, metrics: RunMetrics?
    ) -> (any ProviderCompanion)? { companion }

    func outcomeRequest(providerID: String) -> HTTPRequest? { nil }

    func interpretOutcome(_ response: HTTPResponse) -> VerificationOutcome? { nil }
}

/// ``LookUpProvider``'s companion: a ``ScriptedLookUp`` per run, and outcomes by number from its script.
final class ScriptedCompanion: ProviderCompanion {
    private let findings: [String: InDoubtFinding]
    private let outcomes: [String: VerificationOutcome]
    private let made = Mutex<[ScriptedLookUp]>([])

    /// Creates the companion with its answers by number.
    init(findings: [String: InDoubtFinding], outcomes: [String: VerificationOutcome]) {
        self.findings = findings
        self.outcomes = outcomes
    }

    /// The numbers its look-ups were asked about, in order (read once the runs have ended).
    var asked: [String] { made.withLock { $0 }.flatMap(\.asked) }

    func makeInDoubtLookUp(
        margin: Duration, logger: Logger, answeredRequests: @escaping @Sendable (ClosedRange<Int>) -> Int
    ) -> any InDoubtLookUp {
        let lookUp = ScriptedLookUp(findings: findings)
        made.withLock { $0.append(lookUp) }
        return lookUp
    }

    func readOutcomes(
        of jobs: [JobRecord], rows: [[SentRow]], configuration: OutcomeCollector.Configuration, now: Double,
        on queue: DispatchQueue,
        completion: @escaping @Sendable (Result<[[VerificationOutcome?]], OutcomeCollector.Failure>) -> Void
    ) {
        let outcomes = rows.map { $0.map { self.outcomes[$0.e164] } }
        queue.async { completion(.success(outcomes)) }
    }

    func stop() {}
}
