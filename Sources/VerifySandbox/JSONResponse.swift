import Foundation

/// Builds ``SandboxResponse`` values from `Encodable` bodies, for the rare answers whose shape is open-ended
/// (the stats); the API answers are written by hand with ``JSONWriter``.
enum JSONResponse {
    /// Encodes a body into a response, keys spelled as declared.
    ///
    /// - Parameters:
    ///   - status: the HTTP status code.
    ///   - body: the value to encode.
    /// - Returns: the response.
    /// - Throws: `EncodingError` if the value cannot be encoded.
    static func make(status: Int, _ body: some Encodable) throws -> SandboxResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return SandboxResponse(status: status, body: Array(try encoder.encode(body)))
    }
}
