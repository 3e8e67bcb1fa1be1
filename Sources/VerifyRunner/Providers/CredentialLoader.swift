import Foundation

/// Reads a provider's credentials from the environment or from files, never from a flag value
/// (`ps` must not show them: docs/contract.md, "Providers and credentials").
public struct CredentialLoader: Sendable {
    /// Why credentials could not be had.
    public enum LoadError: Error, Equatable, CustomStringConvertible {
        /// A variable or file is missing; names what to set.
        case missing(String)
        /// A secret file is readable by group or others.
        case filePermissions(path: String, mode: Int)
        /// A secret file could not be read.
        case unreadable(path: String, reason: String)

        /// One line naming the problem and its fix, never the secret.
        public var description: String {
            switch self {
            case .missing(let what): return "missing credentials: \(what)"
            case .filePermissions(let path, let mode):
                return "\(path) is readable by others (mode \(String(mode, radix: 8))); run chmod 600 \(path)"
            case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
            }
        }
    }

    private let environment: [String: String]

    /// Creates a loader over an environment (the process's when `nil`).
    public init(environment: [String: String]? = nil) {
        self.environment = environment ?? ProcessInfo.processInfo.environment
    }

    /// Loads the credentials `provider` needs: each from its environment variable, or a secret from the file
    /// its ``CredentialField/fileOption`` names in `files` (paths by option name).
    ///
    /// - Throws: ``LoadError``, naming what to set.
    public func load(_ provider: ProviderDefinition, files: [String: String]) throws -> Credentials {
        var values: [String: String] = [:]
        for field in provider.credentialFields {
            if let option = field.fileOption, let path = files[option] {
                values[field.variable] = try readSecret(path)
            } else {
                let hint =
                    field.fileOption.map { "set \(field.variable) or pass --\($0)" } ?? "set \(field.variable)"
                values[field.variable] = try value(field.variable, hint: hint)
            }
        }
        return Credentials(fields: provider.credentialFields, values: values)
    }

    private func value(_ name: String, hint: String) throws(LoadError) -> String {
        guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw .missing(hint)
        }
        return value
    }

    /// Reads a secret file: owner-only permissions required; surrounding whitespace trimmed.
    ///
    /// A file in systemd's `$CREDENTIALS_DIRECTORY` (`LoadCredential=`) is accepted whatever its mode:
    /// systemd makes that folder private to the service, and since systemd 254 grants the service user
    /// access with an ACL, which shows as group-readable mode 0440.
    func readSecret(_ path: String) throws(LoadError) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let mode = Int(info.st_mode & 0o777)
        guard mode & 0o077 == 0 || isSystemdCredential(path) else { throw .filePermissions(path: path, mode: mode) }
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !text.isEmpty
        else { throw .unreadable(path: path, reason: "empty or not UTF-8") }
        return text
    }

    /// Whether `path` is a file directly in `$CREDENTIALS_DIRECTORY`, both resolved.
    private func isSystemdCredential(_ path: String) -> Bool {
        guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty,
            let resolvedDirectory = realpath(directory, nil), let resolvedFile = realpath(path, nil)
        else { return false }
        defer {
            free(resolvedDirectory)
            free(resolvedFile)
        }
        let folder = (String(cString: resolvedFile) as NSString).deletingLastPathComponent
        return folder == String(cString: resolvedDirectory)
    }
}

extension ProviderDefinition {
    /// Checks an `--api-base` value: https, or http only for loopback hosts (docs/contract.md, "Providers and
    /// credentials").
    ///
    /// - Returns: a reason when the URL is refused, `nil` when it is fine.
    public static func problem(withBaseURL url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else { return "--api-base must be an absolute URL like https://api.example.com" }
        switch scheme {
        case "https": return nil
        case "http":
            let loopback = host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
            return loopback ? nil : "plain http:// is accepted only for loopback hosts (127.0.0.1, localhost, ::1)"
        default: return "--api-base must use https:// (or http:// on loopback)"
        }
    }
}
