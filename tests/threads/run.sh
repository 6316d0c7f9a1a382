#!/bin/sh
# Seal and open from 8 threads at once with shared keys, the library and
# the test built with ThreadSanitizer (clang-14 -fsanitize=thread).
#
#   tests/threads/run.sh [BUILD_DIR] [ROUNDS]     default build-tsan, 3 rounds
set -eu
B=${1:-build-tsan}
ROUNDS=${2:-3}
cd "$(dirname "$0")/../.."
CC=${TSAN_CC:-clang-14}
command -v "$CC" >/dev/null 2>&1 ||
    { echo "threads: $CC not found (Debian: apt-get install clang-14)" >&2; exit 1; }
PKGS="libcrypto libarchive json-c"
make --no-print-directory -s B="$B" CC="$CC" OPT="-O1 -g -fno-omit-frame-pointer" \
    HARDEN="-fPIC" EXTRA_CFLAGS="-fsanitize=thread" EXTRA_LDFLAGS="-fsanitize=thread" \
    "$B/libenvelope.a"
mkdir -p "$B/threads"
$CC -std=c11 -O1 -g -fno-omit-frame-pointer -fsanitize=thread -Wall -Wextra -Iinclude \
    $(pkg-config --cflags $PKGS) -o "$B/threads/threads" tests/threads/threads.c \
    "$B/libenvelope.a" $(pkg-config --libs $PKGS) -lpthread
scratch=$(mktemp -d "${TMPDIR:-/tmp}/envelope-threads.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
    "$B/threads/threads" tests/keys "$scratch" "$ROUNDS"
