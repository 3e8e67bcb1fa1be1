/// Where a run may text people: `--countries` (only these regions) and `--exclude-countries` (never these), as
/// regions of the normalized numbers (ISO 3166-1 alpha-2 codes, as libphonenumber assigns them: `+44 7911 123456` is
/// `GG`, Guernsey). A start to a region outside the policy is never sent: its row ends `skipped`, with a message
/// naming the region and the flag. Check rows send nobody anything and are not subject to it.
public struct CountryPolicy: Sendable, Equatable {
    /// `--countries`, in the order given (`nil`: any region).
    public let countries: [String]?
    /// `--exclude-countries`, in the order given.
    public let excludedCountries: [String]

    /// The policy that lets every region through.
    public static let anyRegion = CountryPolicy(uncheckedCountries: nil, excluded: [])

    /// Whether the policy refuses no region.
    public var refusesNothing: Bool { countries == nil && excludedCountries.isEmpty }

    /// The policy of `--countries` and `--exclude-countries` as written (comma-separated region codes, any case).
    ///
    /// - Throws: ``CountryPolicyError`` naming the flag and the value: an empty list or entry, or a code
    ///   libphonenumber gives no number.
    public init(countries: String?, excludedCountries: String?) throws(CountryPolicyError) {
        self.init(
            uncheckedCountries: try countries.map { list throws(CountryPolicyError) in
                try Self.regions(list, flag: "--countries")
            },
            excluded: try excludedCountries.map { list throws(CountryPolicyError) in
                try Self.regions(list, flag: "--exclude-countries")
            } ?? [])
    }

    private init(uncheckedCountries: [String]?, excluded: [String]) {
        self.countries = uncheckedCountries
        self.excludedCountries = excluded
    }

    /// Why a start to a number of `region` is not sent, or `nil` when it may be.
    public func refusal(region: String) -> String? {
        if excludedCountries.contains(region) {
            return "region \(Self.shown(region)) is excluded by --exclude-countries "
                + excludedCountries.joined(separator: ",")
        }
        if let countries, !countries.contains(region) {
            return "region \(Self.shown(region)) is not in --countries \(countries.joined(separator: ","))"
        }
        return nil
    }

    /// `region` as a message shows it.
    private static func shown(_ region: String) -> String {
        region == "001" ? "001 (non-geographic)" : region
    }

    /// The region codes of one flag's list, upper-cased, each once.
    private static func regions(_ list: String, flag: String) throws(CountryPolicyError) -> [String] {
        var regions: [String] = []
        for entry in list.split(separator: ",", omittingEmptySubsequences: false) {
            let code = String(entry).trimmingWhitespace().uppercased()
            guard !code.isEmpty else {
                throw CountryPolicyError(flag: flag, value: list, problem: "has an empty entry")
            }
            guard code.count == 2, PhoneNormalizer.isKnownRegion(code) else {
                throw CountryPolicyError(
                    flag: flag, value: list,
                    problem: "names \(String(entry).printable), which is not a region libphonenumber knows "
                        + "(ISO 3166-1 alpha-2 codes such as US, GB, DE)")
            }
            if !regions.contains(code) { regions.append(code) }
        }
        return regions
    }
}

/// A `--countries` or `--exclude-countries` value that is not a list of regions.
public struct CountryPolicyError: Error, Equatable, CustomStringConvertible {
    /// The flag.
    public let flag: String
    /// Its value as written.
    public let value: String
    /// What is wrong with it.
    public let problem: String

    /// One line for the operator: the flag, its value and what is wrong with it.
    public var description: String { "\(flag) \(value.printable) \(problem)" }
}
