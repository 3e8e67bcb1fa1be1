/// A parser of the Prometheus text format (0.0.4), strict enough to catch a malformed exposition:
/// every line is a `# HELP`, a `# TYPE` or a sample `name{label="value",…} number`.
struct PrometheusText {
    /// One sample line.
    struct Sample: Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    /// The samples, in file order.
    let samples: [Sample]
    /// Each family's type from `# TYPE`.
    let types: [String: String]

    /// A line that does not follow the format.
    struct Malformed: Error, CustomStringConvertible {
        let line: String
        var description: String { "not a Prometheus text line: \(line)" }
    }

    /// Parses `text`.
    init(_ text: String) throws {
        var samples: [Sample] = []
        var types: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3])
                else {
                    throw Malformed(line: line)
                }
                types[String(parts[2])] = String(parts[3])
                continue
            }
            samples.append(try Self.sample(line))
        }
        self.samples = samples
        self.types = types
    }

    private static func sample(_ line: String) throws -> Sample {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            throw Malformed(line: line)
        }
        let series = line[..<space]
        guard let brace = series.firstIndex(of: "{") else {
            guard isName(series) else { throw Malformed(line: line) }
            return Sample(name: String(series), labels: [:], value: value)
        }
        guard series.last == "}", isName(series[..<brace]) else { throw Malformed(line: line) }
        var labels: [String: String] = [:]
        var rest = series[series.index(after: brace)..<series.index(before: series.endIndex)]
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "="), isName(rest[..<equals]),
                rest[rest.index(after: equals)...].first == "\""
            else { throw Malformed(line: line) }
            var cursor = rest.index(equals, offsetBy: 2)
            var value = ""
            while cursor < rest.endIndex, rest[cursor] != "\"" {
                if rest[cursor] == "\\" { cursor = rest.index(after: cursor) }
                guard cursor < rest.endIndex else { throw Malformed(line: line) }
                value.append(rest[cursor])
                cursor = rest.index(after: cursor)
            }
            guard cursor < rest.endIndex else { throw Malformed(line: line) }
            labels[String(rest[..<equals])] = value
            rest = rest[rest.index(after: cursor)...]
            if rest.first == "," { rest = rest.dropFirst() } else if !rest.isEmpty { throw Malformed(line: line) }
        }
        return Sample(name: String(series[..<brace]), labels: labels, value: value)
    }

    private static func isName(_ text: Substring) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" || first == ":" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    /// The value of the one sample `name` with exactly these `labels`, or `nil`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// The sum of every sample `name` whose labels include `matching`.
    func sum(_ name: String, matching: [String: String] = [:]) -> Double {
        samples.filter { sample in
            sample.name == name && matching.allSatisfy { sample.labels[$0.key] == $0.value }
        }.reduce(0) { $0 + $1.value }
    }
}
