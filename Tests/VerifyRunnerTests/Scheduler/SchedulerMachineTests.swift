import Testing

@testable import VerifyRunner

/// The scheduler's decisions as tables: each scenario is a run of steps, each step the events that happened
/// at a moment and the actions the machine then asks for, written short:
/// `load>N` (rows after N), `startN` (mark N in flight to leave after the commit), `markN` (mark N for the
/// reserve), `sendN`, `askN` (status question), `tokens?N` (ask the shared bucket), `waitNms` (for a token),
/// `commit?` (schedule the group commit), `commit` / `commit+marks` (commit now, with in-flight marks),
/// `rateR/windowW`, `handBack[…][…]`, `lookUp`, `wake@T` (come back when a send window opens at T), `end:…`.
@Suite struct SchedulerMachineTests {
    typealias Event = SchedulerMachine.Event

    /// What happened at `now`, and the actions expected after it.
    struct Step: CustomTestStringConvertible {
        var now: Double
        var events: [Event]
        var expected: String
        var testDescription: String { expected }
    }

    /// A scenario: its name, the machine's settings and its steps.
    struct Scenario: CustomTestStringConvertible {
        var name: String
        var settings: SchedulerMachine.Settings
        var steps: [Step]
        var testDescription: String { name }
    }

    private static func settings(concurrency: Int, rate: Double = 0, loadBatch: Int = 100, shared: Bool = false)
        -> SchedulerMachine.Settings
    {
        .init(concurrency: concurrency, rate: rate, loadBatch: loadBatch, sharedRate: shared)
    }

    private static func at(_ now: Double, _ events: [Event], _ expected: String) -> Step {
        Step(now: now, events: events, expected: expected)
    }

    /// A load's answer: `rows` handed over in order.
    private static func loaded(_ rows: Range<Int>, exhausted: Bool = true) -> [Event] {
        [.loaded(last: rows.last, exhausted: exhausted)] + rows.map { .rowReady($0, first: false) }
    }

    private static func answers(_ count: Int, _ answer: RateController.Answer = .accepted) -> [Event] {
        Array(repeating: .answered(answer), count: count)
    }

    /// The short form of `actions`.
    private static func short(_ actions: [SchedulerMachine.Action]) -> String {
        actions.map { action in
            switch action {
            case .load(let after, _): "load>\(after)"
            case .start(let sequence, let intoReserve): intoReserve ? "mark\(sequence)" : "start\(sequence)"
            case .send(let sequence): "send\(sequence)"
            case .askStatus(let sequence): "ask\(sequence)"
            case .askForTokens(let size, _, _): "tokens?\(size)"
            case .waitForToken(let seconds): "wait\(Int((seconds * 1000).rounded()))ms"
            case .scheduleCommit: "commit?"
            case .commit(let marksStarts): marksStarts ? "commit+marks" : "commit"
            case .rateChanged(let change): "rate\(Int(change.rate ?? 0))/window\(change.window)"
            case .handBack(let reserve, let questions): "handBack\(reserve)\(questions)"
            case .lookUpInDoubtRows: "lookUp"
            case .end(.finished): "end:finished"
            case .end(.stopped): "end:stopped"
            case .end(.paused(let reason)): "end:paused(\(reason))"
            case .wakeAtWindow(let opensAt): "wake@\(Int(opensAt))"
            case .end(.waitingForWindow(let rows, let opensAt)): "end:window(\(rows)@\(Int(opensAt)))"
            }
        }.joined(separator: " ")
    }

    /// `prefix` and each number of `range`, e.g. `send0 send1`.
    private static func each(_ prefix: String, _ range: Range<Int>) -> String {
        range.map { "\(prefix)\($0)" }.joined(separator: " ")
    }

