#!/bin/sh
# Runs each Check suite given; with VALGRIND=1 under memcheck. Exits non-zero
# if any suite fails. Usage: run-unit.sh BUILD_DIR TEST_BINARY...
set -u
build=$1; shift
failed=0
for t in "$@"; do
    if [ "${VALGRIND:-0}" = 1 ]; then
        CK_FORK=no CK_TIMEOUT_MULTIPLIER=20 ENVELOPE_TEST_SLOW=0 \
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            --track-origins=yes "$t" || failed=1
    else
        "$t" || failed=1
    fi
done
exit $failed
