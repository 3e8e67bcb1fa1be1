// Per-number cost of cphone_normalize (Sources/CPhoneNumber), without Swift, a file or the store: the shim is
// compiled into this program by bench/normalize.sh, which times it and counts its instructions under callgrind.
//
// Usage: normalize LIST ROUNDS REPEATS [THREADS]
//   LIST     us: the numbers of scenarios a and d (+1 202 and an odd 7-digit subscriber number from 3000001, as
//            bench/lib.py writes them), 2,000 of them;
//            examples: every example number of libphonenumber's metadata, once as a national number with its
//            calling code and once as an international number (a few go through libphonenumber itself, about
//            45 µs each, so this mean is well above the us one).
//   ROUNDS   passes over the list in one timing.
//   REPEATS  timings.
//   THREADS  threads that each make the ROUNDS passes at once (default 1), as the intake normalizes on every core:
//            ns/number is then the wall time of one number on one thread, so sharing between threads shows as a
//            higher figure than with 1.
// Each thread makes one untimed pass first, so the metadata (and what the shim keeps per thread) is compiled
// before the timing starts. Prints one line: the list, its size, and ns/number as min / median / max over the
// timings, twice: wall (from the moment every thread is ready to the end of the last one) and cpu (the threads'
// own CPU time, which does not count the time another process had the core, so it moves far less on a shared
// machine; it does count the stalls of threads that share memory). Under callgrind, `--collect-atstart=no
// --toggle-collect=measuredPasses` counts the instructions of the timed passes only.

#include "CPhoneNumber.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

namespace {

/// One call's arguments: the number as written, and the calling code (0 for an international number).
struct Input {
    std::string number;
    int callingCode;
};

/// The `us` list: scenario a's and d's numbers, skipping subscribers ending in 9999 as bench/lib.py does.
std::vector<Input> usNumbers() {
    std::vector<Input> inputs;
    char text[32];
    for (int subscriber = 3000001; inputs.size() < 2000; subscriber += 2) {
        if (subscriber % 10000 != 9999) {
            std::snprintf(text, sizeof text, "+1202%07d", subscriber);
            inputs.push_back({text, 0});
        }
    }
    return inputs;
}

/// The `examples` list: each example number of the metadata, national (with its calling code) and international.
std::vector<Input> exampleNumbers() {
    std::vector<Input> inputs;
    int code = 0;
    char national[CPHONE_NUMBER_CAPACITY];
    for (size_t index = 0; cphone_example_number(index, &code, national, sizeof national) != 0; ++index) {
        inputs.push_back({national, code});
        inputs.push_back({"+" + std::to_string(code) + national, 0});
    }
    return inputs;
}

/// Normalizes every input once; returns how many were valid (so the work cannot be optimized away).
int normalizeAll(const std::vector<Input> &inputs) {
    char e164[CPHONE_NUMBER_CAPACITY], national[CPHONE_NUMBER_CAPACITY], region[CPHONE_REGION_CAPACITY];
    int code = 0, valid = 0;
    for (const Input &input : inputs) {
        valid += cphone_normalize(input.number.c_str(), input.callingCode, e164, sizeof e164, national,
                                  sizeof national, &code, region, sizeof region) == CPHONE_VALID;
    }
    return valid;
}

}  // namespace

/// The timed work: `rounds` passes over `inputs`. Not inlined, so that callgrind can count it alone.
extern "C" __attribute__((noinline)) int measuredPasses(const std::vector<Input> &inputs, int rounds) {
    int valid = 0;
    for (int round = 0; round < rounds; ++round) {
        valid += normalizeAll(inputs);
    }
    return valid;
}

/// This thread's CPU time so far, in ns: unlike the wall time, it does not grow while another process has the core.
double threadCpuNanoseconds() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) * 1e9 + double(now.tv_nsec);
}

/// "min X median Y max Z" of `values`.
std::string spread(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    char text[96];
    std::snprintf(text, sizeof text, "min %.0f median %.0f max %.0f", values.front(), values[values.size() / 2],
                  values.back());
    return text;
}

int main(int argc, char **argv) {
    if ((argc != 4 && argc != 5) || (std::strcmp(argv[1], "us") != 0 && std::strcmp(argv[1], "examples") != 0)) {
        std::fprintf(stderr, "usage: %s us|examples ROUNDS REPEATS [THREADS]\n", argv[0]);
        return 2;
    }
    const std::vector<Input> inputs = std::strcmp(argv[1], "us") == 0 ? usNumbers() : exampleNumbers();
    const int rounds = std::max(1, std::atoi(argv[2])), repeats = std::max(1, std::atoi(argv[3]));
    const int threads = argc == 5 ? std::max(1, std::atoi(argv[4])) : 1;
    const int valid = normalizeAll(inputs);
    const double numbers = double(inputs.size()) * rounds;
    std::vector<double> wall, cpu;
    for (int repeat = 0; repeat < repeats; ++repeat) {
        std::vector<int> results(size_t(threads), 0);
        std::vector<double> cpuTimes(size_t(threads), 0);
        std::vector<std::thread> workers;
        std::atomic<int> ready{0};
        std::chrono::steady_clock::time_point start;
        for (int k = 0; k < threads; ++k) {
            workers.emplace_back([&, k] {
                normalizeAll(inputs);
                if (++ready == threads) {
                    start = std::chrono::steady_clock::now();
                    ready = threads + 1;
                }
                while (ready.load() <= threads) {
                    std::this_thread::yield();
                }
                const double cpuStart = threadCpuNanoseconds();
                results[size_t(k)] = measuredPasses(inputs, rounds);
                cpuTimes[size_t(k)] = threadCpuNanoseconds() - cpuStart;
            });
        }
        for (std::thread &worker : workers) {
            worker.join();
        }
        const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
        if (std::any_of(results.begin(), results.end(), [&](int result) { return result != valid * rounds; })) {
            std::fprintf(stderr, "results changed between passes\n");
            return 1;
        }
        wall.push_back(elapsed.count() / numbers);
        double cpuTotal = 0;
        for (const double time : cpuTimes) {
            cpuTotal += time;
        }
        cpu.push_back(cpuTotal / threads / numbers);
    }
    std::printf("%s: %zu numbers (%d valid), %d thread%s, ns/number wall %s, cpu %s\n", argv[1], inputs.size(),
                valid, threads, threads == 1 ? "" : "s", spread(wall).c_str(), spread(cpu).c_str());
    return 0;
}