    static let scenarios: [Scenario] = [
        Scenario(
            name: "a row is marked in flight, committed, then sent; the job ends once every answer is recorded",
            settings: settings(concurrency: 4),
            steps: [
                at(0, [], "load>-1"),
                at(0, loaded(0..<3), "start0 start1 start2 commit?"),
                at(0, [.commitDue], "commit+marks"),
                at(0, [.committed], "send0 send1 send2"),
                at(0, answers(2) + [.wrote], "commit?"),
                at(0, [.commitDue], "commit"),
                at(0, answers(1) + [.wrote], ""),
                at(0, [.committed], "commit? end:finished"),
                at(0, [.commitDue], ""),
            ]),
        Scenario(
            name: "an answer frees a place and a start from the reserve leaves at once, without waiting for a commit",
            settings: settings(concurrency: 4),
            steps: [
                at(0, loaded(0..<8), "start0 start1 start2 start3 mark4 mark5 commit?"),
                at(0, [.commitDue], "commit+marks"),
                at(0, [.committed], "send0 send1 send2 send3"),
                at(0, answers(1), "send4 mark6 commit?"),
                at(0, answers(1), "send5 mark7"),
            ]),
        Scenario(
            name: "answers that arrive during a commit join the next one: one commit at a time",
            settings: settings(concurrency: 2),
            steps: [
                at(0, loaded(0..<2), "start0 start1 commit?"),
                at(0, [.commitDue], "commit+marks"),
                at(0, [.wrote], ""),
                at(0, [.committed], "send0 send1 commit?"),
                at(0, [.commitDue], "commit"),
            ]),
        Scenario(
            name: "rows are loaded while the ready ones last, after the last one loaded",
            settings: settings(concurrency: 4, loadBatch: 10),
            steps: [
                at(0, [], "load>-1"),
                at(0, [], ""),
                at(0, loaded(0..<10, exhausted: false), "start0 start1 start2 start3 mark4 mark5 load>9 commit?"),
                at(0, loaded(10..<12, exhausted: true), ""),
            ]),
        Scenario(
            name: "status questions go first and need no commit; a row put back goes before the line",
            settings: settings(concurrency: 2),
            steps: [
                at(
                    0, [.loaded(last: nil, exhausted: true), .statusQuestion(7), .rowReady(1, first: false)],
                    "ask7 start1 commit?"),
                at(0, [.commitDue], "commit+marks"),
                at(0, [.committed, .rowReady(2, first: false), .rowReady(3, first: true)], "send1 mark3 commit?"),
                at(0, answers(1), "start2"),
            ]),
        Scenario(
            name: "a stop sends nothing new, waits for the answers in the air, and hands back the reserve",
            settings: settings(concurrency: 2),
            steps: [
                at(0, loaded(0..<3), "start0 start1 mark2 commit?"),
                at(0, [.commitDue], "commit+marks"),
                at(0, [.stopRequested], ""),
                at(0, [.committed], "send0 send1"),
                at(0, answers(1), ""),
                at(0, answers(1), "handBack[2][] end:stopped"),
                at(0, answers(1), ""),
            ]),
        Scenario(
            name: "a pause comes before a stop, and waits for the request still in the air",
            settings: settings(concurrency: 2),
            steps: [
                at(0, loaded(0..<2), "start0 start1 commit?"),
                at(0, [.commitDue], "commit+marks"),
                at(0, [.committed], "send0 send1"),
                at(0, [.paused(reason: "bad key"), .rowReady(5, first: true)] + answers(1), ""),
                at(0, [.paused(reason: "another")], ""),
                at(0, [.stopRequested] + answers(1), "end:paused(bad key)"),
            ]),
        Scenario(
            name: "a start the row refuses, and a request that cannot be built, hold no place",
            settings: settings(concurrency: 2),
            steps: [
                at(0, loaded(0..<2), "start0 start1 commit?"),
                at(0, [.withdrawn(0), .commitDue], "commit+marks"),
                at(0, [.committed], "send1"),
                at(0, [.withdrawn(1)], "end:finished"),
            ]),
        Scenario(
            name: "a row waiting for its retry keeps the job open",
            settings: settings(concurrency: 2),
            steps: [
                at(0, [.loaded(last: nil, exhausted: true), .waitStarted], ""),
                at(5, [.waitEnded, .rowReady(3, first: true)], "start3 commit?"),
                at(5, [.commitDue], "commit+marks"),
                at(5, [.committed], "send3"),
                at(5, answers(1), "end:finished"),
            ]),
        Scenario(
            name: "rows in doubt left alone are looked up at once; the job ends once they are resolved",
            settings: settings(concurrency: 2),
            steps: [
                at(0, [.loaded(last: nil, exhausted: true), .inDoubt(unresolved: true, waiting: true)], "lookUp"),
                at(0, [.inDoubt(unresolved: true, waiting: false)], ""),
                at(0, [.inDoubt(unresolved: false, waiting: false)], "end:finished"),
            ]),
        Scenario(
            name: "the rate: a token per request, one wait at a time, and the reserve marked meanwhile",
            settings: settings(concurrency: 4, rate: 10),
            steps: [
                at(0, loaded(0..<4), "start0 mark1 mark2 wait100ms commit?"),
                at(0.05, [.commitDue], "commit+marks"),
                at(0.05, [.committed], "send0"),
                at(0.1, [.tokenWaitOver], "send1 mark3 wait100ms commit?"),
            ]),
        Scenario(
            name:
                "the account's 429s cut the rate and the window: a full window sends nothing, then one token a second",
            settings: settings(concurrency: 30),
            steps: [
                at(0, loaded(0..<30), each("start", 0..<30) + " commit?"),
                at(0, [.commitDue], "commit+marks"),
                at(0, [.committed], each("send", 0..<30)),
                at(0, answers(20, .throttled(concurrentRequests: 10)), ""),
                at(
                    0.5, answers(1, .throttled(concurrentRequests: 10)) + [.rowReady(0, first: true)],
                    "rate1/window9 mark0 commit?"),
                at(0.5, [.commitDue], "commit+marks"),
                at(0.5, [.committed], ""),
                at(0.6, answers(1), "send0"),
                at(0.7, answers(1) + [.rowReady(1, first: true)], "mark1 wait900ms commit?"),
            ]),
        Scenario(
            name:
                "a shared store's tokens: asked for when none are left, never during a wait or while an ask is under "
                + "way, one commit for both",
            settings: settings(concurrency: 2, rate: 100, shared: true),
            steps: [
                at(0, loaded(0..<3), "tokens?5"),
                at(0.001, [], ""),
                at(0.002, [.tokensGranted(RateGrant(granted: 1, wait: 0.02))], "start0 mark1 wait20ms commit?"),
                at(0.01, [], ""),
                at(0.02, [.tokenWaitOver], "tokens?5"),
                at(0.02, [], ""),
                at(0.02, [.tokensGranted(RateGrant(granted: 5, wait: 0))], "start2"),
                at(0.02, [.commitDue], "commit+marks"),
                at(0.02, [.committed], "send0 send2"),
                at(0.03, answers(1), "send1"),
                at(0.04, answers(2), "end:finished"),
            ]),
        Scenario(
            name: "rows outside their send window wait unmarked; its opening, an event, makes them ready in order",
            settings: settings(concurrency: 4),
            steps: [
                at(
                    0,
                    [
                        .loaded(last: 3, exhausted: true), .rowReady(0, first: false),
                        .waitsForWindow(1, opensAt: 5_000), .waitsForWindow(2, opensAt: 3_600),
                        .waitsForWindow(3, opensAt: 3_600),
                    ],
                    "start0 wake@3600 commit?"),
                at(0, [.commitDue], "commit+marks"),
                at(0, [.committed], "send0"),
                at(1, [.windowOpened(now: 3_000)], ""),
                at(2, [.windowOpened(now: 3_600)], "start2 start3 wake@5000 commit?"),
                at(2, [.commitDue], "commit+marks"),
                at(2, [.committed], "send2 send3"),
                at(3, answers(3) + [.wrote], "commit? end:window(1@5000)"),
            ]),
        Scenario(
            name: "once only rows waiting for their window are left, the run ends saying how many and when",
            settings: settings(concurrency: 4),
            steps: [
                at(
                    0,
                    [
                        .loaded(last: 2, exhausted: true), .rowReady(0, first: false),
                        .waitsForWindow(1, opensAt: 9_000), .waitsForWindow(2, opensAt: 7_200),
                    ],
                    "start0 wake@7200 commit?"),
                at(0, [.commitDue], "commit+marks"),
                at(0, [.committed], "send0"),
                at(1, answers(1) + [.wrote], "commit? end:window(2@7200)"),
            ]),
        Scenario(
            name: "a stop ends the run stopped, whatever waits for its window",
            settings: settings(concurrency: 4),
            steps: [
                at(
                    0,
                    [
                        .loaded(last: 1, exhausted: true), .rowReady(0, first: false),
                        .waitsForWindow(1, opensAt: 60),
                    ],
                    "start0 wake@60 commit?"),
                at(0, [.commitDue], "commit+marks"),
                at(0, [.committed, .stopRequested], "send0"),
                at(1, answers(1), "end:stopped"),
            ]),
    ]

    @Test(arguments: scenarios)
    func scenario(_ scenario: Scenario) {
        var machine = SchedulerMachine(settings: scenario.settings)
        for (index, step) in scenario.steps.enumerated() {
            for event in step.events { machine.handle(event, now: step.now) }
            let actions = Self.short(machine.next(now: step.now))
            #expect(actions == step.expected, "step \(index + 1)")
        }
    }

    @Test func afterTheEndNothingMoreIsAsked() {
        var machine = SchedulerMachine(settings: Self.settings(concurrency: 2))
        machine.handle(.loaded(last: nil, exhausted: true), now: 0)
        #expect(Self.short(machine.next(now: 0)) == "end:finished")
        machine.handle(.rowReady(1, first: false), now: 0)
        #expect(machine.next(now: 0).isEmpty)
    }

    @Test func theReserveIsHalfTheWindowAndAtMost256() {
        #expect(SchedulerMachine(settings: Self.settings(concurrency: 1)).reserveTarget == 0)
        #expect(SchedulerMachine(settings: Self.settings(concurrency: 100)).reserveTarget == 50)
        #expect(SchedulerMachine(settings: Self.settings(concurrency: 2000)).reserveTarget == 256)
    }
}
