import Foundation

/// The V2 provider's live verifications, by sid and by number.
///
/// A value type with no clock and no locking: the caller passes `now` and guards it with a `Mutex`. Like Twilio,
/// it forgets a verification once it is approved or expired, so later checks and fetches get 404.
struct V2Ledger {
    /// One delivery of the code.
    struct SendAttempt: Equatable {
        /// When it was sent.
        var time: Date
        /// How it was sent.
        var channel: DeliveryChannel
        /// Its id, `VL…`.
        var attemptSid: String
    }

    /// One verification of a number.
    struct Verification: Equatable {
        /// The verification's id, `VE…`.
        var sid: String
        /// The number, E.164.
        var to: String
        /// The channel of the latest send.
        var channel: DeliveryChannel
        /// The code that was sent.
        var code: String
        /// `pending`, or `approved` in the answer to a correct check.
        var status: String
        /// When it was created.
        var dateCreated: Date
        /// When it last changed.
        var dateUpdated: Date
        /// When the code stops being valid.
        var expiresAt: Date
        /// Every delivery so far, oldest first.
        var sendCodeAttempts: [SendAttempt]
    }

    /// The result of a check.
    enum CheckResult: Equatable {
        case approved(Verification)
        case incorrect(Verification)
        case notFound
    }

    /// Live verifications by sid.
    private var bySid: [String: Verification] = [:]
    /// The sid of each number's live verification.
    private var sidByNumber: [String: String] = [:]
    /// Where new sids come from.
    private var identifiers = IdentifierGenerator()
    /// How long a new code stays valid.
    private let codeLifetime: TimeInterval

    /// Creates an empty ledger.
    ///
    /// - Parameter codeLifetime: how long a new verification's code stays valid, in seconds (600 on the real API).
    init(codeLifetime: TimeInterval) {
        self.codeLifetime = codeLifetime
    }

    /// Starts a verification, or re-sends the pending one with the same code (one more send attempt).
    ///
    /// - Parameters:
    ///   - to: the E.164 number.
    ///   - channel: the channel of this send.
    ///   - now: the server's current time.
    /// - Returns: the verification, and whether it was created by this call.
    mutating func start(to: String, channel: DeliveryChannel, now: Date) -> (verification: Verification, isNew: Bool) {
        let attempt = SendAttempt(time: now, channel: channel, attemptSid: identifiers.sid(prefix: "VL"))
        if var existing = live(number: to, now: now) {
            existing.channel = channel
            existing.dateUpdated = now
            existing.sendCodeAttempts.append(attempt)
            bySid[existing.sid] = existing
            return (existing, false)
        }
        let verification = Verification(
            sid: identifiers.sid(prefix: "VE"), to: to, channel: channel,
            code: VerificationCode.code(for: to, length: VerificationCode.v2Length), status: "pending",
            dateCreated: now, dateUpdated: now, expiresAt: now.addingTimeInterval(codeLifetime),
            sendCodeAttempts: [attempt])
        bySid[verification.sid] = verification
        sidByNumber[to] = verification.sid
        return (verification, true)
    }

    /// Checks a code against the live verification named by sid or number; approval removes it.
    ///
    /// - Parameters:
    ///   - to: the number, when the client sent `To`.
    ///   - sid: the verification sid, when the client sent `VerificationSid` (wins over `to`).
    ///   - code: the code to check.
    ///   - now: the server's current time.
    mutating func check(to: String?, sid: String?, code: String, now: Date) -> CheckResult {
        let found = sid.flatMap { live(sid: $0, now: now) } ?? to.flatMap { live(number: $0, now: now) }
        guard var verification = found else { return .notFound }
        guard verification.code == code else { return .incorrect(verification) }
        verification.status = "approved"
        verification.dateUpdated = now
        remove(verification)
        return .approved(verification)
    }

    /// The live verification with this sid.
    mutating func verification(sid: String, now: Date) -> Verification? {
        live(sid: sid, now: now)
    }

    /// The live verification of a number; an expired one is dropped.
    private mutating func live(number: String, now: Date) -> Verification? {
        sidByNumber[number].flatMap { live(sid: $0, now: now) }
    }

    /// The live verification with this sid; an expired one is dropped.
    private mutating func live(sid: String, now: Date) -> Verification? {
        guard let verification = bySid[sid] else { return nil }
        guard now < verification.expiresAt else {
            remove(verification)
            return nil
        }
        return verification
    }

    /// Forgets a verification.
    private mutating func remove(_ verification: Verification) {
        bySid[verification.sid] = nil
        if sidByNumber[verification.to] == verification.sid { sidByNumber[verification.to] = nil }
    }
}
