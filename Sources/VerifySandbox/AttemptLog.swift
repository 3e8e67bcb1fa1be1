import Foundation

/// Every verification attempt (one code sent by a V2 start) the sandbox made, for the Verification Attempts API
/// (https://www.twilio.com/docs/verify/api/attempts).
///
/// A value type with no clock and no locking, kept inside ``V2Ledger`` under its `Mutex`. It is built for jobs of
/// hundreds of thousands of numbers that list their attempts a thousand at a time:
///
/// - attempts are kept in one array, oldest first, each a few integers (sids as ``SidDigits``, the number as an
///   index into a table of destinations): 56 bytes an attempt, about 300 with its indexes and a number of its own
///   (measured: 200,000 attempts to 200,000 numbers take 60 MB and are listed in 200 pages in 6 ms, formatting
///   aside);
/// - creation times never go backwards (a clock that steps back is held at the latest time seen), so a time range
///   is found by binary search, and a page costs the attempts it returns plus the ones its filters skip;
/// - each destination number keeps the positions of its attempts, for `ChannelData.To`, `VerificationSid` and
///   conversions.
///
/// Listing goes newest first (creation time descending, then creation order descending). A page is positioned by
/// a ``PagePosition`` relative to an attempt already returned, so that pages stay exact while new attempts arrive.
/// Attempts older than ``retention`` (by the caller's clock) are neither listed, counted nor fetched.
struct AttemptLog {
    /// One attempt.
    struct Attempt: Equatable {
        /// Its sid, `VL…`.
        var id: SidDigits
        /// Its verification's sid, `VE…`.
        var verification: SidDigits
        /// When it was made, in whole seconds since 1970.
        var created: Int64
        /// When it last changed (made, or converted), in whole seconds since 1970.
        var updated: Int64
        /// Its destination's position in ``AttemptLog/destinations``.
        fileprivate var destination: Int32
        /// How the code was sent.
        var channel: DeliveryChannel
        /// Whether its verification was approved (a check with the right code, or an update to `approved`).
        var isConverted: Bool
    }

    /// An attempt with its destination, as the API writes it.
    struct Record: Equatable {
        /// The attempt.
        var attempt: Attempt
        /// Its number, E.164.
        var to: String
    }

    /// Which attempts a listing or a summary counts: every property set narrows it (all of them must match).
    struct Filter: Equatable {
        /// Created at or after this time (whole seconds since 1970).
        var createdAfter: Int64?
        /// Created at or before this time (whole seconds since 1970).
        var createdBefore: Int64?
        /// Sent to this number (E.164).
        var to: String?
        /// Of this verification (its `VE…` sid as sent; a sid that names none matches nothing).
        var verificationSid: String?
        /// Sent to a number whose calling code's main region is this one (ISO 3166-1 alpha-2, uppercase).
        var country: String?
        /// Sent by this channel, lowercase (`email`, `whatsapp` and `rbm` are valid but match nothing here).
        var channel: String?
        /// Converted (`true`) or not (`false`).
        var isConverted: Bool?
        /// Sent to a number that starts with this text (`+1202`).
        var destinationPrefix: String?
        /// Set when a filter names something that has no attempts at all (another Verify Service).
        var matchesNothing = false
    }

    /// Where a page starts.
    enum PagePosition: Equatable {
        /// The newest attempts that match, skipping this many matches first (the `Page` of a listing without
        /// `PageToken`).
        case newest(skipping: Int)
        /// The matches just older than the attempt at this position (the `next_page_url` after a page that ended
        /// with it).
        case olderThan(Int)
        /// The matches just newer than the attempt at this position (the `previous_page_url` before a page that
        /// began with it).
        case newerThan(Int)
    }

    /// One page of a listing.
    struct Page: Equatable {
        /// The attempts, newest first.
        var records: [Record]
        /// The position of the oldest attempt returned, when more matches are older (there is a next page).
        var nextPosition: Int?
        /// The position of the newest attempt returned, when more matches are newer (there is a previous page).
        var previousPosition: Int?
    }

    /// The counts of a summary.
    struct Summary: Equatable {
        /// Attempts that match.
        var total = 0
        /// Of them, the converted ones.
        var converted = 0
    }

    /// One number attempts were sent to.
    private struct Destination {
        /// The number, E.164.
        var number: String
        /// The main region of its calling code, e.g. `US`.
        var country: String?
        /// The positions of its attempts, oldest first.
        var attempts: [Int32] = []
    }

