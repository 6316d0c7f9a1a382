#!/bin/sh
# Runs each Check suite given; with VALGRIND=1 under memcheck. Exits non-zero
# if any suite fails. Usage: run-unit.sh BUILD_DIR TEST_BINARY...
#
# Check kills a test that runs past its timeout (4 s unless the suite sets
# one). The timeouts only catch a hung test: a sanitizer build on a loaded
# machine can take many times as long as it does alone, so each one is
# multiplied by CK_TIMEOUT_MULTIPLIER (default 10). Under valgrind the
# tests run in one process (CK_FORK=no), where Check enforces no timeout.
set -u
build=$1; shift
failed=0
: "${CK_TIMEOUT_MULTIPLIER:=10}"
export CK_TIMEOUT_MULTIPLIER
for t in "$@"; do
    if [ "${VALGRIND:-0}" = 1 ]; then
        CK_FORK=no ENVELOPE_TEST_SLOW=0 \
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            --track-origins=yes "$t"
    else
        "$t"
    fi
    rc=$?
    if [ $rc -ne 0 ]; then
        # 99: valgrind found errors; above 128: killed by a signal.
        echo "run-unit: FAIL $t: exit status $rc" >&2
        failed=1
    fi
done
exit $failed
