// Implementation of CPhoneNumber.h over libphonenumber's PhoneNumberUtil.
//
// Thread safety: PhoneNumberUtil::GetInstance() is a thread-safe singleton (pthread_once in the Linux build), its
// parsing and validation methods are const, and its shared regular-expression cache takes a lock. Everything
// else here is local to the call, so all functions may be called from any number of threads at once.

#include "CPhoneNumber.h"

#include <cstring>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

/// Version of the libphonenumber8 package this module is built against: the library has no run-time version.
constexpr const char kMetadataVersion[] = "8.12.57";

/// Region code libphonenumber uses for "unknown region"; also what parsing needs for a number starting with '+'.
constexpr const char kUnknownRegion[] = "ZZ";

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

/// Parses `number` as international (cc == 0) or as a national number of calling code `cc`.
///
/// Returns CPHONE_VALID once parsed (validity is checked by the caller), or the failure. Sets `region` to the
/// region a national number is parsed in ("" for international numbers).
cphone_status parse(const PhoneNumberUtil &phoneUtil, const char *number, int cc, PhoneNumber *parsed,
                    std::string *region) {
    std::string input = number;
    region->clear();
    if ((cc == 0) != (!input.empty() && input[0] == '+')) {
        return CPHONE_BAD_ARGUMENT;
    }
    if (cc != 0) {
        phoneUtil.GetRegionCodeForCountryCode(cc, region);
        if (*region == kUnknownRegion) {
            region->clear();
            return CPHONE_UNKNOWN_CALLING_CODE;
        }
        if (*region == PhoneNumberUtil::kRegionCodeForNonGeoEntity) {
            // Parse() cannot take "001" as the default region. Non-geographic numbering plans have no national
            // prefix, so the national number written after "+cc" is the international form.
            input = "+" + std::to_string(cc) + input;
        }
    }
    const std::string defaultRegion = input[0] == '+' ? kUnknownRegion : *region;
    const PhoneNumberUtil::ErrorType error = phoneUtil.Parse(input, defaultRegion, parsed);
    return error == PhoneNumberUtil::NO_PARSING_ERROR ? CPHONE_VALID : statusForParseError(error);
}

}  // namespace

extern "C" cphone_status cphone_normalize(const char *number, int country_calling_code, char *e164_out,
                                          size_t e164_cap, char *national_out, size_t national_cap,
                                          int *country_code_out, char *region_out, size_t region_cap) {
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
        PhoneNumber parsed;
        std::string region;
        const cphone_status parseStatus = parse(phoneUtil, number, country_calling_code, &parsed, &region);
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

extern "C" int cphone_is_known_calling_code(int cc) {
    try {
        std::string region;
        util().GetRegionCodeForCountryCode(cc, &region);
        return region != kUnknownRegion ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

extern "C" const char *cphone_metadata_version(void) { return kMetadataVersion; }
