import ArgumentParser
import Foundation
import Synchronization

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

/// Runs blocking `body` on a new thread and resumes with its result once that thread has ended, so a
/// cooperative-pool thread is never held while it waits.
///
/// The thread is joined before the caller resumes: a command's caller exits the process next, and `exit()` runs
/// OpenSSL's clean-up (libcurl and libpq use OpenSSL), which must not race the thread's own end, where OpenSSL
/// frees the thread's state: a process that exits while that thread is still ending can abort with a corrupted
/// heap.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let box = ResultBox<T>()
        let thread = startJoinableThread { box.set(Result { try body() }) }
        DispatchQueue.global().async {
            pthread_join(thread, nil)
            continuation.resume(with: box.result())
        }
    }
}

/// The result of ``onOwnThread(_:)``'s work, written by its thread and read once the thread has been joined.
private final class ResultBox<T: Sendable>: Sendable {
    private let outcome = Mutex<Result<T, any Error>?>(nil)

    /// Records what the work returned or threw.
    func set(_ result: Result<T, any Error>) { outcome.withLock { $0 = result } }

    /// What the work returned or threw (a cancellation if it never said).
    func result() -> Result<T, any Error> { outcome.withLock { $0 } ?? .failure(CancellationError()) }
}

/// Starts `work` on a thread of its own, created joinable (`pthread_create`), named `verifyd.blocking`, with the
/// main thread's usual 8 MiB of stack (the work is what `main()` would have run); returns the thread to join.
private func startJoinableThread(_ work: @escaping @Sendable () -> Void) -> pthread_t {
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, 8 << 20)
    var thread = pthread_t()
    let context = Unmanaged.passRetained(ThreadWork(work)).toOpaque()
    let status = pthread_create(
        &thread, &attributes,
        { context in
            guard let context else { return nil }
            Thread.current.name = "verifyd.blocking"
            Unmanaged<ThreadWork>.fromOpaque(context).takeRetainedValue().work()
            return nil
        }, context)
    precondition(status == 0, "pthread_create for the command's thread failed: \(status)")
    return thread
}

/// A closure handed to a new thread as `pthread_create`'s context.
private final class ThreadWork: Sendable {
    let work: @Sendable () -> Void

    /// Wraps `work`.
    init(_ work: @escaping @Sendable () -> Void) { self.work = work }
}
