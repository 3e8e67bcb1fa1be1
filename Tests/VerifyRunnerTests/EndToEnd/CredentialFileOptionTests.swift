import Foundation
import Testing

@testable import VerifyRunner

/// The file options of credentials come from the providers' definitions: every option a definition names is
/// accepted by the built binary and read for that provider's secret, in place of its variable.
@Suite struct CredentialFileOptionTests {
    /// Each provider's secrets that may be read from a file, with the provider.
    private static var secretsWithFiles: [(ProviderDefinition, CredentialField)] {
        ProviderDefinition.all.flatMap { definition in
            definition.credentialFields.filter { $0.fileOption != nil }.map { (definition, $0) }
        }
    }

    @Test func everyFileOptionADefinitionNamesReadsItsSecret() async throws {
        #expect(!Self.secretsWithFiles.isEmpty)
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        for (definition, field) in Self.secretsWithFiles {
            let option = try #require(field.fileOption)
            let path = try folder.write("secret\n", to: "\(definition.name)-\(option)")
            #expect(chmod(path, 0o644) == 0)
            // The provider's other fields are set; the secret's variable is not, so only the file can give it.
            var environment: [String: String] = [:]
            for other in definition.credentialFields where other != field { environment[other.variable] = "X1" }
            let output = try await BuiltBinary.run(
                [
                    "check", "--provider", definition.name.rawValue, "--api-base", "http://127.0.0.1:9",
                    "--phone", "+12025550100", "--code", "123456", "--\(option)", path,
                ],
                environment: environment)
            #expect(output.status == 1)
            #expect(
                output.stderr.contains("\(path) is readable by others (mode 644)"),
                "--\(option) for \(definition.name): \(output.stderr)")
        }
    }
}
