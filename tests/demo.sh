#!/usr/bin/env bash
# make demo: the tutorial's exchange with local demo keys, step by step.
# The sender signs message.json and encrypts it to the receiver; the receiver
# decrypts and verifies; a disconnected system checks the signature with
# plain openssl. Keys are made fresh in a scratch directory.
set -euo pipefail
build=${1:-build}
cli=$(cd "$build" && pwd)/envelope
top=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/envelope-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. Each side makes its key pair (the receiver's RSA key takes a few seconds)"
run "$cli" keygen --sign -o sender.pem --pub sender.pub
run "$cli" keygen --encrypt --bits 4096 -o receiver.pem --pub receiver.pub
echo "They swap public keys: sender.pub goes to the receiver, receiver.pub to the sender."

step "2. The sender seals the tutorial's message.json"
cp "$top/tests/demo/message.json" message.json
run cat message.json
run "$cli" seal --sign-key sender.pem --to receiver.pub -o message.env message.json
run ls -l message.json message.env

step "3. Anyone can see who it is for, but nothing else"
run "$cli" inspect message.env

step "4. The receiver opens it: decrypts, verifies the signer, and only then writes the message"
run "$cli" open --decrypt-key receiver.pem --verify-key sender.pub -o opened.json message.env
run cat opened.json
run cmp message.json opened.json

step "5. A tampered envelope is refused and nothing is written"
cp message.env tampered.env
# Flip the bits of one byte (writing a fixed value would leave the 1 in
# 256 envelopes that already hold it untouched).
byte=$(od -An -tu1 -j 700 -N1 tampered.env | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 255)))" | dd of=tampered.env bs=1 seek=700 conv=notrunc status=none
status=0
"$cli" open --decrypt-key receiver.pem --verify-key sender.pub -o should-not-exist.json tampered.env ||
    status=$?
echo "exit status $status (1: cannot be opened)"
run ls should-not-exist.json 2>&1 || true
if [ "$status" -ne 1 ] || [ -e should-not-exist.json ] || cmp -s message.env tampered.env; then
    echo "demo: FAIL: the tampered envelope gave exit status $status, want 1 and no output" >&2
    exit 1
fi

step "6. A disconnected system verifies with plain openssl"
run "$cli" open --decrypt-key receiver.pem --verify-key sender.pub --extract received message.env
run cat received/manifest.json; echo
run openssl dgst -sha512 -verify sender.pub -signature received/manifest.sig received/manifest.json
run sha512sum received/message.json

printf '\nDemo complete: sealed, opened, verified.\n'
