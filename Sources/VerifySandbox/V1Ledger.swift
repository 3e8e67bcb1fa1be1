import Foundation

/// The V1 provider's verifications, keyed by E.164 number.
///
/// A value type with no clock and no locking: the caller passes `now` and guards it with a `Mutex`. Records are
/// kept after they expire or are verified, so the status endpoint can still answer `expired` or `verified`.
struct V1Ledger {
    /// One verification: the code sent to a number and its lifetime.
    struct Verification: Equatable {
        /// The id the start response returns.
        var uuid: String
        /// The number, e.g. `+12025550189`.
        var e164: String
        /// The code that was sent.
        var code: String
        /// The channel of the latest send.
        var via: DeliveryChannel
        /// When the code stops being valid.
        var expiresAt: Date
        /// Whether a check has approved the code.
        var verified: Bool

        /// Whether the code can no longer be checked because its lifetime is over.
        func isExpired(at now: Date) -> Bool {
            now >= expiresAt
        }

        /// Remaining lifetime as V1 reports it: 599 for a fresh code of 10 minutes, 0 once expired.
        func secondsToExpire(at now: Date) -> Int {
            let remaining = expiresAt.timeIntervalSince(now)
            return remaining <= 1 ? 0 : Int(remaining.rounded(.up)) - 1
        }

        /// The status word of the status endpoint.
        func status(at now: Date) -> String {
            if verified { return "verified" }
            return isExpired(at: now) ? "expired" : "pending"
        }
    }

    /// The result of a check.
    enum CheckResult: Equatable {
        case correct
        case incorrect
        case notPending
    }

    /// Verifications by number.
    private var byNumber: [String: Verification] = [:]
    /// The number of each current verification's uuid.
    private var numberByUUID: [String: String] = [:]
    /// Where new uuids come from.
    private var identifiers = IdentifierGenerator()
    /// How long a new code stays valid.
    private let codeLifetime: TimeInterval

    /// Creates an empty ledger.
    ///
    /// - Parameter codeLifetime: how long a new code stays valid, in seconds (600 on the real API).
    init(codeLifetime: TimeInterval) {
        self.codeLifetime = codeLifetime
    }

    /// Starts a verification, or re-sends the pending one.
    ///
    /// A pending, unexpired verification keeps its code, uuid and expiry (the real API re-sends the same code);
    /// otherwise a new one replaces it.
    ///
    /// - Parameters:
    ///   - e164: the number.
    ///   - via: the channel of this send.
    ///   - codeLength: digits of a new code.
    ///   - now: the server's current time.
    /// - Returns: the verification, and whether it was created by this call.
    mutating func start(
        e164: String, via: DeliveryChannel, codeLength: Int, now: Date
    ) -> (verification: Verification, isNew: Bool) {
        let previous = byNumber[e164]
        if var existing = previous, !existing.verified, !existing.isExpired(at: now) {
            existing.via = via
            byNumber[e164] = existing
            return (existing, false)
        }
        if let previous { numberByUUID[previous.uuid] = nil }
        let verification = Verification(
            uuid: identifiers.uuid(), e164: e164,
            code: VerificationCode.code(for: e164, length: codeLength), via: via,
            expiresAt: now.addingTimeInterval(codeLifetime), verified: false)
        byNumber[e164] = verification
        numberByUUID[verification.uuid] = e164
        return (verification, true)
    }

    /// Checks a code against the number's pending verification; a correct code marks it verified.
    mutating func check(e164: String, code: String, now: Date) -> CheckResult {
        guard var verification = byNumber[e164], !verification.verified, !verification.isExpired(at: now) else {
            return .notPending
        }
        guard verification.code == code else { return .incorrect }
        verification.verified = true
        byNumber[e164] = verification
        return .correct
    }

    /// Ends the lifetime of every code not yet verified, as if it had run out `now`.
    ///
    /// - Returns: how many codes were still valid.
    mutating func expireAll(now: Date) -> Int {
        var expired = 0
        for (number, verification) in byNumber where !verification.verified && !verification.isExpired(at: now) {
            byNumber[number]?.expiresAt = now
            expired += 1
        }
        return expired
    }

    /// The latest verification of a number.
    func verification(e164: String) -> Verification? {
        byNumber[e164]
    }

    /// The verification a start response named.
    func verification(uuid: String) -> Verification? {
        numberByUUID[uuid].flatMap { byNumber[$0] }
    }
}
