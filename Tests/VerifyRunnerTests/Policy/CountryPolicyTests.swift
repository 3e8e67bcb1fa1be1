import Testing

@testable import VerifyRunner

/// `--countries` and `--exclude-countries` as a table: which regions each lets through, the messages naming the
/// region and the flag, and the values refused with the flag and value named.
@Suite struct CountryPolicyTests {
    @Test(arguments: [
        (String?.none, String?.none, "FR", String?.none),
        ("US,CA", nil, "US", nil),
        ("us, ca", nil, "CA", nil),
        ("US,CA", nil, "FR", "region FR is not in --countries US,CA"),
        ("US,CA", nil, "001", "region 001 (non-geographic) is not in --countries US,CA"),
        (nil, "RU,BY", "RU", "region RU is excluded by --exclude-countries RU,BY"),
        (nil, "RU,BY", "GB", nil),
        ("US,GB", "GB", "GB", "region GB is excluded by --exclude-countries GB"),
        ("GB,GB", nil, "GG", "region GG is not in --countries GB"),
    ])
    func regionsAreLetThroughOrRefusedWithTheFlagNamed(
        countries: String?, excluded: String?, region: String, refusal: String?
    ) throws {
        let policy = try CountryPolicy(countries: countries, excludedCountries: excluded)
        #expect(policy.refusal(region: region) == refusal)
        #expect(policy.refusesNothing == (countries == nil && excluded == nil))
    }

    @Test(arguments: [
        ("XX", String?.none, "--countries XX names XX, which is not a region libphonenumber knows"),
        ("US,,CA", nil, "--countries US,,CA has an empty entry"),
        ("", nil, "--countries  has an empty entry"),
        ("USA", nil, "--countries USA names USA, which is not a region"),
        ("001", nil, "--countries 001 names 001, which is not a region"),
        ("US", "ZZ", "--exclude-countries ZZ names ZZ, which is not a region"),
    ])
    func listsThatAreNotRegionsAreRefusedNamingTheValue(countries: String, excluded: String?, message: String) {
        #expect {
            try CountryPolicy(countries: countries, excludedCountries: excluded)
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }
}
