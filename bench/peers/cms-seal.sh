#!/usr/bin/env bash
# openssl cms: sign (ECDSA P-521, SHA-512, content attached) piped into
# encrypt (AES-256-GCM AuthEnvelopedData, key transport RSA-OAEP-SHA-256).
# -stream on both sides keeps memory bounded (indefinite-length BER).
#
# usage: cms-seal.sh SIGNER_CERT SIGNER_KEY RECIPIENT_CERT IN OUT
set -euo pipefail
signer_cert=$1 signer_key=$2 recipient_cert=$3 in=$4 out=$5
openssl cms -sign -stream -binary -nodetach -md sha512 -signer "$signer_cert" \
    -inkey "$signer_key" -in "$in" -outform DER |
    openssl cms -encrypt -stream -binary -aes-256-gcm -recip "$recipient_cert" \
        -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 \
        -outform DER -out "$out"
