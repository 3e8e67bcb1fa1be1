// Implementation of CPhoneNumber.h over libphonenumber's PhoneNumberUtil.
//
// Thread safety: PhoneNumberUtil::GetInstance() is a thread-safe singleton (pthread_once in the Linux build), its
// parsing and validation methods are const, and its shared regular-expression cache takes a lock. The compiled
// metadata of the fast path is built once in a function-local static (thread-safe initialization) and never
// written afterwards. Everything else here is local to the call, so all functions may be called from any number
// of threads at once.
//
// Speed: libphonenumber (built with ICU regular expressions) needs about 45 µs per number, nearly all of it in
// ICU: compiling nothing, but looking patterns up in a locked cache, converting UTF-8 to UTF-16 and allocating a
// RegexMatcher for each of the dozen matches of one parse and validation. The fast path below replays the same
// steps on the library's own metadata with a small matcher for the regular-expression subset the metadata uses.

#include "CPhoneNumber.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <list>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

/// Version of the libphonenumber8 package this module is built against: the library has no run-time version.
constexpr const char kMetadataVersion[] = "8.12.57";

/// Region code libphonenumber uses for "unknown region"; also what parsing needs for a number starting with '+'.
constexpr const char kUnknownRegion[] = "ZZ";

/// Shortest and longest national significant numbers Parse() accepts (PhoneNumberUtil's private kMinLengthForNsn
/// and kMaxLengthForNsn).
constexpr size_t kMinLengthForNsn = 2;
constexpr size_t kMaxLengthForNsn = 17;

/// Returns the shared PhoneNumberUtil, muted on first use.
///
/// libphonenumber logs parse failures ("The string supplied did not seem to be a phone number.") through a
/// replaceable Logger. The default happens to be silent, but a verbose logger would print on every bad row, so a
/// NullLogger is installed explicitly. SetLogger is not thread-safe and takes ownership of the logger; the
/// function-local static guarantees it runs exactly once, before any other use from this module.
const PhoneNumberUtil &util() {
    static PhoneNumberUtil *const instance = [] {
        PhoneNumberUtil *shared = PhoneNumberUtil::GetInstance();
        shared->SetLogger(new NullLogger());
        return shared;
    }();
    return *instance;
}

/// Copies `value` into `out` (capacity `cap`, NUL included). Returns false, leaving "" in `out`, if it does not fit.
bool copyOut(const std::string &value, char *out, size_t cap) {
    if (value.size() >= cap) {
        out[0] = '\0';
        return false;
    }
    std::memcpy(out, value.c_str(), value.size() + 1);
    return true;
}

/// Maps a Parse() failure (anything but NO_PARSING_ERROR) to the C status.
cphone_status statusForParseError(PhoneNumberUtil::ErrorType error) {
    switch (error) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
        return CPHONE_UNKNOWN_CALLING_CODE;
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN:
        return CPHONE_TOO_SHORT;
    case PhoneNumberUtil::TOO_LONG_NSN:
        return CPHONE_TOO_LONG;
    case PhoneNumberUtil::NOT_A_NUMBER:
    case PhoneNumberUtil::NO_PARSING_ERROR:
        break;
    }
    return CPHONE_NOT_A_NUMBER;
}

/// Maps the IsPossibleNumberWithReason() result of a number that is not valid to the C status.
cphone_status statusForInvalidNumber(PhoneNumberUtil::ValidationResult result) {
    switch (result) {
    case PhoneNumberUtil::IS_POSSIBLE:
        return CPHONE_POSSIBLE;
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
        return CPHONE_LOCAL_ONLY;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
        return CPHONE_UNKNOWN_CALLING_CODE;
    case PhoneNumberUtil::TOO_SHORT:
        return CPHONE_TOO_SHORT;
    case PhoneNumberUtil::INVALID_LENGTH:
        return CPHONE_INVALID_LENGTH;
    case PhoneNumberUtil::TOO_LONG:
        return CPHONE_TOO_LONG;
    }
    return CPHONE_INVALID_LENGTH;
}

/// Prepares `number` for parsing as international (cc == 0) or as a national number of calling code `cc`.
///
/// Returns CPHONE_VALID when `input` is ready to parse, or the failure. Sets `region` to the region a national
/// number is parsed in ("" for international numbers). A national number of a non-geographic code becomes
/// international: Parse() cannot take "001" as the default region, and non-geographic numbering plans have no
/// national prefix, so the national number written after "+cc" is the international form.
cphone_status prepareInput(const PhoneNumberUtil &phoneUtil, const char *number, int cc, std::string *input,
                           std::string *region) {
    *input = number;
    region->clear();
    if ((cc == 0) != (!input->empty() && (*input)[0] == '+')) {
        return CPHONE_BAD_ARGUMENT;
    }
    if (cc != 0) {
        phoneUtil.GetRegionCodeForCountryCode(cc, region);
        if (*region == kUnknownRegion) {
            region->clear();
            return CPHONE_UNKNOWN_CALLING_CODE;
        }
        if (*region == PhoneNumberUtil::kRegionCodeForNonGeoEntity) {
            *input = "+" + std::to_string(cc) + *input;
        }
    }
    return CPHONE_VALID;
}

