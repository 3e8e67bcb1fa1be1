/// Plain-language meanings of the error codes rows end with, for people reading `status JOB_ID` and
/// `summary.html` (docs/verification-apis.md, "V1 error codes" and "V2 error codes"; the API's own message
/// stays in the report).
///
/// A transfer without an answer (`curl_N`) and an error answer without a code (`http_N`) mean the same for every
/// provider; an API's own codes are looked up in the provider's table (``ProviderDefinition/errorMeanings``),
/// or in every provider's for a job read before jobs named theirs.
public enum ErrorCodeMeaning {
    /// What `code` means, in one sentence, or `nil` when verifyd does not know it.
    public static func meaning(of code: String, provider: ProviderName?) -> String? {
        if code.hasPrefix("curl_"), let number = Int(code.dropFirst(5)) { return transport[number] ?? transportOther }
        if code.hasPrefix("http_"), let status = Int(code.dropFirst(5)) { return httpStatus(status) }
        let definitions = provider.map { [$0.definition] } ?? ProviderDefinition.all
        return definitions.lazy.compactMap { $0.errorMeanings[code] }.first
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

    /// `meaning(of:provider:)`, else the API's own message, else a sentence naming the HTTP status.
    public static func describe(_ count: ErrorCodeCount, provider: ProviderName?) -> String {
        if let meaning = meaning(of: count.code, provider: provider) { return meaning }
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
}
