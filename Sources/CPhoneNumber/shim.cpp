// Implementation of CPhoneNumber.h over libphonenumber's PhoneNumberUtil.
//
// Thread safety: PhoneNumberUtil::GetInstance() is a thread-safe singleton (pthread_once in the Linux build), its
// parsing and validation methods are const, and its shared regular-expression cache takes a lock. The compiled
// metadata of the fast path is built once in a function-local static (thread-safe initialization) and never
// written afterwards; each thread matches with RE2 objects of its own (see Pattern). Everything else here is local
// to the call, so all functions may be called from any number of threads at once.
//
// Speed: libphonenumber (built with ICU regular expressions) needs 12–21 µs per number, nearly all of it in ICU:
// compiling nothing, but looking patterns up in a locked cache, converting UTF-8 to UTF-16 and allocating a
// RegexMatcher for each of the dozen matches of one parse and validation. The fast path below replays the same
// steps on the library's own metadata, its patterns compiled with RE2 (see "Regular expressions: RE2"): 0.2–0.5 µs
// per number (bench/README.md, "Phone normalizer shim").

#include "CPhoneNumber.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <re2/re2.h>

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

// MARK: - Regular expressions: RE2
//
// Why RE2: the metadata's patterns are matched by RE2 (Debian libre2-dev) instead of a matcher of our own.
// libphonenumber's own matcher is neither simpler nor fast enough: in the Debian build it is ICU's RegexMatcher
// behind the library's RegExp adapter, whose factory (regexp_adapter_icu.h) is not among the installed headers, and
// each of its matches converts the subject to UTF-16 and allocates a matcher, several times the cost of an RE2
// match (bench/README.md, "Phone normalizer shim").
//
// When patterns are compiled: RE2 compiles a pattern in about 15 µs, and the metadata holds about 1,800, so
// compiling them all would cost every process tens of milliseconds before its first number. A calling code's
// patterns are compiled when its first number comes (CompiledMetadata), and a thread's first number of a country
// costs about 0.2 ms more (its copies of that country's patterns, see Pattern).
//
// Semantics: libphonenumber's ICU adapter does FullMatch with `matches()` and Consume with `lookingAt()`. RE2 with
// ANCHOR_BOTH is `matches()`. RE2 with ANCHOR_START is `lookingAt()`: its default leftmost-first semantics pick
// the match, and the capture groups, that a backtracking engine such as ICU finds first. The subject is always
// ASCII digits, so ICU's Unicode `\d` and RE2's ASCII `\d` agree. A pattern RE2 refuses (look-around, back
// references) leaves its calling code to libphonenumber itself.

/// Most capture groups the fast path reads from one match: ICU's appendReplacement reads one digit after `$` in a
/// transform rule only while the pattern has fewer than 10 groups.
constexpr int kMaxGroups = 9;

/// Length of the bounds asked of RE2::PossibleMatchRange: the first digits tell the number types apart (bounds of
/// 2 to 10 digits measured the same).
constexpr int kRangeLength = 4;

/// Options of every pattern: RE2's defaults (UTF-8, leftmost-first), without logging the patterns it refuses.
re2::RE2::Options patternOptions() {
    re2::RE2::Options options;
    options.set_log_errors(false);
    return options;
}

