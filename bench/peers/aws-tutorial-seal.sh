#!/usr/bin/env bash
# The tutorial's sender exactly as docs/DESIGN.md, "The tutorial it grew from"
# gives it, with the AWS CLI against whatever KMS the environment names
# (AWS_ENDPOINT_URL_KMS, passed as --endpoint-url since Debian's AWS CLI
# predates that variable; AWS_CA_BUNDLE; credentials): KMS signs the
# message, tar -czf bundles it with the signature, KMS encrypts the tar.gz
# (at most 446 bytes).
#
# usage: aws-tutorial-seal.sh AWS SIGN_KEY_ID ENCRYPT_KEY_ID MESSAGE OUT
set -euo pipefail
aws=$1 sign_key=$2 enc_key=$3 in=$4 out=$5
work=$(mktemp -d "$out.XXXXXX")
trap 'rm -rf "$work"' EXIT
endpoint=()
if [[ -n ${AWS_ENDPOINT_URL_KMS:-} ]]; then endpoint=(--endpoint-url "$AWS_ENDPOINT_URL_KMS"); fi
cp "$in" "$work/message.json"
cd "$work"
"$aws" "${endpoint[@]}" kms sign --key-id "$sign_key" --message-type RAW \
    --signing-algorithm ECDSA_SHA_512 --message fileb://message.json \
    --output text --query Signature | base64 --decode >message.sig
tar -czf message.tar.gz message.sig message.json
"$aws" "${endpoint[@]}" kms encrypt --key-id "$enc_key" \
    --encryption-algorithm RSAES_OAEP_SHA_256 --plaintext fileb://message.tar.gz \
    --output text --query CiphertextBlob | base64 --decode >"$out"
