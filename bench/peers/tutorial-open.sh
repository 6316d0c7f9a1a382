#!/usr/bin/env bash
# The tutorial's receiver with the openssl CLI (see tutorial-seal.sh):
# unwrap the key with RSA-OAEP-SHA-256, decrypt and untar, then verify the
# signature over the extracted message. Like the tutorial, it writes the
# plaintext out before anything is verified (AES-CTR authenticates nothing).
#
# usage: tutorial-open.sh DECRYPT_KEY SIGNER_PUB IN OUT
set -euo pipefail
decrypt_key=$1 signer=$2 in=$3 out=$4
work=$(mktemp -d "$out.XXXXXX")
trap 'rm -rf "$work"' EXIT

key_iv=$(head -n 1 "$in" | base64 -d |
    openssl pkeyutl -decrypt -inkey "$decrypt_key" \
        -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 \
        -pkeyopt rsa_mgf1_md:sha256)
key=${key_iv% *} iv=${key_iv#* }
tail -n +2 "$in" | openssl enc -d -aes-256-ctr -K "$key" -iv "$iv" |
    tar -xf - -C "$work"
name=$(cd "$work" && ls -A | grep -vx message.sig)
openssl dgst -sha512 -verify "$signer" -signature "$work/message.sig" "$work/$name" >/dev/null
mv "$work/$name" "$out"
