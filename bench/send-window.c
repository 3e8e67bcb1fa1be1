// The send window: how long a request spends between its last send-deadline check and the system call that
// writes it. A pause that falls inside this window, after the check passed, lets the request leave late
// (docs/shared-store.md, "What remains, and its size"); this harness measures the window's length.
//
// It drives libcurl's multi interface the way verifyd's transport does (CurlTransfer, CurlMultiLoop): a POST
// whose body comes from a read callback, a CURLOPT_PREREQFUNCTION check, and a GET with the check alone. The
// checks read CLOCK_BOOTTIME; `send` and `sendto` are interposed (this executable defines them, and libcurl,
// a shared library, calls them through its PLT), so the time of each write is read right before the system call.
// For each request it records the time from the last check to the next write on the transfer thread: for a POST,
// from the read callback to the body's write; for a GET, from the prerequest callback to the request's write.
//
// Usage: send-window URL_POST URL_GET ROUNDS [HEADER]   (prints min / median / p99 / max in nanoseconds)
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static uint64_t boot_ns(void) {
    struct timespec spec;
    clock_gettime(CLOCK_BOOTTIME, &spec);
    return (uint64_t)spec.tv_sec * 1000000000u + (uint64_t)spec.tv_nsec;
}

// The last check that passed and has not been followed by a write yet (0: none), whether the requests are POSTs
// (their last check is the read callback's), and the samples.
static uint64_t pending_check;
static int posting;
static uint64_t *samples;
static size_t sample_count;

static void wrote(void) {
    uint64_t now = boot_ns();
    if (pending_check != 0) {
        samples[sample_count++] = now - pending_check;
        pending_check = 0;
    }
}

ssize_t send(int fd, const void *buffer, size_t length, int flags) {
    static ssize_t (*real)(int, const void *, size_t, int);
    if (!real) real = (ssize_t(*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
    wrote();
    return real(fd, buffer, length, flags);
}

ssize_t sendto(int fd, const void *buffer, size_t length, int flags, const struct sockaddr *to, socklen_t size) {
    static ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    if (!real) real = (ssize_t(*)(int, const void *, size_t, int, const struct sockaddr *, socklen_t))dlsym(
        RTLD_NEXT, "sendto");
    wrote();
    return real(fd, buffer, length, flags, to, size);
}

static const char body[] = "via=sms&country_code=1&phone_number=2025550123";

struct upload {
    size_t offset;
};

static int prereq(void *context, char *remote, char *local, int remote_port, int local_port) {
    (void)context, (void)remote, (void)local, (void)remote_port, (void)local_port;
    if (!posting) pending_check = boot_ns();
    return CURL_PREREQFUNC_OK;
}

static size_t read_body(char *buffer, size_t size, size_t count, void *context) {
    struct upload *upload = context;
    size_t left = sizeof body - 1 - upload->offset;
    size_t length = size * count < left ? size * count : left;
    if (length == 0) return 0;
    if (upload->offset == 0) pending_check = boot_ns();
    memcpy(buffer, body + upload->offset, length);
    upload->offset += length;
    return length;
}

static size_t discard(char *data, size_t size, size_t count, void *context) {
    (void)data, (void)context;
    return size * count;
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

// Sends ROUNDS requests one after the other on one kept-alive connection and prints the window's figures.
static void measure(const char *label, const char *url, int post, int rounds, struct curl_slist *headers) {
    CURLM *multi = curl_multi_init();
    CURL *easy = curl_easy_init();
    sample_count = 0;
    posting = post;
    for (int round = 0; round < rounds; round++) {
        struct upload upload = {0};
        curl_easy_reset(easy);
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, prereq);
        if (post) {
            curl_easy_setopt(easy, CURLOPT_POST, 1L);
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(sizeof body - 1));
            curl_easy_setopt(easy, CURLOPT_READFUNCTION, read_body);
            curl_easy_setopt(easy, CURLOPT_READDATA, &upload);
        }
        curl_multi_add_handle(multi, easy);
        int running = 1;
        while (running) {
            curl_multi_perform(multi, &running);
            if (running) curl_multi_poll(multi, NULL, 0, 1000, NULL);
        }
        curl_multi_remove_handle(multi, easy);
    }
    curl_easy_cleanup(easy);
    curl_multi_cleanup(multi);
    qsort(samples, sample_count, sizeof *samples, compare);
    if (sample_count == 0) {
        printf("%s: no sample\n", label);
        return;
    }
    printf("%s: %zu requests; check to write: min %llu ns, median %llu ns, p99 %llu ns, max %llu ns\n", label,
        sample_count, (unsigned long long)samples[0], (unsigned long long)samples[sample_count / 2],
        (unsigned long long)samples[sample_count * 99 / 100], (unsigned long long)samples[sample_count - 1]);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s URL_POST URL_GET ROUNDS [HEADER]\n", argv[0]);
        return 64;
    }
    int rounds = atoi(argv[3]);
    samples = calloc((size_t)rounds * 2 + 2, sizeof *samples);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    if (argc > 4) headers = curl_slist_append(headers, argv[4]);
    measure("POST, read callback to the body's write", argv[1], 1, rounds, headers);
    measure("GET, prerequest callback to the request's write", argv[2], 0, rounds, headers);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    return 0;
}