/// Parses a prepared `input` with libphonenumber; `region` is the default region of a national number.
///
/// Returns CPHONE_VALID once parsed (validity is checked by the caller), or the failure.
cphone_status parse(const PhoneNumberUtil &phoneUtil, const std::string &input, const std::string &region,
                    PhoneNumber *parsed) {
    const std::string defaultRegion = input[0] == '+' ? kUnknownRegion : region;
    const PhoneNumberUtil::ErrorType error = phoneUtil.Parse(input, defaultRegion, parsed);
    return error == PhoneNumberUtil::NO_PARSING_ERROR ? CPHONE_VALID : statusForParseError(error);
}

// MARK: - The library's own metadata

/// Tag naming PhoneNumberUtil::GetMetadataForRegion, for `ExposePrivateMember`.
struct RegionMetadataAccessor {
    using Type = const PhoneMetadata *(PhoneNumberUtil::*)(const std::string &) const;
    friend Type privateMember(RegionMetadataAccessor);
};

/// Tag naming PhoneNumberUtil::GetMetadataForNonGeographicalRegion, for `ExposePrivateMember`.
struct NonGeographicalMetadataAccessor {
    using Type = const PhoneMetadata *(PhoneNumberUtil::*)(int) const;
    friend Type privateMember(NonGeographicalMetadataAccessor);
};

/// Workaround: PhoneNumberUtil keeps the PhoneMetadata it parsed from its compiled-in data behind private accessors
/// (only its friend classes may read it), and the installed headers do not declare the raw data functions. An
/// explicit template instantiation may name a private member ([temp.explicit]/14), so this instantiation defines
/// `privateMember(Tag)` to return the member function pointer. Reading the library's own objects guarantees that
/// the fast path below sees exactly the metadata that Parse() and IsValidNumberForRegion() use.
template <typename Tag, typename Tag::Type Member> struct ExposePrivateMember {
    friend typename Tag::Type privateMember(Tag) { return Member; }
};
template struct ExposePrivateMember<RegionMetadataAccessor, &PhoneNumberUtil::GetMetadataForRegion>;
template struct ExposePrivateMember<NonGeographicalMetadataAccessor,
                                    &PhoneNumberUtil::GetMetadataForNonGeographicalRegion>;

// MARK: - Regular expressions over digits

/// Work limit shared by the regular-expression matches of one number. When it runs out, the fast path gives up and
/// the number goes through libphonenumber itself, so the limit never changes a result.
struct MatchBudget {
    /// Backtracking steps left.
    int steps = 20000;
    /// Whether a match ran out of steps or stack: every answer computed since is void.
    bool exhausted = false;
};

/// A metadata regular expression, compiled for matching strings of ASCII digits with ICU's semantics.
///
/// libphonenumber (built with ICU here) matches its metadata patterns with ICU's RegexMatcher: FullMatch is
/// `matches()`, Consume is `lookingAt()` (the first match at the start in Perl priority order, with its capture
/// groups), Replace is `find()` plus `appendReplacement()`. The metadata only uses digits, `\d`, digit classes,
/// `(...)`, `(?:...)`, `|`, `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}` and `$`. This class compiles exactly that subset
/// to a backtracking program that explores alternatives in the same priority order as ICU (left alternative
/// first, greedy quantifiers try one more iteration first), so it finds the same first match and the same captures;
/// for `matches()` only whether a match spans the input matters. A pattern using anything else fails to compile,
/// and numbers of that region then go through libphonenumber. The subject is always digits only: a literal or a
/// class is a set of the ten digits.
class DigitRegex {
  public:
    /// Captured text of the groups of one match (group 0 is the whole match); a group that did not take part is "".
    struct Captures {
        /// Offsets into the subject: start and end of group n at [2n] and [2n+1], -1 when unset.
        int offsets[2 * 10];
    };

    /// Compiles `pattern`; returns false when it uses syntax outside the supported subset (see the class comment).
    bool compile(const std::string &pattern) {
        size_t position = 0;
        groups_ = 0;
        Node root;
        if (!parseAlternation(pattern, &position, &root) || position != pattern.size() || groups_ > 9) {
            return false;
        }
        program_.clear();
        if (!emit(root)) {
            return false;
        }
        program_.push_back({Op::match, 0, 0, 0});
        return true;
    }

    /// Number of capturing groups.
    int groupCount() const { return groups_; }

    /// ICU `matches()`: whether the whole of `subject` matches.
    bool fullMatch(const std::string &subject, MatchBudget *budget) const {
        Captures captures;
        return run(subject, true, &captures, budget);
    }

    /// ICU `lookingAt()`: whether a prefix of `subject` matches; fills `captures` from the first such match.
    bool lookingAt(const std::string &subject, Captures *captures, MatchBudget *budget) const {
        return run(subject, false, captures, budget);
    }

  private:
    /// A parsed pattern element.
    struct Node {
        enum class Kind { digits, sequence, alternation, repeat, group, endOfInput } kind = Kind::sequence;
        /// For `digits`: bit d is set when digit d matches.
        uint16_t digitMask = 0;
        /// For `repeat`: bounds, `maximum` -1 for unbounded.
        int minimum = 0, maximum = 0;
        /// For `group`: the capture number, or -1 for `(?:...)`.
        int captureIndex = -1;
        std::vector<Node> children;
    };

    /// Program instructions.
    enum class Op : uint8_t { digit, split, jump, save, endOfInput, match };

    /// One instruction: `digit` consumes a digit in `mask`; `split` continues at `x`, and on failure at `y`;
    /// `jump` continues at `x`; `save` records the position in capture slot `x`.
    struct Instruction {
        Op op;
        uint16_t mask;
        int x, y;
    };

