import ArgumentParser
import Dispatch
import Synchronization
import VerifyRunner

/// `verifyd check`: checks one code for one number and prints the result.
///
/// Exit status: 0 when the API answered (approved or denied — the printed status says which),
/// 1 when it could not be asked or refused the request.
struct CheckCommand: BlockingCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check one verification code for one number.")

    @OptionGroup var providerOptions: ProviderOptions

    @Option(name: .long, help: "The phone number (national, or international with +).")
    var phone: String

    @Option(name: .long, help: "The country calling code, unless --phone starts with +.")
    var countryCode: String?

    @Option(name: .long, help: "The code the person received.")
    var code: String

    func runBlocking() throws {
        if let problem = JobIntake.problem(via: "", code: code) { throw ValidationError(problem) }
        let number: NormalizedPhone
        switch PhoneNormalizer().normalize(phoneNumber: phone, countryCode: countryCode) {
        case .success(let value): number = value
        case .failure(let error): throw ValidationError("--phone: \(error)")
        }
        let provider = try providerOptions.makeProvider()
        let transport = try providerOptions.connection.makeTransport(concurrency: 1)
        defer { transport.shutdown() }
        let target = VerificationTarget(
            e164: number.e164, countryCode: number.countryCode, nationalNumber: number.nationalNumber, kind: .check,
            channel: .sms, code: code)
        let answer = Mutex<Result<HTTPResponse, TransportFailure>?>(nil)
        let done = DispatchSemaphore(value: 0)
        transport.send(
            provider.request(for: target), timeout: providerOptions.connection.requestTimeout,
            on: DispatchQueue(label: "verifyd.check")
        ) { outcome in
            answer.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        guard let outcome = answer.withLock({ $0 }) else { throw CommandFailure("no answer") }
        let result = provider.interpret(outcome, for: target)
        let status: String
        switch result.verdict {
        case .approved: status = "approved"
        case .denied: status = "denied"
        default:
            throw CommandFailure(
                "check failed for \(number.e164): \(result.message ?? "no message")"
                    + (result.errorCode.map { " (error \($0))" } ?? ""))
        }
        print("\(number.e164): \(status)" + (result.message.map { " — \($0)" } ?? ""))
    }
}
