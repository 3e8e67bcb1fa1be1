import ArgumentParser
import Foundation
import VerifyRunner

/// `verifyd runners [--json] [--lease D]`: the runners a store has seen — id, host, pid, when each started and
/// was last seen, how many requests it sent, and whether it is alive (seen within its lease), gone (ended, or not
/// seen for its lease) or lost (another runner found it gone and may have taken its rows: `lost_to`).
struct RunnersCommand: BlockingCommand {
    static let configuration = CommandConfiguration(
        commandName: "runners", abstract: "Show the runners working on the store (a PostgreSQL --db).")

    @OptionGroup var spoolOptions: SpoolOptions

    @Flag(name: .long, help: "Print JSON for scripts.")
    var json = false

    @Option(
        name: .long,
        help: "A runner not seen for this long is gone, if it did not record its own --lease (an older verifyd).")
    var lease = "30s"

    func validate() throws {
        guard DurationText.parse(lease) != nil else {
            throw ValidationError("--lease must be a whole number and s, m, h or d, e.g. 30s, not '\(lease)'")
        }
    }

    func runBlocking() throws {
        let store: any RunnerRegistry = try spoolOptions.openStore(creating: false)
        let lease = DurationText.parse(lease) ?? .seconds(30)
        let now = Timestamp.nowSeconds()
        let rows = try store.runners().map { runner in
            (
                runner: runner,
                state: runner.lostAt != nil ? "lost" : runner.isAlive(lease: lease, now: now) ? "alive" : "gone"
            )
        }
        if json {
            let objects: [[String: Any]] = rows.map { row in
                [
                    "id": row.runner.id, "host": row.runner.host, "pid": row.runner.pid,
                    "started_at": row.runner.startedAt, "last_seen": Timestamp.iso8601(row.runner.lastSeen),
                    "sent": row.runner.sent, "state": row.state, "ended_at": row.runner.endedAt ?? NSNull(),
                    "lost_to": row.runner.lostTo ?? NSNull(),
                ]
            }
            let data = try JSONSerialization.data(
                withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            return print(String(decoding: data, as: UTF8.self))
        }
        guard !rows.isEmpty else { return print("no runner has worked on \(store.location)") }
        let header = ["ID", "HOST", "PID", "STARTED", "LAST SEEN", "SENT", "STATE"]
        let lines = rows.map { row in
            [
                row.runner.id, row.runner.host, "\(row.runner.pid)", row.runner.startedAt,
                Timestamp.iso8601(row.runner.lastSeen), "\(row.runner.sent)",
                row.runner.lostTo.map { "lost to \($0)" } ?? row.state,
            ]
        }
        let widths = header.indices.map { column in ([header] + lines).map { $0[column].count }.max() ?? 0 }
        for line in [header] + lines {
            print(
                zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }
}
