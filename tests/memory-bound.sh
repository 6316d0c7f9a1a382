#!/usr/bin/env bash
# Sealing and opening a 1 GiB file stay under 16 MiB of peak RSS
# (docs/DESIGN.md, "One pass, bounded memory, two cores"), measured by
# /usr/bin/time -v on the whole CLI process; so do sealing it with --armor
# and opening the armor (through a pipe: the spool holds the decoded
# envelope). Usage: memory-bound.sh BUILD_DIR [SIZE]
set -euo pipefail
build=$1
size=${2:-1G}
limit_kib=$((16 * 1024))
cli=$build/envelope
keys=tests/keys
work=$(mktemp -d "${TMPDIR:-/tmp}/envelope-mem.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# A sparse file: the pipeline still reads, hashes and encrypts every byte.
truncate -s "$size" "$work/big"
# measure NAME COMMAND...: runs it under /usr/bin/time -v; passes if it
# exits 0 with a peak RSS within the limit, else says what it saw.
measure() {
    local name=$1 rc=0 kib
    shift
    /usr/bin/time -v "$@" 2>"$work/time.txt" >/dev/null || rc=$?
    kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
    if [ "$rc" -eq 0 ] && [ -n "$kib" ] && [ "$kib" -le "$limit_kib" ]; then
        echo "ok   $name: peak RSS $kib KiB (limit $limit_kib)"; passed=$((passed + 1))
    else
        echo "FAIL $name: exit $rc, peak RSS ${kib:-unknown} KiB (limit $limit_kib); stderr:"
        grep -v '^	' "$work/time.txt" | tail -n 15 | sed 's/^/  | /'
        failed=$((failed + 1))
    fi
}
measure "seal $size" "$cli" seal -q --sign-key $keys/signer.pem --to $keys/alice.pub \
    -o "$work/big.env" "$work/big"
measure "open $size" "$cli" open -q --decrypt-key $keys/alice.pem \
    --verify-key $keys/signer.pub -o "$work/big.out" "$work/big.env"
# same_as_input NAME FILE
same_as_input() {
    if cmp -s "$work/big" "$2"; then
        echo "ok   $1 equals the input"; passed=$((passed + 1))
    else
        echo "FAIL $1 differs: $(cmp "$work/big" "$2" 2>&1 | head -1)"
        failed=$((failed + 1))
    fi
}
same_as_input "opened file" "$work/big.out"
rm -f "$work/big.env" "$work/big.out"
measure "seal --armor $size" "$cli" seal -q --armor --sign-key $keys/signer.pem \
    --to $keys/alice.pub -o "$work/big.asc" "$work/big"
measure "open $size armored, from a pipe" bash -c 'cat "$1" | "$2" open -q --decrypt-key \
    "$3/alice.pem" --verify-key "$3/signer.pub" -o "$4" -' _ "$work/big.asc" "$cli" "$keys" \
    "$work/big.out"
same_as_input "file opened from the armor" "$work/big.out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