/// A metadata pattern: compiled once when the table is built, to check that RE2 accepts it and to learn its groups
/// and bounds, then compiled again in each thread that matches it, on that thread's first use.
///
/// Why a copy per thread: every RE2 search takes a reader lock on its pattern's DFA cache, an atomic write to memory
/// that every thread using the pattern shares, and the intake normalizes on every core at once. RE2's maintainers
/// advise per-thread RE2 objects against that contention, and reports of it (google/re2 issue 569) show the lock
/// dominating searches of short strings on many cores. A thread's copies share nothing; each takes about 15 µs to
/// compile, a thread compiles only the patterns it uses (a few dozen for one country, 1,800 and about 5 MB at most),
/// and they are freed when the thread ends. On two cores the copies gain little, and cost more on numbers of every
/// region, whose patterns each thread then keeps in caches the cores share (bench/README.md, "Phone normalizer
/// shim"); they are kept for machines with more cores, where the shared lock is what the reports above show.
class Pattern {
  public:
    /// Compiles `source`; returns false when RE2 refuses its syntax (then the caller gives the calling code up).
    bool compile(const std::string &source) {
        static std::atomic<int> patterns{0};
        const re2::RE2 compiled(source, patternOptions());
        if (!compiled.ok()) {
            return false;
        }
        source_ = source;
        id_ = patterns++;
        groups_ = compiled.NumberOfCapturingGroups();
        if (!compiled.PossibleMatchRange(&lowest_, &highest_, kRangeLength)) {
            lowest_ = "";
            highest_ = "\xff";
        }
        return true;
    }

    /// Number of capturing groups.
    int groupCount() const { return groups_; }

    /// ICU `matches()` (libphonenumber's FullMatch): whether the whole of `subject` matches.
    bool fullMatch(const std::string &subject) const {
        return subject >= lowest_ && subject <= highest_ &&
               forThisThread().Match(subject, 0, subject.size(), re2::RE2::ANCHOR_BOTH, nullptr, 0);
    }

    /// ICU `lookingAt()` (libphonenumber's Consume): whether a prefix of `subject` matches. When `groups` is given,
    /// it receives the first such match (group 0) and its first `count` - 1 capture groups; a group that took no
    /// part is empty, as ICU's `group(n)` is "".
    bool lookingAt(const std::string &subject, re2::StringPiece *groups = nullptr, int count = 0) const {
        return forThisThread().Match(subject, 0, subject.size(), re2::RE2::ANCHOR_START, groups, count);
    }

  private:
    /// This thread's copy, compiled on first use (RE2 accepted the source in compile(), so it does again).
    const re2::RE2 &forThisThread() const {
        thread_local std::vector<std::unique_ptr<const re2::RE2>> copies;
        if (size_t(id_) >= copies.size()) {
            copies.resize(size_t(id_) + 1);
        }
        std::unique_ptr<const re2::RE2> &copy = copies[size_t(id_)];
        if (copy == nullptr) {
            copy = std::make_unique<const re2::RE2>(source_, patternOptions());
        }
        return *copy;
    }

    std::string source_;
    /// Index of this pattern's copy in each thread's list.
    int id_ = -1;
    int groups_ = 0;
    /// Bounds of the strings the pattern matches: RE2::PossibleMatchRange guarantees lowest <= s <= highest for
    /// every s that matches from its start, so a number outside them cannot match in full, which two string
    /// comparisons tell in a fraction of an RE2 search (most numbers are tested against several number types that
    /// start with other digits). "" and "\xff" (above any digit) when RE2 gives none.
    std::string lowest_, highest_ = "\xff";
};

// MARK: - Per-region data

/// A PhoneNumberDesc, compiled.
struct CompiledDesc {
    std::vector<int> possibleLengths;
    std::vector<int> localOnlyLengths;
    /// national_number_pattern, absent when it is empty (an empty one matches nothing, see MatchNationalNumber).
    std::optional<Pattern> pattern;

    /// Compiles `desc`; returns false when RE2 refuses its pattern.
    bool compile(const PhoneNumberDesc &desc) {
        possibleLengths.assign(desc.possible_length().begin(), desc.possible_length().end());
        localOnlyLengths.assign(desc.possible_length_local_only().begin(), desc.possible_length_local_only().end());
        if (desc.national_number_pattern().empty()) {
            return true;
        }
        return pattern.emplace().compile(desc.national_number_pattern());
    }

    /// RegexBasedMatcher::MatchNationalNumber(number, desc, false): a full match of the pattern.
    bool matchesPattern(const std::string &number) const { return pattern && pattern->fullMatch(number); }