    bool parseAlternation(const std::string &p, size_t *i, Node *out) {
        out->kind = Node::Kind::alternation;
        out->children.emplace_back();
        if (!parseSequence(p, i, &out->children.back())) {
            return false;
        }
        while (*i < p.size() && p[*i] == '|') {
            ++*i;
            out->children.emplace_back();
            if (!parseSequence(p, i, &out->children.back())) {
                return false;
            }
        }
        return true;
    }

    bool parseSequence(const std::string &p, size_t *i, Node *out) {
        out->kind = Node::Kind::sequence;
        while (*i < p.size() && p[*i] != '|' && p[*i] != ')') {
            Node atom;
            if (!parseAtom(p, i, &atom) || !parseQuantifiers(p, i, &atom)) {
                return false;
            }
            out->children.push_back(std::move(atom));
        }
        return true;
    }

    bool parseAtom(const std::string &p, size_t *i, Node *out) {
        const char c = p[*i];
        if (c >= '0' && c <= '9') {
            out->kind = Node::Kind::digits;
            out->digitMask = uint16_t(1u << (c - '0'));
            ++*i;
            return true;
        }
        if (c == '\\') {
            if (p.compare(*i, 2, "\\d") != 0) {
                return false;
            }
            out->kind = Node::Kind::digits;
            out->digitMask = 0x3FF;
            *i += 2;
            return true;
        }
        if (c == '$') {
            out->kind = Node::Kind::endOfInput;
            ++*i;
            return true;
        }
        if (c == '[') {
            return parseClass(p, i, out);
        }
        if (c == '(') {
            ++*i;
            out->kind = Node::Kind::group;
            if (p.compare(*i, 2, "?:") == 0) {
                *i += 2;
            } else if (*i < p.size() && p[*i] == '?') {
                return false;  // Look-around, atomic or named groups, flags.
            } else {
                out->captureIndex = ++groups_;
            }
            out->children.emplace_back();
            if (!parseAlternation(p, i, &out->children.back()) || *i >= p.size() || p[*i] != ')') {
                return false;
            }
            ++*i;
            return true;
        }
        return false;
    }

    /// Parses `[...]` made of digits, digit ranges and `\d` (no negation).
    static bool parseClass(const std::string &p, size_t *i, Node *out) {
        out->kind = Node::Kind::digits;
        ++*i;
        bool first = true;
        while (*i < p.size() && (p[*i] != ']' || first)) {
            first = false;
            if (p.compare(*i, 2, "\\d") == 0) {
                out->digitMask |= 0x3FF;
                *i += 2;
                continue;
            }
            const char low = p[*i];
            if (low < '0' || low > '9') {
                return false;
            }
            char high = low;
            if (*i + 2 < p.size() && p[*i + 1] == '-' && p[*i + 2] != ']') {
                high = p[*i + 2];
                if (high < low || high > '9') {
                    return false;
                }
                *i += 2;
            }
            ++*i;
            for (char d = low; d <= high; ++d) {
                out->digitMask |= uint16_t(1u << (d - '0'));
            }
        }
        if (*i >= p.size()) {
            return false;
        }
        ++*i;
        return true;
    }

    static bool parseNumber(const std::string &p, size_t *i, int *value) {
        const size_t start = *i;
        *value = 0;
        while (*i < p.size() && p[*i] >= '0' && p[*i] <= '9' && *i - start < 3) {
            *value = *value * 10 + (p[*i] - '0');
            ++*i;
        }
        return *i > start;
    }

    /// Parses greedy `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}` after an atom; lazy and possessive forms are refused.
    static bool parseQuantifiers(const std::string &p, size_t *i, Node *atom) {
        while (*i < p.size()) {
            int minimum = 0, maximum = 0;
            const char c = p[*i];
            if (c == '?' || c == '*' || c == '+') {
                minimum = c == '+' ? 1 : 0;
                maximum = c == '?' ? 1 : -1;
                ++*i;
            } else if (c == '{') {
                ++*i;
                if (!parseNumber(p, i, &minimum)) {
                    return false;
                }
                maximum = minimum;
                if (*i < p.size() && p[*i] == ',') {
                    ++*i;
                    maximum = -1;
                    if (*i < p.size() && p[*i] != '}' && (!parseNumber(p, i, &maximum) || maximum < minimum)) {
                        return false;
                    }
                }
                if (*i >= p.size() || p[*i] != '}') {
                    return false;
                }
                ++*i;
            } else {
                return true;
            }
            if (*i < p.size() && (p[*i] == '?' || p[*i] == '+')) {
                return false;
            }
            Node repeat;
            repeat.kind = Node::Kind::repeat;
            repeat.minimum = minimum;
            repeat.maximum = maximum;
            repeat.children.push_back(std::move(*atom));
            *atom = std::move(repeat);
        }
        return true;
    }

    /// Whether `node` can match the empty string (then an unbounded loop over it is refused: ICU has special rules
    /// for empty iterations that this class does not copy).
    static bool nullable(const Node &node) {
        switch (node.kind) {
        case Node::Kind::digits:
            return false;
        case Node::Kind::endOfInput:
            return true;
        case Node::Kind::repeat:
            return node.minimum == 0 || nullable(node.children[0]);
        case Node::Kind::group:
            return nullable(node.children[0]);
        case Node::Kind::alternation:
            return std::any_of(node.children.begin(), node.children.end(), nullable);
        case Node::Kind::sequence:
            return std::all_of(node.children.begin(), node.children.end(), nullable);
        }
        return true;
    }

    int here() const { return int(program_.size()); }