    /// The attempts a listing or summary looks at, in ascending position: those of the filter's time range, all of
    /// them or only one destination's. Indexed from `indices.lowerBound`; `self[index]` is a position in
    /// ``AttemptLog/attempts``.
    private struct Candidates {
        /// One destination's positions, or `nil` for every attempt (then an index is the position itself).
        var list: [Int32]?
        /// The indices in the time range.
        var indices: Range<Int>
        /// The verification the filter names, which a candidate must belong to.
        var verification: SidDigits?

        /// No candidate at all.
        static let none = Candidates(list: nil, indices: 0..<0, verification: nil)

        /// The position of the candidate at `index`.
        subscript(index: Int) -> Int {
            list.map { Int($0[index]) } ?? index
        }

        /// The first index whose position is `position` or after it (`indices.upperBound` when none is).
        func firstIndex(atOrAfter position: Int) -> Int {
            partitionPoint(in: indices) { self[$0] >= position }
        }

        /// The first index whose position is after `position` (`indices.upperBound` when none is).
        func firstIndex(after position: Int) -> Int {
            partitionPoint(in: indices) { self[$0] > position }
        }
    }

    /// How long attempts are listed: 30 days, as Twilio keeps them.
    static let retention: Int64 = 30 * 86_400

    /// Every attempt, oldest first.
    private var attempts: [Attempt] = []
    /// Every number attempts were sent to.
    private var destinations: [Destination] = []
    /// The position of each number in ``destinations``.
    private var destinationIndex: [String: Int32] = [:]
    /// The position of each attempt in ``attempts``, by sid.
    private var positionBySid: [SidDigits: Int32] = [:]
    /// The destination of each verification that made an attempt.
    private var destinationByVerification: [SidDigits: Int32] = [:]

    /// Records an attempt made now.
    ///
    /// - Parameters:
    ///   - id: the attempt's sid.
    ///   - verification: its verification's sid.
    ///   - to: the number the code went to.
    ///   - channel: how it went.
    ///   - now: the server's current time.
    mutating func append(id: SidDigits, verification: SidDigits, to: String, channel: DeliveryChannel, now: Date) {
        let destination = destinationIndex[to] ?? addDestination(to)
        let created = max(ISO8601Timestamp.epochSeconds(of: now), attempts.last?.created ?? .min)
        let position = Int32(attempts.count)
        attempts.append(
            Attempt(
                id: id, verification: verification, created: created, updated: created, destination: destination,
                channel: channel, isConverted: false))
        destinations[Int(destination)].attempts.append(position)
        positionBySid[id] = position
        destinationByVerification[verification] = destination
    }

    /// Marks every attempt of a verification converted, now.
    mutating func convert(verification: SidDigits, now: Date) {
        guard let destination = destinationByVerification[verification] else { return }
        let updated = ISO8601Timestamp.epochSeconds(of: now)
        for position in destinations[Int(destination)].attempts.lazy.map(Int.init)
        where attempts[position].verification == verification && !attempts[position].isConverted {
            attempts[position].isConverted = true
            attempts[position].updated = updated
        }
    }

    /// The attempt with this sid, unless it is older than ``retention``.
    func attempt(id: SidDigits, now: Date) -> Record? {
        guard let position = positionBySid[id].map(Int.init),
            attempts[position].created >= oldestListed(now: now)
        else { return nil }
        return record(at: position)
    }

    /// One page of the attempts that match a filter, newest first.
    ///
    /// - Parameters:
    ///   - filter: which attempts.
    ///   - position: where the page starts; a position relative to an attempt that does not exist gives an
    ///     empty page.
    ///   - size: at most this many attempts.
    ///   - now: the server's current time (for the retention).
    /// - Returns: the page, with the positions that the links to its neighbours start from.
    func page(filter: Filter, from position: PagePosition, size: Int, now: Date) -> Page {
        let candidates = candidates(filter: filter, now: now)
        let start: Int
        let step: Int
        switch position {
        case .newest(let skipped):
            step = -1
            var index = candidates.indices.upperBound - 1
            for _ in 0..<skipped {
                guard let match = nextMatch(from: index, step: step, candidates, filter) else { break }
                index = match + step
            }
            start = index
        case .olderThan(let attempt):
            guard attempts.indices.contains(attempt) else { return Page(records: []) }
            (start, step) = (candidates.firstIndex(atOrAfter: attempt) - 1, -1)
        case .newerThan(let attempt):
            guard attempts.indices.contains(attempt) else { return Page(records: []) }
            (start, step) = (candidates.firstIndex(after: attempt), 1)
        }
        var matched: [Int] = []
        matched.reserveCapacity(min(size, candidates.indices.count))
        var index = start
        while matched.count < size, let match = nextMatch(from: index, step: step, candidates, filter) {
            matched.append(match)
            index = match + step
        }
        if step > 0 { matched.reverse() }  // newest first
        guard let highest = matched.first, let lowest = matched.last else { return Page(records: []) }
        let hasOlder = nextMatch(from: lowest - 1, step: -1, candidates, filter) != nil
        let hasNewer = nextMatch(from: highest + 1, step: 1, candidates, filter) != nil
        return Page(
            records: matched.map { record(at: candidates[$0]) },
            nextPosition: hasOlder ? candidates[lowest] : nil,
            previousPosition: hasNewer ? candidates[highest] : nil)
    }

