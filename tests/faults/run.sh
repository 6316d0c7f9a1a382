#!/bin/sh
# Fault injection (docs/SECURITY.md): outputs that cannot be written, inputs
# that end early, and each allocation of a seal, an open and a key load
# failing in turn, through the library and the CLI.
#
#   tests/faults/run.sh BUILD_DIR            the whole suite (about 30 s)
#   tests/faults/run.sh BUILD_DIR valgrind   the same under valgrind, with
#       leak checking, failing every FAULTS_STRIDE-th allocation (default 7)
#
# failalloc.so is an LD_PRELOAD allocator, so OpenSSL's, libarchive's and
# json-c's allocations fail too. Valgrind puts its own allocator ahead of
# any LD_PRELOAD, so the valgrind run links failalloc.c into the program
# instead and tells valgrind to leave the program's malloc alone.
set -eu
[ $# -ge 1 ] || { echo "usage: tests/faults/run.sh BUILD_DIR [valgrind]" >&2; exit 2; }
B=$1
MODE=${2:-}
cd "$(dirname "$0")/../.."
CC=${CC:-cc}
PKGS="libcrypto libarchive json-c"
make --no-print-directory -s B="$B" all
mkdir -p "$B/faults"
CFLAGS="-std=c11 -O1 -g -Wall -Wextra -Iinclude $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lpthread -ldl"
SRC="tests/faults/faults.c tests/faults/faults_secrets.c"
$CC -O2 -g -Wall -Wextra -fPIC -shared -o "$B/faults/failalloc.so" tests/faults/failalloc.c
$CC $CFLAGS -o "$B/faults/faults" $SRC "$B/libenvelope.a" $LIBS
$CC $CFLAGS -rdynamic -o "$B/faults/faults-linked" $SRC tests/faults/failalloc.c \
    "$B/libenvelope.a" $LIBS

scratch=$(mktemp -d "${TMPDIR:-/tmp}/envelope-faults.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
keys=tests/keys
export FAILALLOC_TRACE=1

if [ "$MODE" = valgrind ]; then
    command -v valgrind >/dev/null || { echo "faults: valgrind not found" >&2; exit 1; }
    # One log per process: the runs that crash inside a dependency on
    # purpose would drown the rest. The logs of a failed run are shown.
    mkdir -p "$scratch/vg"
    VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --suppressions=tests/faults/valgrind.supp \
        --log-file=$scratch/vg/%p.log"
    status=0
    $VG "$B/faults/faults" io $keys "$scratch/io" || status=1
    $VG --soname-synonyms=somalloc=nouserintercepts "$B/faults/faults-linked" alloc $keys \
        "$scratch/alloc" "${FAULTS_STRIDE:-7}" || status=1
    if [ $status -ne 0 ]; then
        for log in "$scratch"/vg/*.log; do
            grep -q -e "lost in loss record" -e "Invalid" -e "uninitialised" "$log" && cat "$log"
        done
    fi
    exit $status
fi

# faults prints a FAIL line per failed check; an exit status above 128 is
# a crash of the test itself.
lib_status=0
"$B/faults/faults" io $keys "$scratch/io" || lib_status=$?
[ $lib_status -eq 0 ] || echo "FAIL: faults io: exit status $lib_status"
status=0
LD_PRELOAD="$PWD/$B/faults/failalloc.so" "$B/faults/faults" alloc $keys "$scratch/alloc" || status=$?
[ $status -eq 0 ] || { echo "FAIL: faults alloc: exit status $status"; lib_status=$status; }

# The CLI: the same faults, seen as exit codes and files.
cli=$B/envelope
pass=0 failed=0
tail_of() { tail -n 15 "$1" | cat -v | sed 's/^/  | /'; }
expect() { # WANT_STATUS WHAT COMMAND...
    want=$1 what=$2
    shift 2
    set +e
    "$@" > "$scratch/stdout" 2> "$scratch/stderr"
    got=$?
    set -e
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $what: exit $got, want $want; stderr:"; tail_of "$scratch/stderr"
        failed=$((failed + 1))
    elif grep -q -e "correct horse" -e "wrong-passphrase" -e SECRET-PLAINTEXT "$scratch/stderr"; then
        echo "FAIL: $what: a secret in the error message (exit $got)"; failed=$((failed + 1))
    else
        pass=$((pass + 1))
    fi
}
mkdir -p "$scratch/cli"
printf 'SECRET-PLAINTEXT-cli\n' > "$scratch/cli/msg"
printf 'wrong-passphrase-Zq9Xv\n' > "$scratch/cli/wrong"
"$cli" seal --sign-key $keys/signer.pem --to $keys/alice.pub -o "$scratch/cli/env" \
    "$scratch/cli/msg"
open_args="--decrypt-key $keys/alice.pem --verify-key $keys/signer.pub"

expect 4 "seal to a full stdout" \
    sh -c "'$cli' seal --sign-key $keys/signer.pem --to $keys/alice.pub '$scratch/cli/msg' > /dev/full"
expect 4 "open to a full stdout" sh -c "'$cli' open $open_args '$scratch/cli/env' > /dev/full"
expect 1 "open from a pipe closed early" \
    sh -c "head -c 1000 '$scratch/cli/env' | '$cli' open $open_args -o '$scratch/cli/out'"
[ ! -e "$scratch/cli/out" ] ||
    { echo "FAIL: truncated open left $scratch/cli/out ($(wc -c <"$scratch/cli/out") bytes)"; failed=$((failed + 1)); }
expect 1 "open from a pipe closed early, to stdout" \
    sh -c "head -c 1000 '$scratch/cli/env' | '$cli' open $open_args"
[ ! -s "$scratch/stdout" ] ||
    { echo "FAIL: truncated open wrote $(wc -c <"$scratch/stdout") bytes to stdout"; failed=$((failed + 1)); }
expect 3 "open with a wrong passphrase" "$cli" open --decrypt-key $keys/alice-encrypted.pem \
    --passphrase-file "$scratch/cli/wrong" --verify-key $keys/signer.pub "$scratch/cli/env"
expect 0 "open with the right passphrase" "$cli" open --decrypt-key $keys/alice-encrypted.pem \
    --passphrase-file $keys/passphrase.txt --verify-key $keys/signer.pub "$scratch/cli/env"
cmp -s "$scratch/stdout" "$scratch/cli/msg" ||
    { echo "FAIL: open to stdout: $(wc -c <"$scratch/stdout") bytes, not the $(wc -c <"$scratch/cli/msg") of the message"
      failed=$((failed + 1)); }
echo "faults-cli: $pass passed, $failed failed"
[ "$failed" -eq 0 ] && [ $lib_status -eq 0 ]