    /// Appends the program for `node`. Alternatives and quantifiers become `split`s whose first branch is the one
    /// ICU tries first.
    bool emit(const Node &node) {
        if (program_.size() > 60000) {
            return false;
        }
        switch (node.kind) {
        case Node::Kind::digits:
            program_.push_back({Op::digit, node.digitMask, 0, 0});
            return true;
        case Node::Kind::endOfInput:
            program_.push_back({Op::endOfInput, 0, 0, 0});
            return true;
        case Node::Kind::sequence:
            for (const Node &child : node.children) {
                if (!emit(child)) {
                    return false;
                }
            }
            return true;
        case Node::Kind::group:
            if (node.captureIndex >= 0) {
                program_.push_back({Op::save, 0, 2 * node.captureIndex, 0});
            }
            if (!emit(node.children[0])) {
                return false;
            }
            if (node.captureIndex >= 0) {
                program_.push_back({Op::save, 0, 2 * node.captureIndex + 1, 0});
            }
            return true;
        case Node::Kind::alternation: {
            std::vector<int> jumps;
            for (size_t k = 0; k + 1 < node.children.size(); ++k) {
                const int split = here();
                program_.push_back({Op::split, 0, split + 1, 0});
                if (!emit(node.children[k])) {
                    return false;
                }
                jumps.push_back(here());
                program_.push_back({Op::jump, 0, 0, 0});
                program_[split].y = here();
            }
            if (!emit(node.children.back())) {
                return false;
            }
            for (int jump : jumps) {
                program_[jump].x = here();
            }
            return true;
        }
        case Node::Kind::repeat:
            return emitRepeat(node);
        }
        return false;
    }

    /// `e{n,m}` is n copies of e followed by m-n nested greedy optional copies; `e{n,}` ends with a greedy loop.
    bool emitRepeat(const Node &node) {
        const Node &body = node.children[0];
        for (int k = 0; k < node.minimum; ++k) {
            if (!emit(body)) {
                return false;
            }
        }
        if (node.maximum < 0) {
            if (nullable(body)) {
                return false;
            }
            const int split = here();
            program_.push_back({Op::split, 0, split + 1, 0});
            if (!emit(body)) {
                return false;
            }
            program_.push_back({Op::jump, 0, split, 0});
            program_[split].y = here();
            return true;
        }
        std::vector<int> splits;
        for (int k = node.minimum; k < node.maximum; ++k) {
            splits.push_back(here());
            program_.push_back({Op::split, 0, here() + 1, 0});
            if (!emit(body)) {
                return false;
            }
        }
        for (int split : splits) {
            program_[split].y = here();
        }
        return true;
    }

    /// Backtracking interpreter. `whole`: the match must end at the end of `subject` (`matches()`), else the first
    /// match at the start in priority order is taken (`lookingAt()`).
    bool run(const std::string &subject, bool whole, Captures *captures, MatchBudget *budget) const {
        /// A pending alternative (`slot` < 0), or a capture slot to restore on backtracking.
        struct Frame {
            int pc, position, slot, previous;
        };
        constexpr int kMaxFrames = 512;
        Frame stack[kMaxFrames];
        int depth = 0;
        std::fill(std::begin(captures->offsets), std::end(captures->offsets), -1);
        const int length = int(subject.size());
        int pc = 0, position = 0;
        for (;;) {
            if (--budget->steps < 0) {
                budget->exhausted = true;
                return false;
            }
            const Instruction &instruction = program_[size_t(pc)];
            bool failed = false;
            switch (instruction.op) {
            case Op::digit: {
                const int digit = position < length ? subject[size_t(position)] - '0' : -1;
                if (digit >= 0 && digit <= 9 && (instruction.mask >> digit) & 1) {
                    ++position;
                    ++pc;
                } else {
                    failed = true;
                }
                break;
            }
            case Op::split:
                if (depth == kMaxFrames) {
                    budget->exhausted = true;
                    return false;
                }
                stack[depth++] = {instruction.y, position, -1, 0};
                pc = instruction.x;
                break;
            case Op::jump:
                pc = instruction.x;
                break;
            case Op::save:
                if (depth == kMaxFrames) {
                    budget->exhausted = true;
                    return false;
                }
                stack[depth++] = {0, 0, instruction.x, captures->offsets[instruction.x]};
                captures->offsets[instruction.x] = position;
                ++pc;
                break;
            case Op::endOfInput:
                if (position == length) {
                    ++pc;
                } else {
                    failed = true;
                }
                break;
            case Op::match:
                if (!whole || position == length) {
                    captures->offsets[0] = 0;
                    captures->offsets[1] = position;
                    return true;
                }
                failed = true;
                break;
            }
            while (failed) {
                if (depth == 0) {
                    return false;
                }
                const Frame &frame = stack[--depth];
                if (frame.slot >= 0) {
                    captures->offsets[frame.slot] = frame.previous;
                } else {
                    pc = frame.pc;
                    position = frame.position;
                    failed = false;
                }
            }
        }
    }

    std::vector<Instruction> program_;
    int groups_ = 0;
};

/// Text of capture group `group` (ICU's `group(n)`: "" for a group that did not take part in the match).
std::string capturedText(const std::string &subject, const DigitRegex::Captures &captures, int group) {
    const int start = captures.offsets[2 * group], end = captures.offsets[2 * group + 1];
    return start < 0 || end < 0 ? std::string() : subject.substr(size_t(start), size_t(end - start));
}

// MARK: - Per-region data

