import Foundation

/// Request parameters in the order the client sent them; a name sent twice reads as its last value.
///
/// A handful of pairs searched from the end is cheaper than a hashed dictionary for the few parameters an API
/// request carries. Parameters from several sources are merged by appending the ones that win.
struct FormParameters: Equatable, ExpressibleByDictionaryLiteral, Sendable {
    /// The pairs, oldest first.
    private var pairs: [(name: String, value: String)]

    /// Creates an empty list.
    init() {
        pairs = []
    }

    /// Creates a list from literal pairs, in order.
    init(dictionaryLiteral elements: (String, String)...) {
        pairs = elements.map { (name: $0.0, value: $0.1) }
    }

    /// The last value sent under `name`, or `nil` when there is none.
    subscript(name: String) -> String? {
        pairs.last { $0.name == name }?.value
    }

    /// Adds a pair; it wins over earlier pairs of the same name.
    mutating func append(name: String, value: String) {
        pairs.append((name, value))
    }

    /// Adds every pair of `other`, so that its values win.
    mutating func append(contentsOf other: FormParameters) {
        pairs.append(contentsOf: other.pairs)
    }

    /// The parameters as a dictionary: each name with its winning value.
    private var dictionary: [String: String] {
        Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    /// Two lists are equal when every name reads the same value.
    static func == (lhs: FormParameters, rhs: FormParameters) -> Bool {
        lhs.dictionary == rhs.dictionary
    }
}

/// Decoders for the ways clients send parameters: `application/x-www-form-urlencoded` bodies, query strings and
/// (V1 only) flat JSON objects.
enum FormDecoding {
    /// Decodes `name=value&…` pairs, as in a form body or a query string.
    ///
    /// `+` decodes to a space and `%XX` to its byte, so a V2 `To` sent as `+1…` instead of `%2B1…` arrives with a
    /// leading space, exactly as on the real API. A malformed escape is kept literally. When a name repeats, the
    /// last value wins.
    ///
    /// - Parameter bytes: the encoded text.
    /// - Returns: the decoded parameters.
    static func decode(_ bytes: some Collection<UInt8>) -> FormParameters {
        var result = FormParameters()
        var start = bytes.startIndex
        while start != bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            let pair = bytes[start..<end]
            if !pair.isEmpty {
                if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                    result.append(
                        name: percentDecode(pair[pair.startIndex..<equals]),
                        value: percentDecode(pair[pair.index(after: equals)...]))
                } else {
                    result.append(name: percentDecode(pair), value: "")
                }
            }
            start = end == bytes.endIndex ? end : bytes.index(after: end)
        }
        return result
    }

    /// Decodes one form-encoded component, or (with `plusIsSpace` false) one path segment, where `+` is itself.
    ///
    /// - Parameters:
    ///   - bytes: the component, e.g. `%2B1202`.
    ///   - plusIsSpace: whether `+` stands for a space, as in forms and query strings (not in paths).
    /// - Returns: the text, with invalid UTF-8 repaired.
    static func percentDecode(_ bytes: some Collection<UInt8>, plusIsSpace: Bool = true) -> String {
        let plus = plusIsSpace ? UInt8(ascii: "+") : UInt8(ascii: "%")
        guard bytes.contains(where: { $0 == plus || $0 == UInt8(ascii: "%") }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+"), plusIsSpace {
                output.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"),
                let high = bytes.index(index, offsetBy: 1, limitedBy: bytes.endIndex), high != bytes.endIndex,
                let low = bytes.index(high, offsetBy: 1, limitedBy: bytes.endIndex), low != bytes.endIndex,
                let highValue = bytes[high].hexDigitValue, let lowValue = bytes[low].hexDigitValue
            {
                output.append(highValue << 4 | lowValue)
                index = low
            } else {
                output.append(byte)
            }
            index = bytes.index(after: index)
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes a flat JSON object of parameters, as authy-python and authy-java send them.
    ///
    /// Strings, numbers and booleans become their text (`"code_length": 6` → `"6"`); `null`, arrays and nested
    /// objects are ignored.
    ///
    /// - Parameter bytes: the body.
    /// - Returns: the parameters.
    /// - Throws: `DecodingError` when the body is not a JSON object.
    static func decodeJSON(_ bytes: [UInt8]) throws -> FormParameters {
        let object = try JSONDecoder().decode([String: JSONScalar].self, from: Data(bytes))
        var result = FormParameters()
        for (name, value) in object {
            if let text = value.text { result.append(name: name, value: text) }
        }
        return result
    }
}

extension UInt8 {
    /// The value of this byte read as one hexadecimal digit in either case, or `nil` when it is none.
    var hexDigitValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): self - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// One value of a JSON parameter object, reduced to the text a form body would have carried.
private enum JSONScalar: Decodable {
    case text(String)
    case ignored

    /// The parameter text, or `nil` for values that carry none.
    var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    /// Decodes any JSON value; never throws, so one odd value cannot hide the others.
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            self = .text(string)
        } else if let integer = try? container.decode(Int.self) {
            self = .text(String(integer))
        } else if let boolean = try? container.decode(Bool.self) {
            self = .text(String(boolean))
        } else if let number = try? container.decode(Double.self) {
            self = .text(String(number))
        } else {
            self = .ignored
        }
    }
}
