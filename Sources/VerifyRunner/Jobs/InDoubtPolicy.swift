/// What to do with a request whose fate is unknown (`--in-doubt`, docs/in-doubt.md).
///
/// A request is in doubt when it may have reached the API but no answer was recorded: the process
/// died while it was in flight, or the transfer failed after the request was written (timeout,
/// reset, 5xx).
public enum InDoubtPolicy: String, Sendable, Equatable, CaseIterable, Codable {
    /// Ask the provider whether the verification exists before resending (V1 status endpoint).
    case check
    /// Send again (V1 re-sends the same code; V2 re-delivers it and spends one of 5 send attempts).
    case resend
    /// Do not send again; the row ends `in_doubt` in the report.
    case report
}
