import Foundation
import Testing

@testable import VerifySandbox

@Suite struct JSONWriterTests {
    @Test func writesMembersInOrderWithNestedObjectsAndArrays() {
        let body = JSONWriter.object { json in
            json.member("text", "a/b")
            json.member("count", -42)
            json.member("flag", true)
            json.member("off", false)
            json.member("empty") { _ in }
            json.member("nested") { $0.member("message", "hi") }
            json.member("list", objects: [1, 2]) { json, value in json.member("n", value) }
            json.member("none", objects: [Int]()) { json, value in json.member("n", value) }
            json.member("at", timestamp: Date(timeIntervalSince1970: 1_438_286_400))
        }
        #expect(
            String(decoding: body, as: UTF8.self)
                == #"{"text":"a/b","count":-42,"flag":true,"off":false,"empty":{},"nested":{"message":"hi"},"#
                + #""list":[{"n":1},{"n":2}],"none":[],"at":"2015-07-30T20:00:00Z"}"#)
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("quote \" and \\ backslash", #""quote \" and \\ backslash""#),
        ("line\nfeed\r\ttab", #""line\nfeed\r\ttab""#),
        ("\u{08}\u{0C}\u{01}\u{1F}", #""\b\f\u0001\u001f""#),
        ("✓ +1 ünï", #""✓ +1 ünï""#),
        ("", #""""#),
    ])
    func escapesStringsAsRFC8259Requires(value: String, expected: String) throws {
        let body = JSONWriter.object { $0.member("v", value) }
        #expect(String(decoding: body, as: UTF8.self) == #"{"v":"# + expected + "}")
        let decoded = try JSONSerialization.jsonObject(with: Data(body)) as? [String: String]
        #expect(decoded == ["v": value])
    }
}

@Suite struct FormParametersTests {
    @Test func theLastValueOfANameWinsAcrossMergedSources() {
        var parameters = FormDecoding.decode("via=sms&country_code=1".utf8)
        parameters.append(contentsOf: FormDecoding.decode("via=call&phone_number=2025550189".utf8))
        #expect(parameters["via"] == "call")
        #expect(parameters["country_code"] == "1")
        #expect(parameters["missing"] == nil)
        #expect(parameters == ["via": "call", "country_code": "1", "phone_number": "2025550189"])
        #expect(parameters != ["via": "sms", "country_code": "1", "phone_number": "2025550189"])
    }
}

@Suite struct IdentifierGeneratorTests {
    @Test func uuidsAreVersionFourInLowercaseText() {
        var generator = IdentifierGenerator()
        let uuids = (0..<100).map { _ in generator.uuid() }
        #expect(Set(uuids).count == uuids.count)
        for uuid in uuids {
            let groups = uuid.split(separator: "-", omittingEmptySubsequences: false)
            #expect(groups.map(\.count) == [8, 4, 4, 4, 12])
            #expect(groups.joined().allSatisfy { $0.isHexDigit && !$0.isUppercase })
            #expect(groups[2].first == "4")
            #expect(groups[3].first.map { "89ab".contains($0) } == true)
            #expect(UUID(uuidString: uuid) != nil)
        }
    }

    @Test func sidsAreAPrefixAnd32LowercaseHexDigitsAndReadBack() {
        var generator = IdentifierGenerator()
        let first = generator.sid()
        let second = generator.sid()
        #expect(first != second)
        for digits in [first, second] {
            let sid = digits.text(prefix: "VE")
            #expect(sid.hasPrefix("VE"))
            #expect(sid.count == 34)
            #expect(sid.dropFirst(2).allSatisfy { $0.isHexDigit && !$0.isUppercase })
            #expect(SidDigits(parsing: sid, prefix: "VE") == digits)
            #expect(SidDigits(parsing: "VE" + sid.dropFirst(2).uppercased(), prefix: "VE") == digits)
            #expect(SidDigits(parsing: sid, prefix: "VL") == nil)
        }
        #expect(SidDigits(parsing: "VL" + String(repeating: "0", count: 31), prefix: "VL") == nil)
        #expect(SidDigits(parsing: "VL" + String(repeating: "g", count: 32), prefix: "VL") == nil)
        #expect(
            SidDigits(parsing: "VL" + String(repeating: "F", count: 32), prefix: "VL")
                == SidDigits(high: .max, low: .max))
    }
}
