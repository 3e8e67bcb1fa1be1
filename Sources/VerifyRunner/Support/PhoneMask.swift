/// Phone numbers as logs show them: `+1202*****89` (the country code and area kept, the subscriber
/// hidden) unless `--log-numbers` asks for them in full.
public enum PhoneMask {
    /// `e164` with all but its first 5 and last 2 characters replaced by `*` (at least half hidden).
    public static func masked(_ e164: String) -> String {
        let characters = Array(e164)
        let kept = min(5, characters.count / 2)
        let tail = characters.count - kept > 4 ? 2 : 0
        let hidden = characters.count - kept - tail
        guard hidden > 0 else { return String(repeating: "*", count: characters.count) }
        return String(characters[..<kept]) + String(repeating: "*", count: hidden) + String(characters.suffix(tail))
    }
}
