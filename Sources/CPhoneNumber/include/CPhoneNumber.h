// CPhoneNumber: a small C API over Google's libphonenumber (C++), so that Swift can normalize phone numbers
// without C++ interoperability. Every symbol is prefixed `cphone_`. All functions are thread-safe: they only
// use libphonenumber's process-wide PhoneNumberUtil singleton, whose methods are const and lock internally, a
// table compiled once from its metadata that is read-only afterwards, and RE2 objects of the calling thread's own.

#ifndef CPHONENUMBER_H
#define CPHONENUMBER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Output buffer size that is always large enough for `e164_out` and `national_out` (a parsed number has at
/// most 17 national digits and a 3-digit calling code).
#define CPHONE_NUMBER_CAPACITY 32

/// Output buffer size that is always large enough for `region_out` ("US", or "001" for non-geographic codes).
#define CPHONE_REGION_CAPACITY 4

/// Outcome of `cphone_normalize`.
typedef enum cphone_status {
    /// Parsed, and valid according to the library's metadata.
    CPHONE_VALID = 0,
    /// Parsed, with a length that is possible for the country, but unknown to the library's metadata as valid.
    CPHONE_POSSIBLE = 1,
    /// Nothing that looks like a phone number (no digits, or punctuation only).
    CPHONE_NOT_A_NUMBER = 2,
    /// The calling code (given, or at the start of an international number) is unknown.
    CPHONE_UNKNOWN_CALLING_CODE = 3,
    /// Shorter than every number of the country (or, when no calling code is reported, too short to parse).
    CPHONE_TOO_SHORT = 4,
    /// Longer than every number of the country (or, when no calling code is reported, longer than 17 digits).
    CPHONE_TOO_LONG = 5,
    /// Between the country's shortest and longest lengths, but not a length its numbers have.
    CPHONE_INVALID_LENGTH = 6,
    /// Possible only as a local number, dialled without the area code.
    CPHONE_LOCAL_ONLY = 7,
    /// The input carries an extension (e.g. "x123"), which a verification cannot reach.
    CPHONE_HAS_EXTENSION = 8,
    /// An output buffer was too small, or an argument was NULL.
    CPHONE_BAD_ARGUMENT = 9,
    /// libphonenumber threw (in practice only std::bad_alloc).
    CPHONE_INTERNAL_ERROR = 10,
} cphone_status;

/// Parses `number` and formats it as E.164.
///
/// `number` is a NUL-terminated UTF-8 string. When it starts with '+', it is parsed as an international number
/// and `country_calling_code` must be 0. Otherwise `country_calling_code` (e.g. 44) is required, and the number
/// is parsed as a national number of that code's main region (national trunk prefixes such as the UK's 0 are
/// removed); for a non-geographic code (800, 882, ...) the digits are taken as the national number.
///
/// Results are exactly libphonenumber's (Parse, GetRegionCodeForNumber, IsValidNumberForRegion,
/// IsPossibleNumberWithReason, Format E164). Numbers made of digits, spaces and `-.()/` take a fast path (0.2 to
/// 0.5 µs instead of 12 to 21 µs, release build) that replays those steps with the library's metadata, its patterns
/// compiled with RE2 on first use; anything else, and every parse failure, goes through libphonenumber itself.
///
/// Outputs, each NUL-terminated:
/// - `e164_out`, `national_out` (national significant number, digits only), `region_out` (CLDR region, "001"
///   for non-geographic codes; the calling code's main region when the number matches no region) are set for
///   CPHONE_VALID and CPHONE_POSSIBLE, and set to "" otherwise.
/// - `*country_code_out` is the parsed number's calling code; when parsing failed, `country_calling_code`.
/// - For failures, `region_out` holds the region the number was checked against when it is known (the calling
///   code's main region), "" otherwise (e.g. an international number too short to find its calling code).
///
/// Returns the outcome; only CPHONE_VALID and CPHONE_POSSIBLE mean success.
cphone_status cphone_normalize(
    const char *number, int country_calling_code, char *e164_out, size_t e164_cap, char *national_out,
    size_t national_cap, int *country_code_out, char *region_out, size_t region_cap);

/// `cphone_normalize` without the fast path: every number goes through libphonenumber itself.
///
/// Exists for the differential test, which checks that the fast path returns exactly what the library returns;
/// the product calls `cphone_normalize` only.
cphone_status cphone_normalize_reference(
    const char *number, int country_calling_code, char *e164_out, size_t e164_cap, char *national_out,
    size_t national_cap, int *country_code_out, char *region_out, size_t region_cap);

/// The `index`-th example number of libphonenumber's metadata (from 0): every region's example of each number
/// type, then one per non-geographic calling code, in a fixed order.
///
/// Exists for the differential test, which mutates these numbers. Sets `*country_code_out` and `national_out`
/// (the national significant number) and returns 1, or returns 0 past the last example or on a bad argument.
int cphone_example_number(size_t index, int *country_code_out, char *national_out, size_t national_cap);

/// Returns 1 when libphonenumber has metadata for calling code `cc` (geographic or not), 0 otherwise.
int cphone_is_known_calling_code(int cc);

/// Returns 1 when `region` (NUL-terminated, e.g. "US") is one of libphonenumber's regions, the codes it gives numbers
/// (ISO 3166-1 alpha-2, and a few more such as XK); 0 otherwise, and for "001" (non-geographic) or NULL.
int cphone_is_supported_region(const char *region);

/// The libphonenumber release whose metadata is in use (a static string).
///
/// The library does not expose its version at run time, so this is the version of the Debian package the
/// module is built against (libphonenumber8 8.12.57), kept in shim.cpp; update it with the package.
const char *cphone_metadata_version(void);

#ifdef __cplusplus
}
#endif

#endif  // CPHONENUMBER_H
