/// One loaded, unfinished row as ``JobScheduler`` holds it: its machine, its number, and the moments its retry
/// window and in-doubt questions are measured from.
struct LoadedRow {
    /// The row's state machine.
    var machine: RowStateMachine
    /// The number and what to do with it.
    let target: VerificationTarget
    /// Its `time_zone` column, if it has one (for `--send-window`).
    var timeZone: String? = nil
    /// When its first request left, seconds since 1970: its retry window's start.
    var firstSentAt: Double?
    /// When it was last marked in flight, seconds since 1970: its latest request left right after.
    var lastSentAt: Double?
    /// In doubt: a moment after which its request could no longer leave (the transfer had ended, or the process
    /// that sent it was dead).
    var leftBy: Double?
    /// In doubt: from when a status question about it proves its request absent, seconds since 1970. At once when
    /// the API answered the request (it was done with it); `--in-doubt-margin` after ``leftBy`` when nothing
    /// answered (a timeout, a reset, a process that died, a runner found gone): the request may still be on its
    /// way, or inside the API, until then.
    var askableAt: Double?
    /// Its last answer, so a row that ends failed or in doubt after a question (which has no answer of its own
    /// for the report) shows the answer that led there.
    var lastResult: ProviderResult?
}
