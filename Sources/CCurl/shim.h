// Typed wrappers over libcurl's variadic functions, which Swift cannot call.
//
// Each wrapper fixes the type of the third argument, so Swift passes exactly what the option
// expects (a `long` for CURLOPTTYPE_LONG, a `curl_off_t` for CURLOPTTYPE_OFF_T, ...). Passing the
// wrong width through a variadic call is undefined behaviour, which is why there is one wrapper per
// argument type instead of one generic one.
#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H

#include <curl/curl.h>

/// Replaces `curl_easy_setopt(handle, option, long)` for CURLOPTTYPE_LONG options.
static inline CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/// Replaces `curl_easy_setopt(handle, option, const char *)` for CURLOPTTYPE_STRINGPOINT options.
static inline CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/// Replaces `curl_easy_setopt(handle, option, void *)` for CURLOPTTYPE_OBJECTPOINT options
/// (data pointers, `struct curl_slist *`, error buffers).
static inline CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// Replaces `curl_easy_setopt(handle, option, curl_off_t)` for CURLOPTTYPE_OFF_T options.
static inline CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// Replaces `curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback)`.
static inline CURLcode ccurl_easy_setopt_write_function(CURL *handle, curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

/// Replaces `curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback)`.
/// The header callback has the same signature as the write callback.
static inline CURLcode ccurl_easy_setopt_header_function(CURL *handle, curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

/// Replaces `curl_easy_getinfo(handle, info, long *)` for CURLINFO_LONG values.
static inline CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// Replaces `curl_easy_getinfo(handle, info, curl_off_t *)` for CURLINFO_OFF_T values.
static inline CURLcode ccurl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// Replaces `curl_multi_setopt(multi, option, long)` for CURLOPTTYPE_LONG multi options.
static inline CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

#endif