    /// PhoneNumberUtil::IsNumberMatchingDesc: the possible lengths (when listed), then the pattern.
    bool matches(const std::string &number) const {
        if (!possibleLengths.empty() &&
            std::find(possibleLengths.begin(), possibleLengths.end(), int(number.size())) == possibleLengths.end()) {
            return false;
        }
        return matchesPattern(number);
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
    /// leading_digits, absent when the metadata has none.
    std::optional<Pattern> leadingDigits;
    Pattern internationalPrefix;
    /// national_prefix_for_parsing, absent when it is empty.
    std::optional<Pattern> nationalPrefixForParsing;
    std::string transformRule;

    /// Compiles `metadata`, the region `code`'s; returns false when the fast path cannot replay it.
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
        transformRule = metadata.national_prefix_transform_rule();
        if (metadata.has_leading_digits() && !leadingDigits.emplace().compile(metadata.leading_digits())) {
            return false;
        }
        if (!metadata.national_prefix_for_parsing().empty() &&
            (!nationalPrefixForParsing.emplace().compile(metadata.national_prefix_for_parsing()) ||
             nationalPrefixForParsing->groupCount() > kMaxGroups)) {
            return false;
        }
        return general.compile(metadata.general_desc()) && !general.possibleLengths.empty() &&
               fixedLine.compile(metadata.fixed_line()) && mobile.compile(metadata.mobile()) &&
               internationalPrefix.compile(metadata.international_prefix()) && transformRuleIsSupported();
    }

    /// Capture groups of national_prefix_for_parsing (0 when there is none).
    int prefixGroups() const { return nationalPrefixForParsing ? nationalPrefixForParsing->groupCount() : 0; }

