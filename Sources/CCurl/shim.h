// Typed wrappers over libcurl's variadic functions, which Swift cannot call.
//
// Each wrapper fixes the type of the third argument, so Swift passes exactly what the option
// expects (a `long` for CURLOPTTYPE_LONG, a `curl_off_t` for CURLOPTTYPE_OFF_T, ...). Passing the
// wrong width through a variadic call is undefined behaviour, which is why there is one wrapper per
// argument type instead of one generic one.
#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

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

/// Replaces `curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback)`.
static inline CURLcode ccurl_easy_setopt_read_function(CURL *handle, curl_read_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

/// Replaces `curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, callback)`.
static inline CURLcode ccurl_easy_setopt_seek_function(CURL *handle, curl_seek_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, callback);
}

/// Replaces `curl_easy_setopt(handle, CURLOPT_PREREQFUNCTION, callback)` (libcurl 7.80 and later): the
/// callback runs once the connection is ready, immediately before the request is sent on it.
static inline CURLcode ccurl_easy_setopt_prereq_function(CURL *handle, curl_prereq_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_PREREQFUNCTION, callback);
}

/// Replaces `curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, callback)`.
static inline CURLMcode ccurl_multi_setopt_socket_function(CURLM *multi, curl_socket_callback callback) {
    return curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, callback);
}

/// Replaces `curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, callback)`.
static inline CURLMcode ccurl_multi_setopt_timer_function(CURLM *multi, curl_multi_timer_callback callback) {
    return curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, callback);
}

/// Replaces `curl_multi_setopt(multi, option, void *)` for CURLOPTTYPE_OBJECTPOINT multi options.
static inline CURLMcode ccurl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value) {
    return curl_multi_setopt(multi, option, value);
}

/// `CURL_SOCKET_TIMEOUT`, a cast macro Swift cannot import.
static inline curl_socket_t ccurl_socket_timeout(void) { return CURL_SOCKET_TIMEOUT; }

// The transport thread's readiness poll (Linux epoll), kept in C because `struct epoll_event` is
// packed on x86-64. Each function returns -1 with errno set on failure, like the calls it wraps.

/// `epoll_ctl` with `op` for `fd`, watching for input (`in`) and/or output (`out`).
static inline int ccurl_epoll_control(int epoll, int op, int fd, int in, int out) {
    struct epoll_event event = { 0 };
    event.events = (in ? EPOLLIN : 0) | (out ? EPOLLOUT : 0);
    event.data.fd = fd;
    return epoll_ctl(epoll, op, fd, &event);
}

/// `epoll_wait` for up to `capacity` events, written as parallel arrays: the descriptor and the
/// libcurl `CURL_CSELECT_*` bits of each. Returns the number of events (0 on timeout or EINTR).
static inline int ccurl_epoll_wait(int epoll, int *fds, int *selects, int capacity, int timeout_ms) {
    struct epoll_event events[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epoll, events, capacity, timeout_ms);
    if (count < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < count; i++) {
        fds[i] = events[i].data.fd;
        selects[i] = ((events[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0)
            | ((events[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0)
            | ((events[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
    }
    return count;
}

/// A non-blocking, close-on-exec eventfd, for waking the poll from other threads.
static inline int ccurl_eventfd_create(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

/// Adds one to the eventfd's counter (which makes it readable).
static inline void ccurl_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t written = write(fd, &one, sizeof one);
    (void)written;
}

/// Reads and clears the eventfd's counter.
static inline void ccurl_eventfd_drain(int fd) {
    uint64_t value;
    ssize_t read_bytes = read(fd, &value, sizeof value);
    (void)read_bytes;
}

/// Replaces `curl_multi_setopt(multi, option, long)` for CURLOPTTYPE_LONG multi options.
static inline CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

#endif