/// A PhoneNumberDesc, compiled.
struct CompiledDesc {
    std::vector<int> possibleLengths;
    std::vector<int> localOnlyLengths;
    /// Whether national_number_pattern is non-empty (an empty one matches nothing, see MatchNationalNumber).
    bool hasPattern = false;
    DigitRegex pattern;

    bool compile(const PhoneNumberDesc &desc) {
        possibleLengths.assign(desc.possible_length().begin(), desc.possible_length().end());
        localOnlyLengths.assign(desc.possible_length_local_only().begin(), desc.possible_length_local_only().end());
        hasPattern = !desc.national_number_pattern().empty();
        return !hasPattern || pattern.compile(desc.national_number_pattern());
    }

    /// RegexBasedMatcher::MatchNationalNumber(number, desc, false): a full match of the pattern.
    bool matchesPattern(const std::string &number, MatchBudget *budget) const {
        return hasPattern && pattern.fullMatch(number, budget);
    }

    /// PhoneNumberUtil::IsNumberMatchingDesc: the possible lengths (when listed), then the pattern.
    bool matches(const std::string &number, MatchBudget *budget) const {
        if (!possibleLengths.empty() &&
            std::find(possibleLengths.begin(), possibleLengths.end(), int(number.size())) == possibleLengths.end()) {
            return false;
        }
        return matchesPattern(number, budget);
    }
};

/// The PhoneMetadata of one region (or non-geographical calling code), compiled for the fast path.
struct CompiledRegion {
    std::string regionCode;
    int callingCode = 0;
    CompiledDesc general;
    /// Number types in the order GetNumberTypeHelper tests them before fixed line and mobile.
    CompiledDesc otherTypes[8];
    CompiledDesc fixedLine;
    CompiledDesc mobile;
    bool sameMobileAndFixedLinePattern = false;
    bool hasLeadingDigits = false;
    DigitRegex leadingDigits;
    DigitRegex internationalPrefix;
    bool hasNationalPrefixForParsing = false;
    DigitRegex nationalPrefixForParsing;
    std::string transformRule;

    bool compile(const PhoneMetadata &metadata, const std::string &code) {
        regionCode = code;
        callingCode = metadata.country_code();
        const PhoneNumberDesc *const others[8] = {
            &metadata.premium_rate(),    &metadata.toll_free(), &metadata.shared_cost(), &metadata.voip(),
            &metadata.personal_number(), &metadata.pager(),     &metadata.uan(),         &metadata.voicemail()};
        for (int k = 0; k < 8; ++k) {
            if (!otherTypes[k].compile(*others[k])) {
                return false;
            }
        }
        sameMobileAndFixedLinePattern = metadata.same_mobile_and_fixed_line_pattern();
        hasLeadingDigits = metadata.has_leading_digits();
        hasNationalPrefixForParsing = !metadata.national_prefix_for_parsing().empty();
        transformRule = metadata.national_prefix_transform_rule();
        return general.compile(metadata.general_desc()) && !general.possibleLengths.empty() &&
               fixedLine.compile(metadata.fixed_line()) && mobile.compile(metadata.mobile()) &&
               (!hasLeadingDigits || leadingDigits.compile(metadata.leading_digits())) &&
               internationalPrefix.compile(metadata.international_prefix()) &&
               (!hasNationalPrefixForParsing ||
                nationalPrefixForParsing.compile(metadata.national_prefix_for_parsing())) &&
               transformRuleIsSupported();
    }

