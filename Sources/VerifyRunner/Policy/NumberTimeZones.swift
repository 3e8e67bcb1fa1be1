public import Foundation

/// The time zones of a phone number's numbering area, from libphonenumber's time-zone data
/// (``NumberTimeZoneData``, made by `scripts/generate-time-zones.py`; docs/time-zones.md).
///
/// The zones are where the number's prefix is used, not where its owner is: `+1 202` is `America/New_York`,
/// `+1 208` both `America/Boise` and `America/Los_Angeles`. The table is parsed once, at first use, into one
/// dictionary per prefix length; a look-up reads the number's first digits and tries the longest prefix first.
public struct NumberTimeZones: Sendable {
    /// The table, parsed at first use.
    public static let shared = NumberTimeZones(table: NumberTimeZoneData.text)

    /// The longest prefix the table can hold: 18 decimal digits fit an `Int64`, more than E.164's 15.
    private static let longestPossiblePrefix = 18

    /// Zone lists, each once; ``zoneSetsByPrefix`` points into it.
    private let zoneSets: [ZoneSet]
    /// For each prefix length `n` (index `n - 1`), the prefixes of that length as integers, to their zone set.
    private let zoneSetsByPrefix: [[Int64: Int32]]

    /// One list of zones, as names and as the system's time zones.
    struct ZoneSet: Sendable {
        /// Its place in the table: numbers with the same set of zones have the same.
        var number: Int32 = 0
        var names: [String]
        var timeZones: [TimeZone]
    }

    /// Parses a table in ``NumberTimeZoneData``'s form. A zone the system's tz database does not know is left out
    /// of the lists of time zones (``timeZones(forE164:)``) but kept in the names.
    init(table: String) {
        let parts = table.split(separator: "\n\n", omittingEmptySubsequences: false)
            .map { $0.split(whereSeparator: \.isWhitespace) }
        precondition(parts.count == 3, "a time zone table is three parts parted by an empty line")
        let zoneNames = parts[0].map(String.init)
        let systemZones = zoneNames.map { TimeZone(identifier: $0) }
        zoneSets = parts[1].enumerated().map { number, word in
            let indexes = word.split(separator: ",").compactMap { Int($0) }.filter(zoneNames.indices.contains)
            return ZoneSet(
                number: Int32(number), names: indexes.map { zoneNames[$0] },
                timeZones: indexes.compactMap { systemZones[$0] })
        }
        var byPrefix: [[Int64: Int32]] = []
        for word in parts[2] {
            guard let bar = word.firstIndex(of: "|"), let prefix = Int64(word[..<bar]),
                let set = Int32(word[word.index(after: bar)...]), zoneSets.indices.contains(Int(set))
            else { continue }
            let length = word.distance(from: word.startIndex, to: bar)
            guard length <= Self.longestPossiblePrefix else { continue }
            while byPrefix.count < length { byPrefix.append([:]) }
            byPrefix[length - 1][prefix] = set
        }
        zoneSetsByPrefix = byPrefix
    }

    /// The zone names of the number `e164` (`+` and digits; a leading `+` is optional), by its longest prefix in
    /// the table, which at worst is its calling code; `[]` when not even that is known, or the table says the
    /// area has no zone (map_data's `Etc/Unknown`).
    public func zones(forE164 e164: String) -> [String] {
        zoneSet(forE164: e164).map { zoneSets[Int($0)].names } ?? []
    }

    /// ``zones(forE164:)`` as the system's time zones, built once with the table.
    public func timeZones(forE164 e164: String) -> [TimeZone] {
        zoneSet(forE164: e164).map { zoneSets[Int($0)].timeZones } ?? []
    }

    /// The zones of `e164`'s area, with the number of their set; `nil` as for ``zones(forE164:)``'s `[]`.
    func zoneSet(ofE164 e164: String) -> ZoneSet? {
        zoneSet(forE164: e164).map { zoneSets[Int($0)] }
    }

    /// The zone set of the longest prefix of `e164` in the table.
    private func zoneSet(forE164 e164: String) -> Int32? {
        var value: Int64 = 0
        var length = 0
        for byte in e164.utf8 {
            if byte == UInt8(ascii: "+"), length == 0 { continue }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), length < zoneSetsByPrefix.count else { break }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            length += 1
        }
        while length > 0 {
            if let found = zoneSetsByPrefix[length - 1][value] { return found }
            value /= 10
            length -= 1
        }
        return nil
    }
}
