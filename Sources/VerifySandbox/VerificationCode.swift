/// The code the sandbox "sends" to a number.
///
/// It is a pure function of the E.164 number and the length, so a check can be tried by hand from the log line
/// and tests can compute it: 64-bit FNV-1a over the UTF-8 bytes of the number, reduced modulo 10^length and
/// zero-padded.
enum VerificationCode {
    /// The code length V2 uses (a Verify Service's usual `CodeLength`).
    static let v2Length = 6

    /// Computes the code for a number.
    ///
    /// - Parameters:
    ///   - e164: the number, e.g. `+12025550189`.
    ///   - length: how many digits, 1 to 19 (the API allows 4 to 10).
    /// - Returns: a string of exactly `length` ASCII digits.
    static func code(for e164: String, length: Int) -> String {
        precondition((1...19).contains(length), "code length \(length) does not fit a UInt64")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in e164.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        var modulus: UInt64 = 1
        for _ in 0..<length { modulus *= 10 }
        let digits = String(hash % modulus)
        return String(repeating: "0", count: length - digits.count) + digits
    }
}
