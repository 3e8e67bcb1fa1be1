import Foundation

/// The V2 provider's live verifications, by sid and by number, and every attempt they made (``AttemptLog``).
///
/// A value type with no clock and no locking: the caller passes `now` and guards it with a `Mutex`. Like Twilio,
/// it forgets a verification once it is approved, canceled or expired, so later checks and fetches get 404; its
/// attempts stay listed, converted when it was approved. It keeps Twilio's per-verification limits
/// (https://www.twilio.com/docs/api/errors/60203, https://www.twilio.com/docs/api/errors/60202): at most
/// ``maximumSends`` sends, and no check is processed after ``maximumWrongChecks`` wrong codes.
struct V2Ledger {
    /// One delivery of the code.
    struct SendAttempt: Equatable {
        /// When it was sent.
        var time: Date
        /// How it was sent.
        var channel: DeliveryChannel
        /// Its sid, `VL…`: the same as its attempt's in the ``AttemptLog``.
        var id: SidDigits
    }

    /// Where a verification stands, as its `status` field says.
    enum Status: String {
        case pending
        case approved
        case canceled
    }

    /// One verification of a number.
    struct Verification: Equatable {
        /// The verification's sid, `VE…`.
        var id: SidDigits
        /// The number, E.164.
        var to: String
        /// The channel of the latest send.
        var channel: DeliveryChannel
        /// The code that was sent.
        var code: String
        /// `pending` while live; `approved` or `canceled` in the answer that ends it.
        var status: Status
        /// When it was created.
        var dateCreated: Date
        /// When it last changed.
        var dateUpdated: Date
        /// When the code stops being valid.
        var expiresAt: Date
        /// Every delivery so far, oldest first.
        var sendCodeAttempts: [SendAttempt]
        /// Wrong codes checked so far.
        var wrongChecks = 0

        /// The verification's sid as text, `VE…`.
        var sid: String { id.text(prefix: "VE") }
    }

    /// Why a start was not processed.
    enum StartRefusal: Error, Equatable {
        /// The number's live verification was already sent ``V2Ledger/maximumSends`` times (Twilio 60203).
        case maximumSendsReached
    }

    /// The result of a check.
    enum CheckResult: Equatable {
        case approved(Verification)
        case incorrect(Verification)
        /// The verification had ``V2Ledger/maximumWrongChecks`` wrong codes already (Twilio 60202); not processed.
        case maximumWrongChecksReached
        case notFound
    }

    /// Sends of one verification Twilio allows; the next start to the number gets 60203.
    static let maximumSends = 5
    /// Wrong checks of one verification Twilio allows; every later check gets 60202.
    static let maximumWrongChecks = 5

    /// Every attempt the verifications made, live or not.
    private(set) var attempts = AttemptLog()
    /// Live verifications by sid.
    private var bySid: [SidDigits: Verification] = [:]
    /// The sid of each number's live verification.
    private var sidByNumber: [String: SidDigits] = [:]
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
    /// - Throws: ``StartRefusal/maximumSendsReached`` when the live verification was sent ``maximumSends`` times
    ///   already; nothing is sent then.
    mutating func start(
        to: String, channel: DeliveryChannel, now: Date
    ) throws(StartRefusal) -> (verification: Verification, isNew: Bool) {
        if var existing = live(number: to, now: now) {
            guard existing.sendCodeAttempts.count < Self.maximumSends else { throw .maximumSendsReached }
            existing.channel = channel
            existing.dateUpdated = now
            existing.sendCodeAttempts.append(newAttempt(of: existing.id, to: to, channel: channel, now: now))
            bySid[existing.id] = existing
            return (existing, false)
        }
        let id = identifiers.sid()
        let verification = Verification(
            id: id, to: to, channel: channel,
            code: VerificationCode.code(for: to, length: VerificationCode.v2Length), status: .pending,
            dateCreated: now, dateUpdated: now, expiresAt: now.addingTimeInterval(codeLifetime),
            sendCodeAttempts: [newAttempt(of: id, to: to, channel: channel, now: now)])
        bySid[id] = verification
        sidByNumber[to] = id
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
        guard verification.wrongChecks < Self.maximumWrongChecks else { return .maximumWrongChecksReached }
        guard verification.code == code else {
            verification.wrongChecks += 1
            bySid[verification.id] = verification
            return .incorrect(verification)
        }
        return .approved(end(verification, as: .approved, now: now))
    }

    /// The live verification named by its sid (`VE…`) or by its number (`+…`).
    mutating func verification(named key: String, now: Date) -> Verification? {
        key.hasPrefix("+") ? live(number: key, now: now) : live(sid: key, now: now)
    }

    /// Ends the live verification named by its sid or number, as `approved` or `canceled` (an update of its
    /// status).
    ///
    /// - Parameters:
    ///   - key: `VE…` or `+…`.
    ///   - status: the status it ends with.
    ///   - now: the server's current time.
    /// - Returns: the verification as it ended, or `nil` when none is live under that name.
    mutating func end(named key: String, as status: Status, now: Date) -> Verification? {
        verification(named: key, now: now).map { end($0, as: status, now: now) }
    }

    /// Ends the lifetime of every live verification's code, as if it had run out `now`: each is forgotten, as an
    /// expired one is.
    ///
    /// - Returns: how many verifications were still live.
    mutating func expireAll(now: Date) -> Int {
        let live = bySid.values.filter { now < $0.expiresAt }
        bySid.removeAll()
        sidByNumber.removeAll()
        return live.count
    }

    /// Ends a live verification: sets its final status and forgets it; an approval converts its attempts.
    private mutating func end(_ verification: Verification, as status: Status, now: Date) -> Verification {
        var ended = verification
        ended.status = status
        ended.dateUpdated = now
        remove(ended)
        if status == .approved { attempts.convert(verification: ended.id, now: now) }
        return ended
    }

    /// A send attempt made now, with a new sid, recorded in ``attempts``.
    private mutating func newAttempt(
        of verification: SidDigits, to: String, channel: DeliveryChannel, now: Date
    ) -> SendAttempt {
        let id = identifiers.sid()
        attempts.append(id: id, verification: verification, to: to, channel: channel, now: now)
        return SendAttempt(time: now, channel: channel, id: id)
    }

    /// The live verification of a number; an expired one is dropped.
    private mutating func live(number: String, now: Date) -> Verification? {
        sidByNumber[number].flatMap { live(id: $0, now: now) }
    }

    /// The live verification with this sid (`VE…` text); an expired one is dropped.
    private mutating func live(sid: String, now: Date) -> Verification? {
        SidDigits(parsing: sid, prefix: "VE").flatMap { live(id: $0, now: now) }
    }

    /// The live verification with this sid; an expired one is dropped.
    private mutating func live(id: SidDigits, now: Date) -> Verification? {
        guard let verification = bySid[id] else { return nil }
        guard now < verification.expiresAt else {
            remove(verification)
            return nil
        }
        return verification
    }

    /// Forgets a verification.
    private mutating func remove(_ verification: Verification) {
        bySid[verification.id] = nil
        if sidByNumber[verification.to] == verification.id { sidByNumber[verification.to] = nil }
    }
}
