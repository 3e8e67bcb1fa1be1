import Testing

@testable import VerifySandbox

@Suite struct FormDecodingTests {
    @Test func decodesPercentEscapesAndPlusSigns() {
        let parameters = FormDecoding.decode("To=%2B12025550189&Channel=sms&Locale=pt-BR&x=a+b%20c".utf8)
        #expect(parameters == ["To": "+12025550189", "Channel": "sms", "Locale": "pt-BR", "x": "a b c"])
    }

    @Test func anUnencodedPlusBecomesASpaceAsOnTheRealAPI() {
        #expect(FormDecoding.decode("To=+12025550189".utf8)["To"] == " 12025550189")
    }

    @Test func keepsMalformedEscapesAndHandlesOddPairs() {
        let parameters = FormDecoding.decode("bad=%zz&end=%4&flag&&a=1&a=2&check=%E2%9C%93".utf8)
        #expect(parameters == ["bad": "%zz", "end": "%4", "flag": "", "a": "2", "check": "✓"])
    }

    @Test func decodesFlatJSONObjectsToText() throws {
        let json = #"{"via":"sms","code_length":6,"country_code":"1","flag":true,"none":null,"list":[1],"f":1.5}"#
        let parameters = try FormDecoding.decodeJSON(Array(json.utf8))
        #expect(parameters == ["via": "sms", "code_length": "6", "country_code": "1", "flag": "true", "f": "1.5"])
    }

    @Test(arguments: ["via=sms", "[1,2]", "{"])
    func refusesBodiesThatAreNotJSONObjects(body: String) {
        #expect(throws: (any Error).self) { try FormDecoding.decodeJSON(Array(body.utf8)) }
    }
}
