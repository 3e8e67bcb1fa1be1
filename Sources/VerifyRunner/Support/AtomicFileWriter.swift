import Glibc

/// Writes a file under a temporary name, then renames it into place, so readers never see half a
/// file. Created with mode 0600 (owner only) unless told otherwise. Text is buffered in 64 KiB chunks; byte chunks are
/// written as they come. A writer dropped without ``commit()`` (a write failed: a full disk) removes
/// its temporary file.
final class AtomicFileWriter {
    private let path: String
    private let temporaryPath: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var committed = false

    /// Opens `PATH.tmp` for writing, created with `mode`.
    init(path: String, mode: mode_t = 0o600) throws(FileWriteError) {
        self.path = path
        self.temporaryPath = path + ".tmp"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw FileWriteError(path: temporaryPath, errno: errno) }
        // An existing temporary file (left by a crash) keeps its old mode; the umask may narrow a new one.
        fchmod(descriptor, mode)
        buffer.reserveCapacity(1 << 16)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if !committed { unlink(temporaryPath) }
    }

    /// Appends text.
    func write(_ text: String) throws(FileWriteError) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try drain() }
    }

    /// Appends bytes (after any buffered text), written straight to the file.
    func write(_ bytes: [UInt8]) throws(FileWriteError) {
        try drain()
        try writeAll(bytes)
    }

    /// Flushes, fsyncs and renames the file into place.
    func commit() throws(FileWriteError) {
        try drain()
        guard fsync(descriptor) == 0 else { throw FileWriteError(path: temporaryPath, errno: errno) }
        guard rename(temporaryPath, path) == 0 else { throw FileWriteError(path: path, errno: errno) }
        committed = true
    }

    private func drain() throws(FileWriteError) {
        try writeAll(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: [UInt8]) throws(FileWriteError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else {
                if written < 0, errno == EINTR { continue }
                throw FileWriteError(path: temporaryPath, errno: errno)
            }
            offset += written
        }
    }
}

@available(*, unavailable)
extension AtomicFileWriter: Sendable {}

/// A report or spool file could not be written.
public struct FileWriteError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The C error number.
    public var errno: Int32

    /// One line naming the file and the system's reason.
    public var description: String { "cannot write \(path): \(String(cString: strerror(errno)))" }
}
