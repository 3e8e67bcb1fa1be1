import Foundation

/// The query of a Verification Attempts request, checked: the filter, and for a listing its paging.
///
/// Parameters as Twilio documents them (https://www.twilio.com/docs/verify/api/attempts): dates as
/// `yyyy-MM-dd'T'HH:mm:ss'Z'` (UTC, both bounds inclusive), `Channel` and `Status` in any case, `Country` as two
/// letters, `PageSize` 1…1000 (larger is taken as 1000, default 50), `Page` from 0. A value that cannot be read is
/// refused with 400 60200 `Invalid parameter: NAME`, as Verify's other parameters are. Other parameters are
/// ignored.
///
/// `PageToken` is the sandbox's own: `PA` then the position of the last attempt of the page before (the next page
/// starts strictly after it), or `PB` then the position of the first attempt of the page after (for
/// `previous_page_url`). Without a token, `Page` × `PageSize` matches are skipped from the newest.
struct AttemptQuery {
    /// The filters of a listing, in the order its links repeat them.
    static let listFilters = [
        "DateCreatedAfter", "DateCreatedBefore", "ChannelData.To", "Country", "Channel", "VerifyServiceSid",
        "VerificationSid", "Status",
    ]
    /// The filters of a summary.
    static let summaryFilters = [
        "VerifyServiceSid", "DateCreatedAfter", "DateCreatedBefore", "Country", "Channel", "DestinationPrefix",
    ]
    /// The channels Twilio's filter accepts (the sandbox only sends the first two).
    static let channels: Set<String> = ["sms", "call", "email", "whatsapp", "rbm"]
    /// The default `PageSize`.
    static let defaultPageSize = 50
    /// The largest `PageSize`; larger values are taken as this.
    static let maximumPageSize = 1000

    /// Which attempts.
    var filter = AttemptLog.Filter()
    /// The filter parameters as sent, in the order of the names given, for the links.
    var filterParameters: [(name: String, value: String)] = []
    /// Attempts per page.
    var pageSize = Self.defaultPageSize
    /// The page number, as the client counts (`Page`).
    var page = 0
    /// The token the request named, if any.
    var pageToken: String?
    /// Where the page starts.
    var position = AttemptLog.PagePosition.newest(skipping: 0)

    /// Reads the query.
    ///
    /// - Parameters:
    ///   - parameters: the query-string parameters.
    ///   - filters: the filter parameters this endpoint reads (``listFilters`` or ``summaryFilters``).
    ///   - serviceSid: the one Verify Service: a `VerifyServiceSid` naming another matches nothing.
    /// - Throws: 400 60200 for a value that cannot be read.
    init(parameters: FormParameters, filters: [String], serviceSid: String) throws(V2Error) {
        for name in filters {
            guard let value = parameters[name] else { continue }
            try readFilter(name, value, serviceSid: serviceSid)
            filterParameters.append((name, value))
        }
        if let text = parameters["PageSize"] {
            guard let size = Int(text), size >= 1 else { throw V2Error.invalidParameter("PageSize") }
            pageSize = min(size, Self.maximumPageSize)
        }
        if let text = parameters["Page"] {
            guard let page = Int(text), page >= 0 else { throw V2Error.invalidParameter("Page") }
            self.page = page
        }
        if let token = parameters["PageToken"] {
            guard let position = Self.position(token: token) else { throw V2Error.invalidParameter("PageToken") }
            self.position = position
            pageToken = token
        } else {
            let (skipped, overflow) = page.multipliedReportingOverflow(by: pageSize)
            position = .newest(skipping: overflow ? .max : skipped)
        }
    }

    /// Reads one filter parameter into ``filter``.
    private mutating func readFilter(_ name: String, _ value: String, serviceSid: String) throws(V2Error) {
        switch name {
        case "DateCreatedAfter", "DateCreatedBefore":
            guard let seconds = ISO8601Timestamp.epochSeconds(parsing: value) else {
                throw V2Error.invalidParameter(name)
            }
            if name == "DateCreatedAfter" { filter.createdAfter = seconds } else { filter.createdBefore = seconds }
        case "ChannelData.To": filter.to = value
        case "Country":
            guard value.utf8.count == 2, value.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw V2Error.invalidParameter(name)
            }
            filter.country = value.uppercased()
        case "Channel":
            guard Self.channels.contains(value.lowercased()) else { throw V2Error.invalidParameter(name) }
            filter.channel = value.lowercased()
        case "VerifyServiceSid": filter.matchesNothing = filter.matchesNothing || value != serviceSid
        case "VerificationSid": filter.verificationSid = value
        case "Status":
            switch value.lowercased() {
            case "converted": filter.isConverted = true
            case "unconverted": filter.isConverted = false
            default: throw V2Error.invalidParameter(name)
            }
        case "DestinationPrefix": filter.destinationPrefix = value
        default: break
        }
    }

    /// The token of a page position: `PA…` after an attempt, `PB…` before one.
    static func token(olderThan position: Int) -> String { "PA\(position)" }

    /// The token of the page just newer than the attempt at `position`.
    static func token(newerThan position: Int) -> String { "PB\(position)" }

    /// The position a token names, or `nil` when it is not one of ours.
    private static func position(token: String) -> AttemptLog.PagePosition? {
        let digits = token.dropFirst(2)
        guard !digits.isEmpty, digits.utf8.allSatisfy(NumberRules.isDigit), let position = Int(digits) else {
            return nil
        }
        switch token.prefix(2) {
        case "PA": return .olderThan(position)
        case "PB": return .newerThan(position)
        default: return nil
        }
    }

    /// The absolute URL of a page of this listing: the filters as sent, then `PageSize`, `Page` and the token.
    ///
    /// - Parameters:
    ///   - base: `http://HOST/v2/Attempts`.
    ///   - page: the page number.
    ///   - token: the page token, or `nil` for a page counted from the newest.
    func url(base: String, page: Int, token: String?) -> String {
        var url = base
        var separator = "?"
        /// Appends `name=value`, percent-encoded.
        func append(_ name: String, _ value: String) {
            url += separator + Self.percentEncoded(name) + "=" + Self.percentEncoded(value)
            separator = "&"
        }
        for (name, value) in filterParameters { append(name, value) }
        append("PageSize", String(pageSize))
        append("Page", String(page))
        if let token { append("PageToken", token) }
        return url
    }

    /// The characters a query component keeps as they are: RFC 3986's unreserved ones.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// A query component with every character but the unreserved ones percent-encoded (`+` → `%2B`).
    private static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
