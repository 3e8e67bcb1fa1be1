import Foundation

/// The time zones a row's recipient may be in, for `--send-window`: the row's `time_zone` column when it has
/// one, else the zones of the number's area (``NumberTimeZones``; ``SendWindowGate`` looks them up). Here: what
/// intake says of a column that names no zone, and what a row whose number has none ends with.
public enum RecipientZones {
    /// A `time_zone` value that the system's tz database does not know; the row ends `invalid` with this message.
    public struct UnknownTimeZone: Error, Sendable, Equatable, CustomStringConvertible {
        /// The column's value, trimmed.
        public var value: String

        /// E.g. `time_zone 'Mars/Base' is not a time zone name (IANA, e.g. America/Chicago)`.
        public var description: String {
            "time_zone '\(value.printable)' is not a time zone name (IANA, e.g. America/Chicago)"
        }
    }

    /// The message for a row whose number maps to no zone (``NumberTimeZones/zones(forE164:)`` is empty).
    ///
    /// Such a row ends `skipped` with this message, never sent as if inside the window, since
    /// nothing tells whether the recipient is asleep.
    public static let noZoneMessage =
        "the number's calling code and leading digits map to no time zone, so --send-window cannot be judged; "
        + "give the row a time_zone column (an IANA name, e.g. America/Chicago)"

    /// Why a `time_zone` value (white space trimmed) names no zone the system knows; `nil` for a known zone or an
    /// empty value (the number's zones then).
    public static func problem(timeZoneColumn value: String) -> UnknownTimeZone? {
        value.isEmpty || TimeZone(identifier: value) != nil ? nil : UnknownTimeZone(value: value)
    }
}
