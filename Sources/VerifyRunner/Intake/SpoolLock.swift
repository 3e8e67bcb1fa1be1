import Foundation

/// The one `verifyd run` allowed per spool: an exclusive `flock(2)` on `SPOOL/.verifyd.lock`, held
/// for the life of the process (the kernel releases it when the process ends, even by kill -9).
///
/// Claiming by `rename(2)` alone would keep two runs from claiming one file, but both would then
/// send the unfinished jobs of the store they share: so a second run on a locked spool refuses to
/// start, naming the process that holds it.
public final class SpoolLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock of `spool`, which must exist (``Spool/prepare()``).
    ///
    /// - Throws: ``SpoolError/locked(path:holder:)`` when another process holds it.
    public init(spool: Spool) throws {
        let path = spool.root + "/.verifyd.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw SpoolError.lockFailed(path: path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            var holder = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &holder, holder.count, 0)
            close(descriptor)
            guard code == EWOULDBLOCK else { throw SpoolError.lockFailed(path: path, errno: code) }
            let pid = String(decoding: holder.prefix(max(0, count)), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw SpoolError.locked(path: spool.root, holder: pid.isEmpty ? "unknown" : pid)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }
}
