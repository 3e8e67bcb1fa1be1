/// SplitMix64: a tiny deterministic pseudo-random generator, so generated test inputs are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    /// Creates a generator whose outputs are determined by `seed` alone.
    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`.
    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// `true` once in `count` draws on average.
    mutating func oneIn(_ count: Int) -> Bool {
        below(count) == 0
    }

    /// One ASCII digit.
    mutating func digit() -> Character {
        Character(String(below(10)))
    }

    /// One of `elements`, which must not be empty.
    mutating func pick<Element>(_ elements: [Element]) -> Element {
        elements[below(elements.count)]
    }
}
