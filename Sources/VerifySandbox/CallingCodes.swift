/// The assigned international calling codes (ITU-T E.164), with the main region of each.
///
/// E.164 calling codes are prefix-free, so the assigned code that starts a number is found by trying its first one,
/// two and three digits. V1 refuses a `country_code` that is not in the table (60033), and the V2 Attempts API's
/// `Country` filter compares a number's main region (the one libphonenumber names first for its calling code:
/// `1` → `US`, `44` → `GB`; `001` for the global services such as `800`).
enum CallingCodes {
    /// Every assigned calling code and its main region (ISO 3166-1 alpha-2, or `001` for a non-geographic code).
    ///
    /// Generated once from Debian's libphonenumber 8.12.57 (`libphonenumber-dev` 8.12.57+ds-3) by a throwaway C++
    /// program: for each code of `PhoneNumberUtil::GetSupportedCallingCodes`, the region that
    /// `PhoneNumberUtil::GetRegionCodeForCountryCode` returns. Regenerate it the same way when numbering changes.
    static let assigned: [(code: Int, mainRegion: String)] = [
        (1, "US"), (7, "RU"), (20, "EG"), (27, "ZA"), (30, "GR"), (31, "NL"), (32, "BE"), (33, "FR"), (34, "ES"),
        (36, "HU"), (39, "IT"), (40, "RO"), (41, "CH"), (43, "AT"), (44, "GB"), (45, "DK"), (46, "SE"), (47, "NO"),
        (48, "PL"), (49, "DE"), (51, "PE"), (52, "MX"), (53, "CU"), (54, "AR"), (55, "BR"), (56, "CL"), (57, "CO"),
        (58, "VE"), (60, "MY"), (61, "AU"), (62, "ID"), (63, "PH"), (64, "NZ"), (65, "SG"), (66, "TH"), (81, "JP"),
        (82, "KR"), (84, "VN"), (86, "CN"), (90, "TR"), (91, "IN"), (92, "PK"), (93, "AF"), (94, "LK"), (95, "MM"),
        (98, "IR"), (211, "SS"), (212, "MA"), (213, "DZ"), (216, "TN"), (218, "LY"), (220, "GM"), (221, "SN"),
        (222, "MR"), (223, "ML"), (224, "GN"), (225, "CI"), (226, "BF"), (227, "NE"), (228, "TG"), (229, "BJ"),
        (230, "MU"), (231, "LR"), (232, "SL"), (233, "GH"), (234, "NG"), (235, "TD"), (236, "CF"), (237, "CM"),
        (238, "CV"), (239, "ST"), (240, "GQ"), (241, "GA"), (242, "CG"), (243, "CD"), (244, "AO"), (245, "GW"),
        (246, "IO"), (247, "AC"), (248, "SC"), (249, "SD"), (250, "RW"), (251, "ET"), (252, "SO"), (253, "DJ"),
        (254, "KE"), (255, "TZ"), (256, "UG"), (257, "BI"), (258, "MZ"), (260, "ZM"), (261, "MG"), (262, "RE"),
        (263, "ZW"), (264, "NA"), (265, "MW"), (266, "LS"), (267, "BW"), (268, "SZ"), (269, "KM"), (290, "SH"),
        (291, "ER"), (297, "AW"), (298, "FO"), (299, "GL"), (350, "GI"), (351, "PT"), (352, "LU"), (353, "IE"),
        (354, "IS"), (355, "AL"), (356, "MT"), (357, "CY"), (358, "FI"), (359, "BG"), (370, "LT"), (371, "LV"),
        (372, "EE"), (373, "MD"), (374, "AM"), (375, "BY"), (376, "AD"), (377, "MC"), (378, "SM"), (380, "UA"),
        (381, "RS"), (382, "ME"), (383, "XK"), (385, "HR"), (386, "SI"), (387, "BA"), (389, "MK"), (420, "CZ"),
        (421, "SK"), (423, "LI"), (500, "FK"), (501, "BZ"), (502, "GT"), (503, "SV"), (504, "HN"), (505, "NI"),
        (506, "CR"), (507, "PA"), (508, "PM"), (509, "HT"), (590, "GP"), (591, "BO"), (592, "GY"), (593, "EC"),
        (594, "GF"), (595, "PY"), (596, "MQ"), (597, "SR"), (598, "UY"), (599, "CW"), (670, "TL"), (672, "NF"),
        (673, "BN"), (674, "NR"), (675, "PG"), (676, "TO"), (677, "SB"), (678, "VU"), (679, "FJ"), (680, "PW"),
        (681, "WF"), (682, "CK"), (683, "NU"), (685, "WS"), (686, "KI"), (687, "NC"), (688, "TV"), (689, "PF"),
        (690, "TK"), (691, "FM"), (692, "MH"), (800, "001"), (808, "001"), (850, "KP"), (852, "HK"), (853, "MO"),
        (855, "KH"), (856, "LA"), (870, "001"), (878, "001"), (880, "BD"), (881, "001"), (882, "001"), (883, "001"),
        (886, "TW"), (888, "001"), (960, "MV"), (961, "LB"), (962, "JO"), (963, "SY"), (964, "IQ"), (965, "KW"),
        (966, "SA"), (967, "YE"), (968, "OM"), (970, "PS"), (971, "AE"), (972, "IL"), (973, "BH"), (974, "QA"),
        (975, "BT"), (976, "MN"), (977, "NP"), (979, "001"), (992, "TJ"), (993, "TM"), (994, "AZ"), (995, "GE"),
        (996, "KG"), (998, "UZ"),
    ]

    /// The main region of each calling code, indexed by the code (0…999); `nil` where none is assigned.
    private static let mainRegionByCode: [String?] = {
        var regions = [String?](repeating: nil, count: 1000)
        for (code, region) in assigned { regions[code] = region }
        return regions
    }()

    /// The main region of a calling code, or `nil` when the code is not assigned.
    ///
    /// - Parameter code: the calling code's digits, e.g. `44`.
    /// - Returns: e.g. `GB`.
    static func mainRegion(ofCallingCode code: some StringProtocol) -> String? {
        guard (1...3).contains(code.utf8.count), let value = Int(code) else { return nil }
        return mainRegionByCode[value]
    }

    /// The main region of an E.164 number's calling code, or `nil` when the number starts with no assigned code.
    ///
    /// - Parameter e164: e.g. `+447911123456` → `GB`.
    static func mainRegion(ofE164 e164: String) -> String? {
        guard e164.hasPrefix("+"), let split = split(e164.dropFirst()) else { return nil }
        return mainRegion(ofCallingCode: split.countryCode)
    }

    /// Splits the digits of an E.164 number (without the `+`).
    ///
    /// The calling code is the assigned code the digits start with; when none is, it is the first three digits
    /// (every code of four or more digits would be unassigned too, and the number is still split for the rules
    /// that look at its national part).
    ///
    /// - Parameter digits: e.g. `12025550189`.
    /// - Returns: `("1", "2025550189")`; `nil` when the digits are too few to hold a calling code and at least one
    ///   national digit, or when they are not all digits.
    static func split(_ digits: Substring) -> (countryCode: Substring, national: Substring)? {
        guard digits.utf8.allSatisfy(NumberRules.isDigit) else { return nil }
        let length =
            (1...2).first { length in
                digits.utf8.count > length && mainRegion(ofCallingCode: digits.prefix(length)) != nil
            } ?? 3
        guard digits.utf8.count > length else { return nil }
        let boundary = digits.index(digits.startIndex, offsetBy: length)
        return (digits[..<boundary], digits[boundary...])
    }
}
