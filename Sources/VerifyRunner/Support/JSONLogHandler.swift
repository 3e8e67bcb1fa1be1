import Glibc
public import Logging
import Synchronization

/// `--log-format json`: one JSON object per line on standard error, for log shippers and `jq`.
///
/// `{"time":"2026-11-27T03:04:05.678Z","level":"info","message":"job finished","job.id":"…","rows":"20"}`:
/// the time (UTC, ISO 8601), the level and the message first, then the metadata as string members
/// (a metadata key that would hide one of the first three is written with a `meta.` prefix).
public struct JSONLogHandler: LogHandler {
    /// The level below which messages are dropped.
    public var logLevel: Logger.Level = .info
    /// Metadata added to every line of this logger.
    public var metadata: Logger.Metadata = [:]

    /// Creates a handler writing to `descriptor` (standard error by default).
    public init(descriptor: Int32 = 2) { self.descriptor = descriptor }

    private let descriptor: Int32
    /// Lines from different threads must not interleave.
    private static let writeLock = Mutex(())

    /// One metadata value of this handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes the event as one JSON line.
    public func log(event: LogEvent) {
        var members: [(String, String)] = [
            ("time", JSONText.string(Timestamp.now())), ("level", JSONText.string(event.level.rawValue)),
            ("message", JSONText.string("\(event.message)")),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            let name = ["time", "level", "message"].contains(key) ? "meta." + key : key
            members.append((name, JSONText.string("\(value)")))
        }
        var line = JSONText.object(members) + "\n"
        Self.writeLock.withLock { _ in
            line.withUTF8 { bytes in
                guard let base = bytes.baseAddress else { return }
                var offset = 0
                while offset < bytes.count {
                    let written = write(descriptor, base + offset, bytes.count - offset)
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else { return }
                    offset += written
                }
            }
        }
    }
}