    /// The counts of the attempts that match a filter.
    func summary(filter: Filter, now: Date) -> Summary {
        let candidates = candidates(filter: filter, now: now)
        var summary = Summary()
        for index in candidates.indices where matches(candidates[index], candidates, filter) {
            summary.total += 1
            if attempts[candidates[index]].isConverted { summary.converted += 1 }
        }
        return summary
    }

    /// The attempts a filter looks at: its time range (within the retention) of every attempt, or of the one
    /// destination its `ChannelData.To` or `VerificationSid` names.
    private func candidates(filter: Filter, now: Date) -> Candidates {
        let earliest = max(filter.createdAfter ?? .min, oldestListed(now: now))
        let latest = filter.createdBefore ?? .max
        guard !filter.matchesNothing, earliest <= latest else { return .none }
        var verification: SidDigits?
        var destination: Int32?
        if let sid = filter.verificationSid {
            verification = SidDigits(parsing: sid, prefix: "VE")
            guard let verification, let found = destinationByVerification[verification] else { return .none }
            destination = found
        }
        if let to = filter.to {
            guard let found = destinationIndex[to], destination == nil || destination == found else { return .none }
            destination = found
        }
        let list = destination.map { destinations[Int($0)].attempts }
        let all = Candidates(
            list: list, indices: list.map { 0..<$0.count } ?? attempts.indices, verification: verification)
        let first = partitionPoint(in: all.indices) { attempts[all[$0]].created >= earliest }
        let end = partitionPoint(in: first..<all.indices.upperBound) { attempts[all[$0]].created > latest }
        return Candidates(list: list, indices: first..<end, verification: verification)
    }

    /// The candidate index of the first match from `index` on, stepping by `step` (±1); `nil` when none is left.
    private func nextMatch(from index: Int, step: Int, _ candidates: Candidates, _ filter: Filter) -> Int? {
        var index = index
        while candidates.indices.contains(index) {
            if matches(candidates[index], candidates, filter) { return index }
            index += step
        }
        return nil
    }

    /// Whether the attempt at `position` (a candidate, so in the time range) passes the rest of the filter.
    private func matches(_ position: Int, _ candidates: Candidates, _ filter: Filter) -> Bool {
        let attempt = attempts[position]
        if let verification = candidates.verification, attempt.verification != verification { return false }
        if let channel = filter.channel, attempt.channel.rawValue != channel { return false }
        if let isConverted = filter.isConverted, attempt.isConverted != isConverted { return false }
        guard filter.country != nil || filter.destinationPrefix != nil else { return true }
        let destination = destinations[Int(attempt.destination)]
        if let country = filter.country, destination.country != country { return false }
        if let prefix = filter.destinationPrefix, !destination.number.hasPrefix(prefix) { return false }
        return true
    }

    /// The attempt at a position with its number.
    private func record(at position: Int) -> Record {
        let attempt = attempts[position]
        return Record(attempt: attempt, to: destinations[Int(attempt.destination)].number)
    }

    /// The creation time of the oldest attempt still listed.
    private func oldestListed(now: Date) -> Int64 {
        ISO8601Timestamp.epochSeconds(of: now) - Self.retention
    }

    /// Adds a number to the destinations; returns its position.
    private mutating func addDestination(_ number: String) -> Int32 {
        let index = Int32(destinations.count)
        destinations.append(Destination(number: number, country: CallingCodes.mainRegion(ofE164: number)))
        destinationIndex[number] = index
        return index
    }
}

/// The first index of `range` for which `isAfter` holds, or `range.upperBound`; `isAfter` must be false up to some
/// index and true from there on (a binary search).
private func partitionPoint(in range: Range<Int>, where isAfter: (Int) -> Bool) -> Int {
    var low = range.lowerBound
    var high = range.upperBound
    while low < high {
        let middle = low + (high - low) / 2
        if isAfter(middle) { high = middle } else { low = middle + 1 }
    }
    return low
}
