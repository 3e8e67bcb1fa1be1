import Foundation
import Logging
import Synchronization
import Testing

@testable import VerifySandbox

@Suite struct CodeLogTests {
    /// Collects what a code log writes.
    final class Sink: Sendable {
        private let written = Mutex<[UInt8]>([])

        /// The text written so far.
        var text: String { written.withLock { String(decoding: $0, as: UTF8.self) } }

        /// Appends a batch.
        func write(_ bytes: [UInt8]) {
            written.withLock { $0.append(contentsOf: bytes) }
        }
    }

    let date = Date(timeIntervalSince1970: 1_750_000_000)

    @Test func newCodesAreWrittenAtInfoInTheStreamFormatByClose() async {
        let sink = Sink()
        let log = CodeLog(label: "verifyd", minimumLevel: .info, sink: sink.write)
        log.record(code: "4400", for: "+12025550189", isNew: true, provider: "authy-v1", at: date)
        log.record(code: "4400", for: "+12025550189", isNew: false, provider: "authy-v1", at: date)
        log.record(code: "744400", for: "+447911123456", isNew: true, provider: "verify-v2", at: date)
        await log.close()
        let prefix = "2025-06-15T15:06:40Z info verifyd : provider="
        #expect(
            sink.text
                == prefix + "authy-v1 [VerifySandbox] code for +12025550189 is 4400\n"
                + prefix + "verify-v2 [VerifySandbox] code for +447911123456 is 744400\n")
    }

    @Test func reSendsAreWrittenAtDebugAndNothingAboveTheLevel() async {
        let debug = Sink()
        let debugLog = CodeLog(label: "sandbox", minimumLevel: .debug, sink: debug.write)
        debugLog.record(code: "4400", for: "+12025550189", isNew: false, provider: "authy-v1", at: date)
        await debugLog.close()
        #expect(debug.text.hasPrefix("2025-06-15T15:06:40Z debug sandbox : provider=authy-v1"))

        let quiet = Sink()
        let quietLog = CodeLog(label: "sandbox", minimumLevel: .warning, sink: quiet.write)
        quietLog.record(code: "4400", for: "+12025550189", isNew: true, provider: "authy-v1", at: date)
        await quietLog.close()
        #expect(quiet.text.isEmpty)
    }
}
