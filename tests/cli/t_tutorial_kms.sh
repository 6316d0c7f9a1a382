# The tutorial's session with its KMS keys (sourced by t_tutorial.sh when
# the build has a KMS client): the KMS test server holds the tutorial's
# aliases, over tests/keys' signer.pem and dave.pem, and the tutorial's
# least-privilege principals.

KMSDIR=$T/kms
cat >"$T/kms-seed.json" <<JSON
{"keys": [
  {"key_spec": "RSA_4096", "key_usage": "ENCRYPT_DECRYPT",
   "aliases": ["alias/sample-encrypt-decrypt-key"], "private_key_file": "$K/dave.pem"},
  {"key_spec": "ECC_NIST_P521", "key_usage": "SIGN_VERIFY",
   "aliases": ["alias/sample-sign-verify-key"], "private_key_file": "$K/signer.pem"}
]}
JSON
kms_start "$KMSDIR" "$T/kms-seed.json" || return 0
HOSTPORT=${EP#https://}
SIGN_ALIAS=alias/sample-sign-verify-key
ENC_ALIAS=alias/sample-encrypt-decrypt-key
mkdir kms && cp "$MSG" kms/message.json && cd kms || return 0

as sender "$E" seal --sign-key "awskms:///$SIGN_ALIAS" --to "awskms://$HOSTPORT/$ENC_ALIAS" \
    -o message.enc message.json
succeeded "KMS sender (kms:Sign, kms:Encrypt only): seal with awskms:/// and awskms://HOST:PORT/"
as receiver "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --verify-key "awskms:///$SIGN_ALIAS" \
    --extract received message.enc
check "KMS receiver (kms:Decrypt, kms:Verify only): open --extract, alias as --verify-key" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s received/message.json message.json'
as receiver "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --verify-key "$K/signer.pub" message.enc
check "KMS receiver: the signer's exported public key as --verify-key" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" message.json' _ "$OUT"
as receiver-plus "$E" pubkey "awskms:///$SIGN_ALIAS"
check "pubkey of a KMS key (kms:GetPublicKey): its SPKI PEM" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" "$2/signer.pub"' _ "$OUT" "$K"
run openssl dgst -sha512 -verify "$K/signer.pub" -signature received/manifest.sig received/manifest.json
check "offline: openssl verifies the KMS signature with the exported key" grep -qx "Verified OK" "$OUT"
as nobody "$E" seal --sign-key "awskms:///$SIGN_ALIAS" --to "$K/dave.pub" -o denied.enc message.json
failed "KMS principal with no rights: exit 3, access denied" 3 "KMS access denied" denied.enc
cd "$W" || return 0
"$KMSCTL" stop "$KMSDIR" >/dev/null 2>&1
