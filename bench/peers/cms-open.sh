#!/usr/bin/env bash
# openssl cms: decrypt piped into verify (the signer's self-signed
# certificate is the only trust anchor). See cms-seal.sh.
#
# usage: cms-open.sh RECIPIENT_CERT RECIPIENT_KEY SIGNER_CERT IN OUT
set -euo pipefail
recipient_cert=$1 recipient_key=$2 signer_cert=$3 in=$4 out=$5
openssl cms -decrypt -binary -inform DER -in "$in" -recip "$recipient_cert" \
    -inkey "$recipient_key" |
    openssl cms -verify -binary -inform DER -CAfile "$signer_cert" -out "$out"
