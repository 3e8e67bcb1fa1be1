/// Plain-language meanings of the error codes rows end with, for people reading `status JOB_ID` and
/// `summary.html` (docs/verification-apis.md, "V1 error codes" and "V2 error codes"; the API's own message
/// stays in the report).
///
/// The V1 (600xx) and V2 (20xxx, 602xx…) codes do not overlap, so one table serves both providers.
public enum ErrorCodeMeaning {
    /// What `code` means, in one sentence, or `nil` when verifyd does not know it.
    public static func meaning(of code: String) -> String? {
        if code.hasPrefix("curl_"), let number = Int(code.dropFirst(5)) { return transport[number] ?? transportOther }
        if code.hasPrefix("http_"), let status = Int(code.dropFirst(5)) { return httpStatus(status) }
        return api[code]
    }

    /// An error answer that carried no code, by its HTTP status.
    private static func httpStatus(_ status: Int) -> String {
        switch status {
        case 429: "Too many requests: the API's rate limit was hit (HTTP 429)."
        case 500...599: "The API had a server error (HTTP \(status)); the request may or may not have been acted on."
        case 401, 403: "The API refused the request (HTTP \(status))."
        default: "The API answered HTTP \(status) without an error code."
        }
    }

    /// `meaning(of:)`, else the API's own message, else a sentence naming the HTTP status.
    public static func describe(_ count: ErrorCodeCount) -> String {
        if let meaning = meaning(of: count.code) { return meaning }
        if let message = count.sampleMessage, !message.isEmpty { return "The API said: \(message.printable)" }
        return count.httpStatus.map { "The API answered HTTP \($0) with this code." } ?? "No further detail."
    }

    private static let transportOther = "The request got no answer (a network or TLS failure)."

    /// libcurl's codes, as verifyd records a transfer without an answer (`curl_N`).
    private static let transport: [Int: String] = [
        6: "The API's host name could not be resolved (DNS).",
        7: "No connection to the API could be made.",
        28: "The API did not answer within --timeout.",
        35: "The TLS handshake with the API failed.",
        52: "The API closed the connection without answering.",
        55: "The request could not be sent: the connection broke.",
        56: "The connection broke while the answer was being received.",
        60: "The API's TLS certificate could not be verified.",
    ]

    private static let api: [String: String] = [
        // Authy Phone Verification V1
        "60000": "The API reported an unspecified error.",
        "60001": "The API key was refused.",
        "60002": "The API found the request invalid.",
        "60003": "Too many requests: the API's rate limit was hit.",
        "60004": "A parameter was invalid or missing (the message names it).",
        "60005": "The request was not valid UTF-8.",
        "60007": "SMS is disabled for this account.",
        "60008": "The account is suspended.",
        "60009": "The account's monthly SMS limit was reached.",
        "60010": "The account's daily SMS limit was reached.",
        "60011": "The account's monthly voice-call limit was reached.",
        "60012": "The account's daily voice-call limit was reached.",
        "60013": "Verifications to this country are banned for the account.",
        "60021": "The verification could not be created (e.g. custom codes are not allowed).",
        "60022": "The code was wrong.",
        "60023": "No pending verification: the code expired or was never sent.",
        "60033": "The phone number is invalid.",
        "60047": "A Twilio key was used where an Authy API key is needed.",
        "60057": "The account is suspended for now.",
        "60060": "The account is suspended.",
        "60061": "The application is suspended.",
        "60063": "Requests from this IP address are not allowed.",
        "60078": "The country code is invalid.",
        "60082": "The number is a landline: it cannot receive SMS (try via=call).",
        "60083": "The number is not served by any carrier.",
        "60115": "The number's owner opted out of messages.",
        "60120": "The SMS limit was reached.",
        // Twilio Verify V2
        "20003": "The Twilio credentials were refused.",
        "20403": "The Twilio account lacks permission (suspended or closed).",
        "20404": "The verification was not found: it expired, was approved already or never existed.",
        "20429": "Too many requests: Twilio's rate limit was hit.",
        "21211": "The phone number is invalid.",
        "21614": "The number cannot receive SMS.",
        "60200": "A parameter was invalid (e.g. the number is not a valid E.164 number).",
        "60202": "Too many wrong codes were tried for this verification.",
        "60203": "Too many codes were sent to this number; wait for the last one to expire (10 minutes).",
        "60205": "The number is a landline: it cannot receive SMS (try via=call).",
        "60212": "Too many requests for this number at once.",
        "60238": "Twilio blocked the verification (account review or embargoed country).",
        "60410": "Twilio's Fraud Guard blocked this number's prefix for a while.",
        "60412": "Twilio's fraud checks blocked this sign-up.",
        "60605": "Verify's geo permissions block this country.",
    ]
}
