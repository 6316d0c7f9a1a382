#!/usr/bin/env bash
# The tutorial's sender (docs/DESIGN.md, "The tutorial it grew from") done with the openssl CLI
# instead of KMS, for files of any size: sign the message (ECDSA P-521,
# SHA-512), tar the signature and the message (uncompressed, as GnuPG runs
# with -z 0), encrypt the tar with AES-256-CTR under a fresh random key
# (`openssl enc` does no GCM, so nothing authenticates the ciphertext), and
# wrap that key and IV with RSA-OAEP-SHA-256 (MGF1-SHA-256).
#
# usage: tutorial-seal.sh SIGN_KEY RECIPIENT_PUB IN OUT
# OUT = base64 of the wrapped key and IV on one line, then the ciphertext.
set -euo pipefail
sign_key=$1 recipient=$2 in=$3 out=$4
work=$(mktemp -d "$out.XXXXXX")
trap 'rm -rf "$work"' EXIT
in_dir=$(cd "$(dirname "$in")" && pwd)

openssl dgst -sha512 -sign "$sign_key" -out "$work/message.sig" "$in"
rand=$(openssl rand -hex 48)
key=${rand:0:64} iv=${rand:64:32}
{
    printf '%s %s' "$key" "$iv" |
        openssl pkeyutl -encrypt -pubin -inkey "$recipient" \
            -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 \
            -pkeyopt rsa_mgf1_md:sha256 | base64 -w 0
    echo
    tar -cf - -C "$work" message.sig -C "$in_dir" "$(basename "$in")" |
        openssl enc -aes-256-ctr -K "$key" -iv "$iv"
} >"$out"