    /// Whether the transform rule is digits and `$1`..`$9` naming existing groups: then ICU's appendReplacement
    /// reads exactly one digit after each `$` (there are at most kMaxGroups groups).
    bool transformRuleIsSupported() const {
        for (size_t k = 0; k < transformRule.size(); ++k) {
            const char c = transformRule[k];
            if (c == '$') {
                if (k + 1 >= transformRule.size() || transformRule[k + 1] < '1' ||
                    transformRule[k + 1] - '0' > prefixGroups()) {
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
    bool hasKnownType(const std::string &number) const {
        if (!general.matches(number)) {
            return false;
        }
        for (const CompiledDesc &desc : otherTypes) {
            if (desc.matches(number)) {
                return true;
            }
        }
        if (fixedLine.matches(number)) {
            return true;
        }
        return !sameMobileAndFixedLinePattern && mobile.matches(number);
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

    /// MaybeStripNationalPrefixAndCarrierCode(metadata, number, NULL), statement by statement, except that whether
    /// the original number was viable (a pure test) is asked only once a prefix was found.
    void stripNationalPrefix(std::string *number) const {
        if (number->empty() || !nationalPrefixForParsing) {
            return;
        }
        const int groups = prefixGroups();
        re2::StringPiece captures[kMaxGroups + 1];
        const bool consumed = nationalPrefixForParsing->lookingAt(*number, captures, groups + 1);
        // Consume(copy, &carrier, &captured) needs 2 groups, else Consume(copy, &captured) needs 1.
        const re2::StringPiece captured = consumed && groups >= 1 ? captures[groups >= 2 ? 2 : 1] : re2::StringPiece();
        std::string result;
        if (!transformRule.empty() && !captured.empty()) {
            // Replace(): find() from the start yields the same first match as lookingAt() did.
            for (size_t k = 0; k < transformRule.size(); ++k) {
                if (transformRule[k] == '$') {
                    const re2::StringPiece group = captures[transformRule[++k] - '0'];
                    result.append(group.data(), group.size());
                } else {
                    result += transformRule[k];
                }
            }
            result += number->substr(captures[0].size());
        } else if (consumed) {
            result = number->substr(captures[0].size());
        } else {
            return;
        }
        if (general.matchesPattern(*number) && !general.matchesPattern(result)) {
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

/// Compiled metadata of every calling code (index = calling code), each built from the library's own objects the
/// first time a number asks for it (once, whichever thread asks first: `std::call_once`) and read-only afterwards, so
/// any number of threads may use it. Built on demand because RE2 compiles a pattern in about 15 µs: a run of one
/// country's numbers compiles that country's few dozen patterns, not all 1,800 (about 30 ms, which a short
/// `run --once` felt end to end).
class CompiledMetadata {
  public:
    static constexpr int kMaxCallingCode = 999;

    explicit CompiledMetadata(const PhoneNumberUtil &phoneUtil)
        : phoneUtil_(phoneUtil), codes_(new Entry[kMaxCallingCode + 1]) {}

    /// The calling code's regions, compiled on first use; nullptr when `code` is out of range.
    const CallingCodeRegions *regions(int code) const {
        if (code < 1 || code > kMaxCallingCode) {
            return nullptr;
        }
        Entry &entry = codes_[size_t(code)];
        std::call_once(entry.once, [&] { build(code, &entry.regions); });
        return &entry.regions;
    }

  private:
    /// One calling code's regions and whether they are built yet.
    struct Entry {
        std::once_flag once;
        CallingCodeRegions regions;
    };

    /// Compiles the regions of `code` into `entry`.
    void build(int code, CallingCodeRegions *entry) const {
        phoneUtil_.GetRegionCodeForCountryCode(code, &entry->mainRegionCode);
        std::list<std::string> regionCodes;
        phoneUtil_.GetRegionCodesForCountryCallingCode(code, &regionCodes);
        entry->compiled = !regionCodes.empty();
        for (const std::string &regionCode : regionCodes) {
            const PhoneMetadata *metadata =
                regionCode == PhoneNumberUtil::kRegionCodeForNonGeoEntity
                    ? (phoneUtil_.*privateMember(NonGeographicalMetadataAccessor()))(code)
                    : (phoneUtil_.*privateMember(RegionMetadataAccessor()))(regionCode);
            entry->regions.emplace_back();
            entry->compiled = entry->compiled && metadata != nullptr && metadata->country_code() == code &&
                              entry->regions.back().compile(*metadata, regionCode);
        }
        entry->compiled = entry->compiled && entry->regions.front().regionCode == entry->mainRegionCode;
    }

    const PhoneNumberUtil &phoneUtil_;
    std::unique_ptr<Entry[]> codes_;
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
        if (region.internationalPrefix.lookingAt(digits)) {
            return false;
        }
        national = digits;
        // MaybeExtractCountryCode: a national number may start with its own calling code.
        const std::string code = std::to_string(region.callingCode);
        if (digits.compare(0, code.size(), code) == 0) {
            std::string withoutCode = digits.substr(code.size());
            region.stripNationalPrefix(&withoutCode);
            if ((!region.general.matchesPattern(digits) && region.general.matchesPattern(withoutCode)) ||
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
    mainRegion.stripNationalPrefix(&stripped);
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
        valid = mainRegion.hasKnownType(national);
    } else {
        for (const CompiledRegion &region : codeRegions->regions) {
            if (region.leadingDigits) {
                if (region.leadingDigits->lookingAt(national)) {
                    found = &region;
                    valid = region.hasKnownType(national);
                    break;
                }
            } else if (region.hasKnownType(national)) {
                found = &region;
                valid = true;
                break;
            }
        }
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

extern "C" int cphone_is_supported_region(const char *region) {
    if (region == nullptr) {
        return 0;
    }
    try {
        // libphonenumber's regions (ISO 3166-1 alpha-2 codes, and a few more such as XK), built once.
        static const std::set<std::string> *const regions = [] {
            auto *supported = new std::set<std::string>();
            util().GetSupportedRegions(supported);
            return supported;
        }();
        return regions->count(region) > 0 ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

extern "C" const char *cphone_metadata_version(void) { return kMetadataVersion; }
