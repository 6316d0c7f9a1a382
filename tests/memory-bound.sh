#!/usr/bin/env bash
# Sealing and opening a 1 GiB file stay under 16 MiB of peak RSS
# (DESIGN.md section 4.9), measured by /usr/bin/time -v on the whole CLI
# process. Usage: memory-bound.sh BUILD_DIR [SIZE]
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
peak() { # peak RSS in KiB of the command "$@"
    /usr/bin/time -v "$@" 2> "$work/time.txt" >/dev/null
    awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt"
}
check() { # name kib
    if [ "$2" -le "$limit_kib" ]; then
        echo "ok   $1: peak RSS $2 KiB (limit $limit_kib)"; passed=$((passed + 1))
    else
        echo "FAIL $1: peak RSS $2 KiB over $limit_kib"; failed=$((failed + 1))
    fi
}
check "seal $size" "$(peak "$cli" seal -q --sign-key $keys/signer.pem --to $keys/alice.pub \
    -o "$work/big.env" "$work/big")"
check "open $size" "$(peak "$cli" open -q --decrypt-key $keys/alice.pem \
    --verify-key $keys/signer.pub -o "$work/big.out" "$work/big.env")"
if cmp -s "$work/big" "$work/big.out"; then
    echo "ok   opened file equals the input"; passed=$((passed + 1))
else
    echo "FAIL opened file differs"; failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
