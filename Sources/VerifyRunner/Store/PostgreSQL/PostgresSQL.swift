import Foundation

/// A libpq address as verifyd may show it: in messages, `location`, `verifyd runners`.
public enum PostgresAddress {
    /// Whether `text` names a PostgreSQL database (`postgresql://` or `postgres://`) rather than a SQLite file.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// Whether a URI carries a password (`user:password@`), which verifyd refuses: passwords come from
    /// `PGPASSWORD` or `~/.pgpass`, never from the command line, where `ps` would show them.
    public static func hasPassword(_ address: String) -> Bool {
        guard let authority = authority(of: address) else { return false }
        return authority.contains("@") && authority.split(separator: "@", maxSplits: 1)[0].contains(":")
    }

    /// `address` with any password in its user part removed.
    public static func withoutPassword(_ address: String) -> String {
        guard hasPassword(address), let authority = authority(of: address),
            let at = authority.firstIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":")
        else { return address }
        let cleaned = String(authority[..<colon]) + String(authority[at...])
        return String(address[..<authority.startIndex]) + cleaned + String(address[authority.endIndex...])
    }

    /// The part of a URI between `://` and the next `/`, `?` or the end.
    private static func authority(of address: String) -> Substring? {
        guard let schemeEnd = address.range(of: "://") else { return nil }
        let rest = address[schemeEnd.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        return rest[..<end]
    }
}
