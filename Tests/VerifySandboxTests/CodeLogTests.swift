import Dispatch
import Foundation
import NIOHTTP1
import Synchronization
import Testing

@testable import VerifySandbox

@Suite struct CodeLogTests {
    let date = Date(timeIntervalSince1970: 1_750_000_000)

    @Test func linesNameTheProviderNumberAndCodeAndMarkReSends() async {
        let sink = CodeLineSink()
        let log = CodeLog(writer: sink.write)
        _ = log.record(code: "4400", for: "+12025550189", provider: "authy-v1", isResend: false, at: date)
        _ = log.record(code: "4400", for: "+12025550189", provider: "authy-v1", isResend: true, at: date + 7)
        _ = log.record(code: "744400", for: "+447911123456", provider: "verify-v2", isResend: false, at: date)
        await log.close()
        #expect(
            sink.lines == [
                "2025-06-15T15:06:40Z authy-v1 code for +12025550189 is 4400",
                "2025-06-15T15:06:47Z authy-v1 code for +12025550189 is 4400 (sent again)",
                "2025-06-15T15:06:40Z verify-v2 code for +447911123456 is 744400",
            ])
    }

    @Test func anAnswerIsReadOnlyOnceItsCodeLineIsWritten() async throws {
        try await withSandbox { sandbox in
            let v2 = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
            #expect(v2.status == 201)
            #expect(sandbox.codeLines.lines == ["2025-06-15T15:06:40Z verify-v2 code for +12025550189 is 744400"])

            sandbox.clock.advance(by: 5)
            let again = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=call")
            #expect(again.status == 201)
            #expect(
                sandbox.codeLines.lines.last
                    == "2025-06-15T15:06:45Z verify-v2 code for +12025550189 is 744400 (sent again)")

            let code = VerificationCode.code(for: "+447911123456", length: 4)
            let v1 = try await sandbox.v1Start("via=sms&country_code=44&phone_number=07911123456")
            #expect(v1.status == 200)
            #expect(sandbox.codeLines.lines.last == "2025-06-15T15:06:45Z authy-v1 code for +447911123456 is \(code)")
            let v1Again = try await sandbox.v1Start("via=call&country_code=44&phone_number=07911123456")
            #expect(v1Again.status == 200)
            #expect(sandbox.codeLines.lines.count == 4)
            #expect(sandbox.codeLines.lines.last?.hasSuffix("is \(code) (sent again)") == true)
        }
    }

    @Test func pipelinedAnswersKeepTheirOrderWhileTheyWaitForTheirLines() async throws {
        try await withSandbox { sandbox in
            let numbers = (0..<20).map { "+1202555\(1000 + $0)" }
            let requests = numbers.map { number in
                TestRequest(
                    method: .POST, uri: "/v2/Services/\(sandbox.configuration.serviceSid)/Verifications",
                    headers: sandbox.v2Auth + [("Content-Type", "application/x-www-form-urlencoded")],
                    body: "To=\(number.replacingOccurrences(of: "+", with: "%2B"))&Channel=sms")
            }
            let responses = try await sandbox.client.sendOnOneConnection(requests)
            #expect(try responses.map { try $0.decode(V2VerificationBody.self).to } == numbers)
            #expect(sandbox.codeLines.lines.map { $0.split(separator: " ")[4] } == numbers.map { Substring($0) })
        }
    }

    @Test func refusedStartsPrintNothing() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.v2Post("Verifications", "To=%2B442079460000&Channel=sms")
            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025559999")
            #expect(sandbox.codeLines.text.isEmpty)
        }
    }

    @Test func aStalledOutputDropsLinesBeyondTheCapacityAndSaysSoLater() async {
        let sink = CodeLineSink()
        let release = DispatchSemaphore(value: 0)
        let isFirstWrite = Mutex(true)
        let log = CodeLog { bytes in
            // The first write stalls until the test has filled the buffer.
            if isFirstWrite.withLock({ $0 }) {
                isFirstWrite.withLock { $0 = false }
                release.wait()
            }
            sink.write(bytes)
        }
        var recorded = 0
        var dropped = 0
        while dropped < 3 {
            if log.record(code: "4400", for: "+12025550189", provider: "authy-v1", isResend: false, at: date) != nil {
                recorded += 1
            } else {
                dropped += 1
            }
        }
        release.signal()
        await log.close()
        let lineLength = "2025-06-15T15:06:40Z authy-v1 code for +12025550189 is 4400\n".utf8.count
        #expect(recorded * lineLength >= CodeLog.capacity)
        #expect(sink.lines.count == recorded + 1)
        #expect(sink.lines.last == "(3 code lines dropped: standard output too slow)")
    }
}