    /// Whether the transform rule is digits and `$1`..`$9` naming existing groups: then ICU's appendReplacement
    /// reads exactly one digit after each `$` (a second digit would name a group above 9).
    bool transformRuleIsSupported() const {
        for (size_t k = 0; k < transformRule.size(); ++k) {
            const char c = transformRule[k];
            if (c == '$') {
                if (k + 1 >= transformRule.size() || transformRule[k + 1] < '1' ||
                    transformRule[k + 1] - '0' > nationalPrefixForParsing.groupCount()) {
                    return false;
                }
                ++k;
            } else if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /// GetNumberTypeHelper(number, metadata) != UNKNOWN.
    bool hasKnownType(const std::string &number, MatchBudget *budget) const {
        if (!general.matches(number, budget)) {
            return false;
        }
        for (const CompiledDesc &desc : otherTypes) {
            if (desc.matches(number, budget)) {
                return true;
            }
        }
        if (fixedLine.matches(number, budget)) {
            return true;
        }
        return !sameMobileAndFixedLinePattern && mobile.matches(number, budget);
    }

    /// TestNumberLength(number, metadata) (type UNKNOWN: the general description's lengths).
    PhoneNumberUtil::ValidationResult testLength(const std::string &number) const {
        const std::vector<int> &lengths = general.possibleLengths;
        const std::vector<int> &local = general.localOnlyLengths;
        if (lengths[0] == -1) {
            return PhoneNumberUtil::INVALID_LENGTH;
        }
        const int length = int(number.size());
        if (std::find(local.begin(), local.end(), length) != local.end()) {
            return PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY;
        }
        if (lengths[0] == length) {
            return PhoneNumberUtil::IS_POSSIBLE;
        }
        if (lengths[0] > length) {
            return PhoneNumberUtil::TOO_SHORT;
        }
        if (lengths.back() < length) {
            return PhoneNumberUtil::TOO_LONG;
        }
        return std::find(lengths.begin() + 1, lengths.end(), length) != lengths.end()
                   ? PhoneNumberUtil::IS_POSSIBLE
                   : PhoneNumberUtil::INVALID_LENGTH;
    }

    /// MaybeStripNationalPrefixAndCarrierCode(metadata, number, NULL), statement by statement.
    void stripNationalPrefix(std::string *number, MatchBudget *budget) const {
        if (number->empty() || !hasNationalPrefixForParsing) {
            return;
        }
        const bool viableOriginal = general.matchesPattern(*number, budget);
        DigitRegex::Captures captures;
        const bool consumed = nationalPrefixForParsing.lookingAt(*number, &captures, budget);
        const int groups = nationalPrefixForParsing.groupCount();
        // Consume(copy, &carrier, &captured) needs 2 groups, else Consume(copy, &captured) needs 1.
        const std::string captured = consumed && groups >= 1 ? capturedText(*number, captures, groups >= 2 ? 2 : 1)
                                                              : std::string();
        std::string result;
        if (!transformRule.empty() && !captured.empty()) {
            // Replace(): find() from the start yields the same first match as lookingAt() did.
            for (size_t k = 0; k < transformRule.size(); ++k) {
                if (transformRule[k] == '$') {
                    result += capturedText(*number, captures, transformRule[++k] - '0');
                } else {
                    result += transformRule[k];
                }
            }
            result += number->substr(size_t(captures.offsets[1]));
        } else if (consumed) {
            result = number->substr(size_t(captures.offsets[1]));
        } else {
            return;
        }
        if (viableOriginal && !general.matchesPattern(result, budget)) {
            return;
        }
        *number = result;
    }
};

/// The regions of one calling code, in the order GetRegionCodesForCountryCallingCode lists them.
struct CallingCodeRegions {
    /// Whether every region of the code compiled, so the fast path may handle its numbers.
    bool compiled = false;
    std::vector<CompiledRegion> regions;
    /// GetRegionCodeForCountryCode(): the main region, "001" for non-geographical codes, "ZZ" for unknown codes.
    std::string mainRegionCode;
};

/// Compiled metadata of every calling code (index = calling code), built once from the library's own objects and
/// read-only afterwards, so any number of threads may use it.
class CompiledMetadata {
  public:
    static constexpr int kMaxCallingCode = 999;

    explicit CompiledMetadata(const PhoneNumberUtil &phoneUtil) : codes_(kMaxCallingCode + 1) {
        for (int code = 1; code <= kMaxCallingCode; ++code) {
            CallingCodeRegions &entry = codes_[size_t(code)];
            phoneUtil.GetRegionCodeForCountryCode(code, &entry.mainRegionCode);
            std::list<std::string> regionCodes;
            phoneUtil.GetRegionCodesForCountryCallingCode(code, &regionCodes);
            entry.compiled = !regionCodes.empty();
            for (const std::string &regionCode : regionCodes) {
                const PhoneMetadata *metadata =
                    regionCode == PhoneNumberUtil::kRegionCodeForNonGeoEntity
                        ? (phoneUtil.*privateMember(NonGeographicalMetadataAccessor()))(code)
                        : (phoneUtil.*privateMember(RegionMetadataAccessor()))(regionCode);
                entry.regions.emplace_back();
                entry.compiled = entry.compiled && metadata != nullptr && metadata->country_code() == code &&
                                 entry.regions.back().compile(*metadata, regionCode);
            }
            entry.compiled = entry.compiled && entry.regions.front().regionCode == entry.mainRegionCode;
        }
    }

    /// The calling code's regions, or nullptr when `code` is out of range.
    const CallingCodeRegions *regions(int code) const {
        return code >= 1 && code <= kMaxCallingCode ? &codes_[size_t(code)] : nullptr;
    }

  private:
    std::vector<CallingCodeRegions> codes_;
};

/// The compiled metadata, built on first use (a function-local static: thread-safe initialization).
const CompiledMetadata &compiledMetadata() {
    static const CompiledMetadata *const instance = new CompiledMetadata(util());
    return *instance;
}

// MARK: - Fast path

/// What the fast path found for a number it could handle.
struct FastResult {
    cphone_status status;
    int callingCode;
    std::string nationalNumber;
    std::string regionCode;
};

/// Normalizes `number` without libphonenumber's ICU regular expressions, or returns false when the number is not
/// one it handles (then the caller runs the libphonenumber path, so this function only has to be exact for what it
/// accepts).
///
/// It accepts a number made of ASCII digits, spaces and `-.()/`, optionally starting with '+', with 3 to 40
/// digits. For such a string Parse() finds no extension or RFC 3966 parts (they need letters, `#`, `~`, `,` or
/// `;`), the possible number is the text from the first digit or '+' to the last digit, it is viable (at least
/// three digits, only valid punctuation), and normalizing it keeps exactly its digits. What follows replays
/// ParseHelper, GetRegionCodeForNumber, IsValidNumberForRegion, IsPossibleNumberWithReason and Format(E164) step by
/// step with the compiled metadata. Every branch that ends in a parse error, or that a rare input reaches (an
/// international dialling prefix in a national number, a national number of a short or long length), gives up.
bool fastNormalize(const std::string &input, int callingCode, FastResult *result) {
    if (input.size() > 100) {
        return false;
    }
    std::string digits;
    const bool international = !input.empty() && input[0] == '+';
    for (size_t k = international ? 1 : 0; k < input.size(); ++k) {
        const char c = input[k];
        if (c >= '0' && c <= '9') {
            digits += c;
        } else if (std::strchr(" -.()/", c) == nullptr || c == '\0') {
            return false;
        }
    }
    if (digits.size() < 3 || digits.size() > 40) {
        return false;
    }
    const CompiledMetadata &metadata = compiledMetadata();
    MatchBudget budget;
    const CallingCodeRegions *codeRegions = nullptr;
    std::string national;
    if (international) {
        // MaybeExtractCountryCode, number with '+': ExtractCountryCode takes the shortest known 1-3 digit prefix.
        if (digits[0] == '0') {
            return false;
        }
        for (size_t length = 1; length <= 3 && codeRegions == nullptr; ++length) {
            const CallingCodeRegions *candidate = metadata.regions(std::stoi(digits.substr(0, length)));
            if (candidate != nullptr && !candidate->regions.empty()) {
                codeRegions = candidate;
                national = digits.substr(length);
            }
        }
        if (codeRegions == nullptr || !codeRegions->compiled) {
            return false;
        }
    } else {
        codeRegions = metadata.regions(callingCode);
        if (codeRegions == nullptr || !codeRegions->compiled ||
            codeRegions->mainRegionCode == PhoneNumberUtil::kRegionCodeForNonGeoEntity) {
            return false;
        }
        const CompiledRegion &region = codeRegions->regions.front();
        // MaybeStripInternationalPrefixAndNormalize: give up if the IDD matches at the start.
        DigitRegex::Captures captures;
        if (region.internationalPrefix.lookingAt(digits, &captures, &budget)) {
            return false;
        }
        national = digits;
        // MaybeExtractCountryCode: a national number may start with its own calling code.
        const std::string code = std::to_string(region.callingCode);
        if (digits.compare(0, code.size(), code) == 0) {
            std::string withoutCode = digits.substr(code.size());
            region.stripNationalPrefix(&withoutCode, &budget);
            if ((!region.general.matchesPattern(digits, &budget) &&
                 region.general.matchesPattern(withoutCode, &budget)) ||
                region.testLength(digits) == PhoneNumberUtil::TOO_LONG) {
                national = withoutCode;
            }
        }
    }
    const CompiledRegion &mainRegion = codeRegions->regions.front();
    if (national.size() < kMinLengthForNsn) {
        return false;
    }
    // ParseHelper: strip the national prefix unless what remains is too short, local only or of invalid length.
    std::string stripped = national;
    mainRegion.stripNationalPrefix(&stripped, &budget);
    const PhoneNumberUtil::ValidationResult strippedLength = mainRegion.testLength(stripped);
    if (strippedLength != PhoneNumberUtil::TOO_SHORT && strippedLength != PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY &&
        strippedLength != PhoneNumberUtil::INVALID_LENGTH) {
        national = stripped;
    }
    if (national.size() < kMinLengthForNsn || national.size() > kMaxLengthForNsn) {
        return false;
    }
    // The national significant number equals `national`: SetItalianLeadingZerosForPhoneNumber records its leading
    // zeros (all but the last digit) and national_number keeps the rest, which GetNationalSignificantNumber joins.
    // GetRegionCodeForNumber, then IsValidNumberForRegion in that region.
    const CompiledRegion *found = nullptr;
    bool valid = false;
    if (codeRegions->regions.size() == 1) {
        found = &mainRegion;
        valid = mainRegion.hasKnownType(national, &budget);
    } else {
        for (const CompiledRegion &region : codeRegions->regions) {
            DigitRegex::Captures captures;
            if (region.hasLeadingDigits) {
                if (region.leadingDigits.lookingAt(national, &captures, &budget)) {
                    found = &region;
                    valid = region.hasKnownType(national, &budget);
                    break;
                }
            } else if (region.hasKnownType(national, &budget)) {
                found = &region;
                valid = true;
                break;
            }
        }
    }
    if (budget.exhausted) {
        return false;
    }
    result->status = CPHONE_VALID;
    if (!valid) {
        result->status = statusForInvalidNumber(mainRegion.testLength(national));
    }
    result->callingCode = mainRegion.callingCode;
    result->nationalNumber = national;
    // A number that matches no region's patterns gets "ZZ"; the shim reports the calling code's main region.
    result->regionCode = found != nullptr ? found->regionCode : codeRegions->mainRegionCode;
    return true;
}

/// The body of `cphone_normalize` (useFastPath true) and of `cphone_normalize_reference` (false, libphonenumber
/// only); same parameters and results as `cphone_normalize`.
cphone_status normalize(bool useFastPath, const char *number, int country_calling_code, char *e164_out,
                        size_t e164_cap, char *national_out, size_t national_cap, int *country_code_out,
                        char *region_out, size_t region_cap) {
    if (number == nullptr || e164_out == nullptr || national_out == nullptr || country_code_out == nullptr ||
        region_out == nullptr || e164_cap == 0 || national_cap == 0 || region_cap == 0 || country_calling_code < 0) {
        return CPHONE_BAD_ARGUMENT;
    }
    e164_out[0] = '\0';
    national_out[0] = '\0';
    region_out[0] = '\0';
    *country_code_out = country_calling_code;
    // Nothing in libphonenumber is expected to throw except on allocation failure; no exception may cross into C.
    try {
        const PhoneNumberUtil &phoneUtil = util();
        std::string input;
        std::string region;
        const cphone_status inputStatus =
            prepareInput(phoneUtil, number, country_calling_code, &input, &region);
        if (inputStatus != CPHONE_VALID) {
            copyOut(region, region_out, region_cap);
            return inputStatus;
        }
        FastResult fast;
        if (useFastPath && fastNormalize(input, country_calling_code, &fast)) {
            *country_code_out = fast.callingCode;
            if (!copyOut(fast.regionCode, region_out, region_cap)) {
                return CPHONE_BAD_ARGUMENT;
            }
            if (fast.status != CPHONE_VALID && fast.status != CPHONE_POSSIBLE) {
                return fast.status;
            }
            const std::string e164 = "+" + std::to_string(fast.callingCode) + fast.nationalNumber;
            if (!copyOut(e164, e164_out, e164_cap) || !copyOut(fast.nationalNumber, national_out, national_cap)) {
                return CPHONE_BAD_ARGUMENT;
            }
            return fast.status;
        }
        PhoneNumber parsed;
        const cphone_status parseStatus = parse(phoneUtil, input, region, &parsed);
        if (parseStatus != CPHONE_VALID) {
            // Only a national number has a region here; copyOut leaves "" if it does not fit.
            copyOut(region, region_out, region_cap);
            return parseStatus;
        }
        *country_code_out = parsed.country_code();
        if (parsed.has_extension()) {
            return CPHONE_HAS_EXTENSION;
        }
        phoneUtil.GetRegionCodeForNumber(parsed, &region);
        // This is what IsValidNumber() does, without looking the region up a second time (a pattern match against
        // every region of the calling code: 25 for +1).
        cphone_status status = CPHONE_VALID;
        if (!phoneUtil.IsValidNumberForRegion(parsed, region)) {
            status = statusForInvalidNumber(phoneUtil.IsPossibleNumberWithReason(parsed));
        }
        // A number that matches no region's patterns gets "ZZ"; report its calling code's main region instead.
        if (region == kUnknownRegion) {
            phoneUtil.GetRegionCodeForCountryCode(parsed.country_code(), &region);
        }
        if (!copyOut(region, region_out, region_cap)) {
            return CPHONE_BAD_ARGUMENT;
        }
        if (status != CPHONE_VALID && status != CPHONE_POSSIBLE) {
            return status;
        }
        std::string e164;
        std::string national;
        phoneUtil.Format(parsed, PhoneNumberUtil::E164, &e164);
        phoneUtil.GetNationalSignificantNumber(parsed, &national);
        if (!copyOut(e164, e164_out, e164_cap) || !copyOut(national, national_out, national_cap)) {
            return CPHONE_BAD_ARGUMENT;
        }
        return status;
    } catch (...) {
        return CPHONE_INTERNAL_ERROR;
    }
}

/// Every region's example numbers (each type the metadata has), then one per non-geographic calling code, as
/// (calling code, national significant number); built once.
const std::vector<std::pair<int, std::string>> &exampleNumbers() {
    static const std::vector<std::pair<int, std::string>> *const instance = [] {
        const PhoneNumberUtil &phoneUtil = util();
        auto *examples = new std::vector<std::pair<int, std::string>>();
        const auto append = [&](const PhoneNumber &example) {
            std::string national;
            phoneUtil.GetNationalSignificantNumber(example, &national);
            examples->emplace_back(example.country_code(), national);
        };
        std::set<std::string> regions;
        phoneUtil.GetSupportedRegions(&regions);
        for (const std::string &region : regions) {
            for (int type = PhoneNumberUtil::FIXED_LINE; type <= PhoneNumberUtil::UNKNOWN; ++type) {
                PhoneNumber example;
                if (phoneUtil.GetExampleNumberForType(region, PhoneNumberUtil::PhoneNumberType(type), &example)) {
                    append(example);
                }
            }
        }
        std::set<int> codes;
        phoneUtil.GetSupportedGlobalNetworkCallingCodes(&codes);
        for (const int code : codes) {
            PhoneNumber example;
            if (phoneUtil.GetExampleNumberForNonGeoEntity(code, &example)) {
                append(example);
            }
        }
        return examples;
    }();
    return *instance;
}

}  // namespace

extern "C" cphone_status cphone_normalize(const char *number, int country_calling_code, char *e164_out,
                                          size_t e164_cap, char *national_out, size_t national_cap,
                                          int *country_code_out, char *region_out, size_t region_cap) {
    return normalize(true, number, country_calling_code, e164_out, e164_cap, national_out, national_cap,
                     country_code_out, region_out, region_cap);
}

extern "C" cphone_status cphone_normalize_reference(const char *number, int country_calling_code, char *e164_out,
                                                    size_t e164_cap, char *national_out, size_t national_cap,
                                                    int *country_code_out, char *region_out, size_t region_cap) {
    return normalize(false, number, country_calling_code, e164_out, e164_cap, national_out, national_cap,
                     country_code_out, region_out, region_cap);
}

extern "C" int cphone_example_number(size_t index, int *country_code_out, char *national_out, size_t national_cap) {
    if (country_code_out == nullptr || national_out == nullptr || national_cap == 0) {
        return 0;
    }
    try {
        const std::vector<std::pair<int, std::string>> &examples = exampleNumbers();
        if (index >= examples.size()) {
            return 0;
        }
        *country_code_out = examples[index].first;
        return copyOut(examples[index].second, national_out, national_cap) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

extern "C" int cphone_is_known_calling_code(int cc) {
    try {
        // The table holds GetRegionCodeForCountryCode() of every code from 1 to 999; others are unknown.
        const CallingCodeRegions *regions = compiledMetadata().regions(cc);
        return regions != nullptr && regions->mainRegionCode != kUnknownRegion ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

extern "C" const char *cphone_metadata_version(void) { return kMetadataVersion; }
