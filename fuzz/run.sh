#!/bin/sh
# Builds every fuzz target (fuzz/fuzz_*.c) with libFuzzer, ASan and UBSan
# against the library built in BUILD_DIR, replays fuzz/regressions/TARGET/*,
# then fuzzes each target for SECONDS (0: replay only).
#
#   fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#
# A target is a file fuzz/fuzz_NAME.c; its libFuzzer flags are in
# fuzz/options/NAME, its seeds in fuzz/corpus/NAME (read only: what a run
# finds goes to BUILD_DIR/fuzz/corpus/NAME). A crash or a broken invariant
# is saved as BUILD_DIR/fuzz/artifacts/NAME-*, and the run fails; once the
# bug is fixed, the file goes to fuzz/regressions/NAME/ for good.
set -eu
[ $# -ge 2 ] || { echo "usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]" >&2; exit 2; }
B=$1
SECONDS_EACH=$2
shift 2
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CC=${FUZZ_CC:-clang-14}
command -v "$CC" >/dev/null 2>&1 ||
    { echo "fuzz: $CC not found (Debian: apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
# The library, as the Makefile builds it, instrumented for coverage.
make --no-print-directory -s B="$B" CC="$CC" OPT="-O1 -g -fno-omit-frame-pointer" \
    HARDEN="-fPIC" EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $SAN" "$B/libenvelope.a"

PKGS="libcrypto libarchive json-c"
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Iinclude \
    -Ilibenvelope -Ifuzz $(pkg-config --cflags $PKGS) -DFUZZ_KEYS_DIR=\"$ROOT/tests/keys\" \
    -DFUZZ_DATA_DIR=\"$ROOT/fuzz/data\""
LIBS="$(pkg-config --libs $PKGS) -lpthread"
mkdir -p "$B/fuzz/artifacts" "$B/fuzz/logs"

if [ $# -eq 0 ]; then
    set -- $(for f in fuzz/fuzz_*.c; do basename "$f" .c | sed 's/^fuzz_//'; done)
fi

# Symbolized reports (Debian: llvm-14) where the symbolizer is not on PATH.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && ! command -v llvm-symbolizer >/dev/null 2>&1 &&
        [ -x /usr/bin/llvm-symbolizer-14 ]; then
    export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-14
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=""
for t in "$@"; do
    bin="$B/fuzz/fuzz_$t"
    # fuzz_json_out.c and fuzz_names_list.c include files of the command line
    # (and, through them, cli/cli.h).
    if [ ! -x "$bin" ] || [ -n "$(find fuzz cli/json_out.c cli/names_list.c cli/cli.h "$B/libenvelope.a" -newer "$bin" \
            \( -name '*.c' -o -name '*.h' -o -name '*.a' \) 2>/dev/null | head -1)" ]; then
        $CC $CFLAGS -fsanitize=fuzzer $SAN -o "$bin" "fuzz/fuzz_$t.c" "$B/libenvelope.a" $LIBS
    fi
    opts=$(cat "fuzz/options/$t" 2>/dev/null || true)
    opts=$(echo "$opts" | sed "s|-dict=|-dict=$ROOT/fuzz/|g")
    log="$B/fuzz/logs/$t.log"
    # Every input that once crashed must now pass.
    if [ -d "fuzz/regressions/$t" ] && [ -n "$(ls -A "fuzz/regressions/$t")" ]; then
        status=0
        "$bin" $opts -runs=1 "fuzz/regressions/$t"/* > "$log" 2>&1 || status=$?
        if [ $status -ne 0 ]; then
            echo "fuzz_$t: a regression input fails again (exit status $status; see $log)"
            tail -30 "$log"
            failed="$failed $t"
            continue
        fi
        echo "fuzz_$t: $(ls "fuzz/regressions/$t" | wc -l) regression inputs pass"
    fi
    [ "$SECONDS_EACH" -gt 0 ] || continue
    mkdir -p "$B/fuzz/corpus/$t"
    # -timeout: one input running that long is a hang, even under ASan on a
    # loaded machine.
    status=0
    "$bin" $opts -max_total_time="$SECONDS_EACH" -timeout=60 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$B/fuzz/artifacts/$t-" \
        "$B/fuzz/corpus/$t" "fuzz/corpus/$t" > "$log" 2>&1 || status=$?
    if [ $status -eq 0 ]; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
        echo "fuzz_$t: ${SECONDS_EACH}s clean, $runs runs ($speed/s), $cov"
    else
        # The artifact replays the failure; the seed, the run that found it.
        echo "fuzz_$t: FAILED after fuzzing, exit status $status," \
            "$(grep -o 'Seed: [0-9]*' "$log" | head -1) (log: $log)"
        grep -E 'ERROR|invariant|SUMMARY|Test unit written' "$log" | head -10
        echo "fuzz_$t: last lines of the log:"
        tail -15 "$log"
        failed="$failed $t"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: failing targets:$failed" >&2
    exit 1
fi
