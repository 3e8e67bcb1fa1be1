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

    /// `text` with every phone-number-like run (6 or more digits, with spaces, `-`, `.`, `(`, `)` or `+`
    /// between them) masked but for its first 4 and last 2 digits: for messages the API wrote, such as
    /// `No pending verifications for +1 202-***-**03 found.`
    public static func maskedNumbers(in text: String) -> String {
        let characters = Array(text)
        var output = ""
        var index = 0
        while index < characters.count {
            guard characters[index].isASCII, characters[index].isNumber || characters[index] == "+" else {
                output.append(characters[index])
                index += 1
                continue
            }
            var end = index
            while end < characters.count, characters[end].isASCII,
                characters[end].isNumber || " -.()+".contains(characters[end])
            {
                end += 1
            }
            // A run ends with its last digit; trailing separators stay outside.
            while end > index, !characters[end - 1].isNumber { end -= 1 }
            let run = characters[index..<max(end, index + 1)]
            let digits = run.filter(\.isNumber).count
            var seen = 0
            for character in run {
                if character.isNumber {
                    seen += 1
                    output.append(digits >= 6 && seen > 4 && seen <= digits - 2 ? "*" : character)
                } else {
                    output.append(character)
                }
            }
            index = max(end, index + 1)
        }
        return output
    }
}
