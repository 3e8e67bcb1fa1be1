/// There is no store where a command looked, and it was told not to create one (``JobStores/open(_:creating:)``):
/// no SQLite file at the path, or a PostgreSQL database without verifyd's schema.
public struct StoreMissing: Error, Sendable, CustomStringConvertible {
    /// Where the store was looked for: the SQLite file's path, or the database's address without a password.
    public let location: String
    /// Whether `location` is a PostgreSQL database (which exists, but holds no verifyd store).
    public let isDatabase: Bool

    /// e.g. `no state store at jobs/verifyd.sqlite`.
    public var description: String {
        isDatabase
            ? "no verifyd store in the database \(location) (it has no table schema_version)"
            : "no state store at \(location)"
    }
}
