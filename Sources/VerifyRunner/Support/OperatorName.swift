import Foundation

/// The login name of the person running a command, for the audit trail of operators' actions.
public enum OperatorName {
    /// The session's login name (under `sudo`, the person who ran it), else the name of the effective user, else
    /// `uid N`.
    public static func current() -> String {
        if let login = getlogin(), !String(cString: login).isEmpty { return String(cString: login) }
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(geteuid())"
    }
}
