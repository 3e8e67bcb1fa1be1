import Foundation

/// The spool folders (docs/contract.md, "The spool"), under one root.
public struct Spool: Sendable, Equatable {
    /// The spool root (`--spool`).
    public var root: String

    /// Creates a spool description; nothing is touched on disk until ``prepare()``.
    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    /// Where operators drop files.
    public var incoming: String { root + "/incoming" }
    /// Files the daemon has claimed.
    public var processing: String { root + "/processing" }
    /// Input files whose job finished.
    public var done: String { root + "/done" }
    /// Files that cannot be read as a job, with `NAME.error.txt`.
    public var rejected: String { root + "/rejected" }
    /// Reports, one folder per job.
    public var reports: String { root + "/reports" }
    /// The default state store.
    public var defaultDatabase: String { root + "/verifyd.sqlite" }

    /// The report folder of one job.
    public func reportDirectory(jobID: String) -> String { reports + "/" + jobID }

    /// Creates the folders that are missing (mode 0750; reports 0700).
    public func prepare() throws {
        for (path, mode) in [
            (root, 0o750), (incoming, 0o750), (processing, 0o750), (done, 0o750),
            (rejected, 0o750), (reports, 0o700),
        ] {
            try Self.makeFolder(at: path, mode: mode)
        }
    }

    /// Creates `reports/` when it is missing, for the commands that write report files into a spool without
    /// working it (`report`, `outcomes`). They never create a spool, so the root must be there.
    ///
    /// - Throws: ``SpoolError/missing(path:)`` when there is no spool folder at the root.
    public func prepareReports() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SpoolError.missing(path: root)
        }
        try Self.makeFolder(at: reports, mode: 0o700)
    }

    /// Creates the folder at `path` with `mode` (and the folders above it) unless it is there.
    ///
    /// - Throws: ``SpoolError/notADirectory(path:)`` when something else than a folder is there.
    private static func makeFolder(at path: String, mode: Int) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw SpoolError.notADirectory(path: path) }
            return
        }
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
    }
}

/// Why the spool cannot be used or a file cannot be moved.
public enum SpoolError: Error, Equatable, CustomStringConvertible {
    /// A spool path exists but is not a folder.
    case notADirectory(path: String)
    /// There is no spool folder at the path (given to a command that never creates one).
    case missing(path: String)
    /// A rename or copy failed.
    case moveFailed(from: String, to: String, errno: Int32)
    /// A file given to `submit` is not there or not a regular file.
    case notAFile(path: String)
    /// A file given to `submit` has an extension verifyd does not read.
    case unsupportedExtension(path: String)
    /// Another `verifyd run` (process id `holder`) works on the spool.
    case locked(path: String, holder: String)
    /// The spool's lock file cannot be opened or locked.
    case lockFailed(path: String, errno: Int32)

    /// One line naming the problem.
    public var description: String {
        switch self {
        case .notADirectory(let path): return "\(path) exists but is not a directory"
        case .missing(let path): return "no spool at \(path)"
        case .moveFailed(let from, let to, let code):
            return "cannot move \(from) to \(to): \(String(cString: strerror(code)))"
        case .notAFile(let path): return "\(path) is not a readable regular file"
        case .unsupportedExtension(let path): return "\(path): only .csv and .jsonl files are accepted"
        case .locked(let path, let holder):
            return "another verifyd run (process \(holder)) is working on the spool \(path); one run per spool"
        case .lockFailed(let path, let code): return "cannot lock \(path): \(String(cString: strerror(code)))"
        }
    }
}
