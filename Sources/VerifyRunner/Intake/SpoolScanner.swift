import Foundation

/// Finds job files in `incoming/` and claims them by atomic rename into `processing/`.
///
/// A claimed file is named `JOB_ID--NAME`, so the job id survives a crash between the rename and
/// the store write: ``orphans(knownJobIDs:)`` finds such files at start-up. Two daemons on one
/// spool never both claim a file: `rename(2)` of the same source succeeds for only one of them.
public struct SpoolScanner: Sendable {
    /// The separator between job id and original name in `processing/`.
    static let separator = "--"
    /// The spool.
    public let spool: Spool

    /// Creates a scanner.
    public init(spool: Spool) { self.spool = spool }

    /// Whether `name` in `incoming/` is a job file to claim: `.csv` or `.jsonl`, not hidden, not a
    /// temporary name (`.tmp`, `.part`), per docs/contract.md, "The spool".
    public static func isCandidate(_ name: String) -> Bool {
        let lower = name.lowercased()
        guard !name.hasPrefix("."), !lower.hasSuffix(".tmp"), !lower.hasSuffix(".part") else { return false }
        return lower.hasSuffix(".csv") || lower.hasSuffix(".jsonl")
    }

    /// What a look into `incoming/` found.
    public struct Candidates: Sendable, Equatable {
        /// Files to claim, by name.
        public var ready: [String] = []
        /// Files still changing (or not yet watched for long enough).
        public var settling = 0
        /// Files seen for the first time with a time stamp ahead of this machine's clock: worth a line in the log.
        public var futureDated: [FutureDatedFile] = []
    }

    /// A file in `incoming/` dated ahead of this machine's clock.
    public struct FutureDatedFile: Sendable, Equatable {
        /// Its name.
        public var name: String
        /// Its time stamp, seconds since 1970.
        public var changed: Double
    }

    /// Files dated in the future as first seen with their current size and time stamp, kept by the caller from
    /// one look into `incoming/` to the next.
    public struct Sightings: Sendable {
        /// A file's size and time stamp, and when they were first seen.
        fileprivate struct Sighting: Sendable {
            var size: Int64
            var changed: Double
            var seenAt: Double
        }

        /// By file name.
        fileprivate var files: [String: Sighting] = [:]

        /// None yet.
        public init() {}
    }

    /// The candidate files in `incoming/`: `ready` to claim, and the number still `settling`.
    ///
    /// A regular file is ready once it has not changed for `settle` seconds, so a writer that does
    /// not rename its file in is not read half-way. A file whose time stamp is ahead of this machine's clock (a
    /// clock-skewed NFS client, a `touch -d`) would never look settled by it: it is ready once this scanner has
    /// seen its size and time stamp unchanged for `settle` seconds (`sightings`, kept between looks). A symbolic link is ready at once: it is
    /// claimed to be rejected with the reason (it is never followed). Folders, FIFOs and devices are left alone.
    public func candidates(settle: Double = 0, now: Double = Timestamp.nowSeconds(), sightings: inout Sightings)
        -> Candidates
    {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: spool.incoming)) ?? []
        var found = Candidates()
        var stillSighted: [String: Sightings.Sighting] = [:]
        for name in names.sorted() where Self.isCandidate(name) {
            var info = stat()
            guard lstat(spool.incoming + "/" + name, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                found.ready.append(name)
            case S_IFREG:
                let changed = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
                var settledAt = changed
                if changed > now {
                    let seen = Sightings.Sighting(size: Int64(info.st_size), changed: changed, seenAt: now)
                    var sighting = sightings.files[name] ?? seen
                    if sighting.size != seen.size || sighting.changed != seen.changed { sighting = seen }
                    if sightings.files[name] == nil {
                        found.futureDated.append(FutureDatedFile(name: name, changed: changed))
                    }
                    stillSighted[name] = sighting
                    settledAt = sighting.seenAt
                }
                if settle <= 0 || now - settledAt >= settle { found.ready.append(name) } else { found.settling += 1 }
            default:
                continue
            }
        }
        sightings.files = stillSighted
        return found
    }

    /// Claims `name`: renames it into `processing/` under a new job id.
    ///
    /// - Returns: the job id and the new path, or `nil` when the file is gone (another daemon took it).
    public func claim(_ name: String, now: Double = Timestamp.nowSeconds()) throws -> (jobID: String, path: String)? {
        let jobID = Self.makeJobID(now: now)
        let target = claimedPath(jobID: jobID, name: name)
        if rename(spool.incoming + "/" + name, target) != 0 {
            if errno == ENOENT { return nil }
            throw SpoolError.moveFailed(from: spool.incoming + "/" + name, to: target, errno: errno)
        }
        return (jobID, target)
    }

    /// Gives a claimed file a new job id (its first one was taken in the store): renames
    /// `processing/JOB_ID--NAME` to a new id's name and returns it with the new path.
    public func reclaim(jobID: String, name: String, now: Double = Timestamp.nowSeconds()) throws -> (
        jobID: String, path: String
    ) {
        let newID = Self.makeJobID(now: now)
        let source = claimedPath(jobID: jobID, name: name)
        let target = claimedPath(jobID: newID, name: name)
        guard rename(source, target) == 0 else { throw SpoolError.moveFailed(from: source, to: target, errno: errno) }
        return (newID, target)
    }

    /// Where a claimed file lives while its job runs: `processing/JOB_ID--NAME`.
    public func claimedPath(jobID: String, name: String) -> String {
        spool.processing + "/" + jobID + Self.separator + name
    }

    /// Every claimed file in `processing/`, by job id, oldest id first.
    public func claimedFiles() -> [(jobID: String, name: String, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: spool.processing)) ?? []
        return names.sorted().compactMap { entry in
            guard let range = entry.range(of: Self.separator) else { return nil }
            return (
                String(entry[..<range.lowerBound]), String(entry[range.upperBound...]), spool.processing + "/" + entry
            )
        }
    }

    /// Files in `processing/` whose job id the store does not know (claimed, then the process died).
    public func orphans(knownJobIDs: Set<String>) -> [(jobID: String, name: String, path: String)] {
        claimedFiles().filter { !knownJobIDs.contains($0.jobID) }
    }

    /// Moves a claimed file to `target` (where the store has recorded it goes).
    public func move(_ path: String, to target: String) throws {
        guard rename(path, target) == 0 else { throw SpoolError.moveFailed(from: path, to: target, errno: errno) }
    }

    /// `FOLDER/NAME`, or `FOLDER/list.2.csv`, `list.3.csv`… when that name is taken.
    public static func unusedPath(in folder: String, name: String) -> String {
        var target = folder + "/" + name
        var counter = 1
        while FileManager.default.fileExists(atPath: target) {
            counter += 1
            if let dot = name.lastIndex(of: "."), dot != name.startIndex {
                target = folder + "/\(name[..<dot]).\(counter)\(name[dot...])"
            } else {
                target = folder + "/\(name).\(counter)"
            }
        }
        return target
    }

    /// A new job id: UTC time stamp plus 4 random hex digits, e.g. `20261126-145201-3f9a`.
    static func makeJobID(now: Double) -> String {
        let suffix = String(UInt16.random(in: .min ... .max), radix: 16)
        return Timestamp.compact(now) + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
    }
}
