/// A fast pseudo-random generator for identifiers (wyrand), seeded once from the system's generator.
///
/// The system generator costs a `getrandom` system call per value on Linux; sids and uuids only need to be
/// unique and unguessable in practice, not cryptographic, and a 64-bit state seeded from the system gives that.
/// Not thread-safe: each ledger owns one, under the ledger's lock.
struct IdentifierGenerator: RandomNumberGenerator {
    /// The generator's state.
    private var state: UInt64

    /// Seeds a new generator from the system's random source.
    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0xa076_1d64_78bd_642f
        let product = state.multipliedFullWidth(by: state ^ 0xe703_7ed1_a0b4_28db)
        return product.high ^ product.low
    }

    /// A random version-4 UUID in lowercase text, e.g. `b8ebcd40-1234-4678-bfb5-0e5d6a065904`.
    mutating func uuid() -> String {
        let high = next() & 0xFFFF_FFFF_FFFF_0FFF | 0x4000  // version 4
        let low = next() & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000  // RFC 4122 variant
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36)
        bytes.appendHexDigits(of: high >> 32, count: 8)
        bytes.append(UInt8(ascii: "-"))
        bytes.appendHexDigits(of: high >> 16, count: 4)
        bytes.append(UInt8(ascii: "-"))
        bytes.appendHexDigits(of: high, count: 4)
        bytes.append(UInt8(ascii: "-"))
        bytes.appendHexDigits(of: low >> 48, count: 4)
        bytes.append(UInt8(ascii: "-"))
        bytes.appendHexDigits(of: low, count: 12)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The 32 random hex digits of a new Twilio-style sid; `sid().text(prefix: "VE")` is e.g. `VE0123…`.
    mutating func sid() -> SidDigits {
        SidDigits(high: next(), low: next())
    }
}
