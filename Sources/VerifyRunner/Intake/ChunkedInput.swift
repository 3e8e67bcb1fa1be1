#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The bytes of a job file, read one chunk at a time into a buffer that only grows as far as the
/// reader keeps bytes it has not consumed yet.
///
/// The unconsumed bytes are `buffer[start..<end]`. A reader looks at them with
/// ``withUnconsumedBytes(_:)`` (offsets relative to `start`), consumes what it has parsed, and calls
/// ``readMore()`` when it needs bytes past `end`; that call moves the unconsumed bytes to the front
/// of the buffer, so readers keep offsets relative to `start`, never absolute indexes.
/// Not thread-safe: it belongs to one reader.
final class ChunkedInput {
    /// Where the bytes come from.
    private enum Source {
        /// An open file descriptor, closed at end of file or in `deinit`.
        case file(Int32)
        /// In-memory bytes (tests), handed out `chunkSize` at a time from `offset`.
        case memory([UInt8], offset: Int)
        /// Everything was read.
        case exhausted
    }

    private var source: Source
    private let chunkSize: Int
    /// Storage; only `start..<end` holds meaningful bytes.
    private var buffer: [UInt8]
    /// Index of the first unconsumed byte.
    private var start = 0
    /// One past the last byte read so far.
    private var end = 0

    /// Opens `path` for reading. A symbolic link is never followed, and only a regular file is read
    /// (a FIFO or a device would block or never end).
    ///
    /// - Throws: ``JobFileError`` when the file cannot be opened or is not a regular file.
    init(path: String, chunkSize: Int) throws(JobFileError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if descriptor < 0 {
            if errno == ELOOP {
                throw JobFileError(
                    reason: "the file is a symbolic link, and verifyd never follows links: copy the file itself in")
            }
            throw JobFileError(reason: "cannot open file: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw JobFileError(reason: "not a regular file")
        }
        self.source = .file(descriptor)
        self.chunkSize = max(1, chunkSize)
        self.buffer = [UInt8](repeating: 0, count: self.chunkSize)
    }

    /// Serves `bytes` as if they were a file read `chunkSize` bytes at a time.
    init(bytes: [UInt8], chunkSize: Int) {
        self.source = .memory(bytes, offset: 0)
        self.chunkSize = max(1, chunkSize)
        self.buffer = [UInt8](repeating: 0, count: self.chunkSize)
    }

    deinit {
        if case .file(let descriptor) = source {
            close(descriptor)
        }
    }

    /// How many bytes are read but not consumed.
    var unconsumedCount: Int { end - start }

    /// Marks the first `count` unconsumed bytes as consumed.
    func consume(_ count: Int) {
        precondition(count >= 0 && count <= end - start, "consumed more bytes than were read")
        start += count
    }

    /// Calls `body` with the unconsumed bytes; offsets in it are relative to the first unconsumed byte.
    func withUnconsumedBytes<R, E: Error>(
        _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R
    ) throws(E) -> R {
        let (start, end) = (self.start, self.end)
        return try buffer.withUnsafeBufferPointer { (all) throws(E) -> R in
            try body(UnsafeBufferPointer(rebasing: all[start..<end]))
        }
    }

    /// Reads the next chunk after the unconsumed bytes, keeping those.
    ///
    /// - Returns: `false` at the end of the input (nothing was added).
    /// - Throws: ``JobFileError`` on a read error.
    func readMore() throws(JobFileError) -> Bool {
        if start > 0 {
            let count = end - start
            let from = start
            buffer.withUnsafeMutableBufferPointer { storage in
                guard let base = storage.baseAddress, count > 0 else { return }
                base.update(from: base + from, count: count)
            }
            start = 0
            end = count
        }
        if buffer.count < end + chunkSize {
            buffer.append(contentsOf: repeatElement(0, count: end + chunkSize - buffer.count))
        }
        let added: Int
        switch source {
        case .exhausted:
            return false
        case .memory(let bytes, let offset):
            added = min(chunkSize, bytes.count - offset)
            buffer.replaceSubrange(end..<(end + added), with: bytes[offset..<(offset + added)])
            source = added == 0 ? .exhausted : .memory(bytes, offset: offset + added)
        case .file(let descriptor):
            added = try Self.readChunk(descriptor, into: &buffer, at: end, count: chunkSize)
            if added == 0 {
                close(descriptor)
                source = .exhausted
            }
        }
        end += added
        return added > 0
    }

    /// Skips a UTF-8 byte order mark at the start of the input.
    ///
    /// - Throws: ``JobFileError`` when the input starts with a UTF-16 byte order mark, or on a read
    ///   error.
    func skipByteOrderMark() throws(JobFileError) {
        while unconsumedCount < 3, try readMore() {}
        let head = withUnconsumedBytes { Array($0.prefix(3)) }
        if head == [0xEF, 0xBB, 0xBF] {
            consume(3)
        } else if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) {
            throw JobFileError(reason: "UTF-16 text is not supported: save the file as UTF-8")
        }
    }

    /// Consumes bytes up to and including the next line feed, reading as needed but keeping nothing.
    ///
    /// - Returns: `true` if a line feed was consumed, `false` if the input ended first.
    func discardThroughNewline() throws(JobFileError) -> Bool {
        while true {
            let newline = withUnconsumedBytes { $0.firstNewline() }
            if let newline {
                consume(newline + 1)
                return true
            }
            consume(unconsumedCount)
            guard try readMore() else { return false }
        }
    }

    /// Reads up to `count` bytes from `descriptor` into `buffer[offset...]`, retrying on `EINTR`.
    ///
    /// - Returns: the number of bytes read; 0 at end of file.
    private static func readChunk(
        _ descriptor: Int32, into buffer: inout [UInt8], at offset: Int, count: Int
    ) throws(JobFileError) -> Int {
        while true {
            let result = buffer.withUnsafeMutableBufferPointer { storage in
                read(descriptor, storage.baseAddress.map { $0 + offset }, count)
            }
            if result >= 0 {
                return result
            }
            let code = errno
            if code != EINTR {
                throw JobFileError(reason: "cannot read file: \(String(cString: strerror(code)))")
            }
        }
    }
}
