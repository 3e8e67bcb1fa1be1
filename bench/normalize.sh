#!/usr/bin/env bash
# Per-number cost of normalization: bench/normalize.cpp with the shim (Sources/CPhoneNumber/shim.cpp) compiled
# in, by the toolchain's clang with the flags of a release build (-O2). No sandbox, file or store: only
# cphone_normalize, timed with a monotonic clock and counted in instructions by callgrind (repeatable whatever
# else the machine does).
# Usage:
#   bench/normalize.sh [LIST] [ROUNDS] [REPEATS] [THREADS]
#                                  time this tree's shim (defaults: us 50 9 1); LIST is us or examples, THREADS
#                                  normalize at once (see bench/normalize.cpp)
#   bench/normalize.sh --callgrind [LIST]
#                                  instructions per number: one pass, after the untimed one
#   bench/normalize.sh --ab REV [LIST] [PAIRS] [THREADS]
#                                  the shim at git revision REV against this tree's: timed alternately (REV, this
#                                  tree, REV, …) PAIRS times each (default 3), then both under callgrind
source "$(dirname "$0")/lib.sh"
CLANG=${CLANG:-$(dirname "$(command -v swift)")/clang++}
[ -x "$CLANG" ] || CLANG=clang++

# build SOURCE_DIR OUT: compiles the harness with SOURCE_DIR/shim.cpp and SOURCE_DIR/include into OUT.
build() {
    "$CLANG" -O2 -std=c++17 -fno-omit-frame-pointer -I "$1/include" "$BENCH_DIR/normalize.cpp" "$1/shim.cpp" \
        -o "$2" -lphonenumber -lprotobuf -lre2 -pthread || die "could not compile the harness with $1/shim.cpp"
}

# instructions BINARY LIST: prints "LIST: N instructions/number" for one pass of BINARY under callgrind.
instructions() {
    local out=$WORK/callgrind.$$.$RANDOM numbers total
    command -v valgrind >/dev/null || die "valgrind is not installed: apt-get install valgrind"
    numbers=$("$1" "$2" 1 1 | sed -E 's/^[a-z]+: ([0-9]+) numbers.*/\1/')
    valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no --toggle-collect=measuredPasses \
        "$1" "$2" 1 1 >/dev/null 2>&1 || die "callgrind failed"
    total=$(awk '/^(summary|totals):/ { print $2; exit }' "$out")
    echo "$2: $(calc "$total / $numbers" | cut -d. -f1) instructions/number (callgrind, one pass of $numbers)"
}

case "${1:-}" in
--callgrind)
    build "$ROOT/Sources/CPhoneNumber" "$WORK/normalize"
    instructions "$WORK/normalize" "${2:-us}"
    ;;
--ab)
    [ -n "${2:-}" ] || die "usage: $0 --ab REV [LIST] [PAIRS] [THREADS]"
    rev=$2 list=${3:-us} pairs=${4:-3} threads=${5:-1}
    mkdir -p "$WORK/old/include"
    git -C "$ROOT" show "$rev:Sources/CPhoneNumber/shim.cpp" >"$WORK/old/shim.cpp" || die "no shim.cpp at $rev"
    git -C "$ROOT" show "$rev:Sources/CPhoneNumber/include/CPhoneNumber.h" >"$WORK/old/include/CPhoneNumber.h"
    build "$WORK/old" "$WORK/normalize-old"
    build "$ROOT/Sources/CPhoneNumber" "$WORK/normalize-new"
    for pair in $(seq "$pairs"); do
        printf '%-12s %s\n' "$rev" "$("$WORK/normalize-old" "$list" 50 9 "$threads")"
        printf '%-12s %s\n' tree "$("$WORK/normalize-new" "$list" 50 9 "$threads")"
        log "pair $pair of $pairs done"
    done
    printf '%-12s %s\n' "$rev" "$(instructions "$WORK/normalize-old" "$list")"
    printf '%-12s %s\n' tree "$(instructions "$WORK/normalize-new" "$list")"
    ;;
*)
    build "$ROOT/Sources/CPhoneNumber" "$WORK/normalize"
    "$WORK/normalize" "${1:-us}" "${2:-50}" "${3:-9}" "${4:-1}"
    ;;
esac
