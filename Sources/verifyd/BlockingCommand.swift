import ArgumentParser
import Foundation

/// A command whose work blocks (the store, files, a run that waits for its scheduler): the root command is
/// async, so ``runBlocking()`` is carried out on a thread of its own, never on Swift's cooperative pool.
protocol BlockingCommand: AsyncParsableCommand, Sendable {
    /// The command's work; it may block its thread as long as it needs.
    func runBlocking() throws
}

extension BlockingCommand {
    func run() async throws {
        try await onOwnThread { try runBlocking() }
    }
}

/// Runs blocking `body` on a new thread and resumes with its result, so a cooperative-pool thread is never
/// held while it waits.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = "verifyd.blocking"
        thread.stackSize = 8 << 20  // the main thread's usual 8 MiB: the work is what main() would have run
        thread.start()
    }
}
