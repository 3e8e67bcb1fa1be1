import Testing

@testable import VerifyRunner

/// The pump's pass as a table: what is waiting and how much room there is in, the plan out.
@Suite struct SendPlanTests {
    typealias Situation = SendPlan.Situation

    private static func situation(
        window: Int = 10, occupied: Int = 0, questions: Int = 0, reserve: Int = 0, ready: Int = 0,
        reserveTarget: Int = 0, reserveHeld: Int? = nil
    ) -> Situation {
        Situation(
            window: window, occupied: occupied, statusQuestions: questions, reserve: reserve, ready: ready,
            reserveTarget: reserveTarget, reserveHeld: reserveHeld ?? reserve)
    }

    /// The requests that leave, in their order: q = status question, r = from the reserve, n = new start.
    private static func letters(_ plan: SendPlan) -> String {
        String(repeating: "q", count: plan.statusQuestions) + String(repeating: "r", count: plan.fromReserve)
            + String(repeating: "n", count: plan.newStarts)
    }

    /// Case, situation, then the plan's requests (q = status question, r = from the reserve, n = new start)
    /// and its reserve starts; without a rate.
    @Test(arguments: [
        (
            "questions, then the reserve, then new starts",
            situation(questions: 3, reserve: 2, ready: 20, reserveTarget: 4), "qqqrrnnnnn", 4
        ),
        (
            "a full window sends nothing but tops the reserve up", situation(occupied: 10, ready: 20, reserveTarget: 4),
            "", 4
        ),
        ("a window partly taken", situation(occupied: 7, reserve: 1, ready: 20, reserveTarget: 2), "rnn", 2),
        ("the ready rows run out before the window is full", situation(ready: 3, reserveTarget: 4), "nnn", 0),
        (
            "the window is full and the reserve is short of rows", situation(occupied: 10, ready: 1, reserveTarget: 4),
            "", 1
        ),
        ("room in the window and nothing ready", situation(reserveTarget: 2, reserveHeld: 2), "", 0),
        (
            "a reserve held in commits counts as held",
            situation(occupied: 10, ready: 5, reserveTarget: 4, reserveHeld: 3), "", 1
        ),
    ])
    func planWithoutARate(case _: String, situation: Situation, requests: String, reserveStarts: Int) {
        var bucket = TokenBucket(rate: 0)
        let plan = SendPlan.plan(situation, bucket: &bucket, now: 0)
        #expect(Self.letters(plan) == requests)
        #expect(plan.reserveStarts == reserveStarts)
        #expect(plan.tokenWait == nil)
    }

    @Test func theRateStopsThePassAndSaysHowLongToWait() throws {
        var bucket = TokenBucket(rate: 100, capacity: 5)
        let plan = SendPlan.plan(Self.situation(questions: 2, ready: 20, reserveTarget: 3), bucket: &bucket, now: 50)
        #expect(Self.letters(plan) == "qqnnn")
        #expect(abs(try #require(plan.tokenWait) - 0.01) < 1e-9)
        #expect(plan.reserveStarts == 3, "marking rows ahead takes no token")
        let later = SendPlan.plan(Self.situation(ready: 12), bucket: &bucket, now: 50.02)
        #expect(Self.letters(later) == "nn", "two tokens earned in 20 ms at 100/s")
    }

    @Test func nothingWaitingTakesNoToken() {
        var bucket = TokenBucket(rate: 1, capacity: 1)
        _ = SendPlan.plan(Self.situation(), bucket: &bucket, now: 0)
        let plan = SendPlan.plan(Self.situation(ready: 1), bucket: &bucket, now: 0)
        #expect(Self.letters(plan) == "n")
    }
}
