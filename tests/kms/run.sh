#!/bin/bash
# awskms:// keys end to end, against the KMS test server (tests/kms-server):
# the tutorial under its least-privilege policies, then with GetPublicKey
# allowed (request counts from the server's counters), the AWS CLI and plain
# openssl on what we signed through KMS, every mix of local and KMS keys,
# session tokens, regions, endpoints, KMS's errors, and the rule that local
# keys never load libcurl.
#
#   bash tests/kms/run.sh BUILD_DIR
#
# Starts its own server in a temporary directory and stops it on exit.
# Prints one line per check and a closing "N passed, M failed"; exits non-zero
# if any check failed. ENVELOPE_CLI overrides the command under test
# (default BUILD_DIR/envelope).
set -uo pipefail

B=${1:?usage: run.sh BUILD_DIR}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=$(cd "$B" && pwd)
E=${ENVELOPE_CLI:-$B/envelope}
LIB=$B/libenvelope.so.1
KMSCTL=$TOP/tests/kms-server/kmsctl.sh
K=$TOP/tests/keys
PY=${PYTHON:-/usr/bin/python3}
AWS=${AWS:-/usr/bin/aws}

passed=0
failed=0
finished=0
for tool in "$PY" "$AWS" openssl cc ldd readelf sha512sum tar; do
    if ! command -v "$tool" >/dev/null; then
        echo "FAIL $tool not found (see tests/kms-server/README.md, Prerequisites)"
        echo "0 passed, 1 failed"
        exit 1
    fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/envelope-kms.XXXXXX")
STATE=$WORK/state
HSTATE=$WORK/state-http
SILENT_PID=
cleanup() {
    local rc=$?
    [[ -n $SILENT_PID ]] && kill "$SILENT_PID" 2>/dev/null
    "$KMSCTL" stop "$STATE" >/dev/null 2>&1
    "$KMSCTL" stop "$HSTATE" >/dev/null 2>&1
    rm -rf "$WORK"
    if [[ $finished -eq 0 ]]; then
        echo "FAIL aborted (exit status $rc) before all checks ran"
        echo "$passed passed, $((failed + 1)) failed"
        exit 1
    fi
}
trap cleanup EXIT

OUT=$WORK/out
ERR=$WORK/err
rc=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() {
    echo "FAIL $1"
    failed=$((failed + 1))
    sed 's/^/     | /' "$ERR" | head -n 6
}
# check DESCRIPTION COMMAND...: one line per check, never aborts the script.
check() {
    local desc=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$desc"; else bad "$desc"; fi
}

# ------------------------------------------------------------- principals

unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
    AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CA_BUNDLE AWS_ENDPOINT_URL \
    AWS_ENDPOINT_URL_KMS AWS_REGION AWS_DEFAULT_REGION AWS_USE_FIPS_ENDPOINT 2>/dev/null
mkdir -p "$WORK/home" "$WORK/w"
export HOME=$WORK/home
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_CLI_AUTO_PROMPT=off

declare -A AK SK
AK[admin]=AKIAKMSTESTADMIN0001 SK[admin]=kms-test/admin/SECRET/00000000000000000000
AK[sender]=AKIAKMSTESTSENDER001 SK[sender]=kms-test/sender/SECRET/0000000000000000000
AK[receiver]=AKIAKMSTESTRECEIVER1 SK[receiver]=kms-test/receiver/SECRET/00000000000000000
AK[sender-plus]=AKIAKMSTESTSENDPLUS1 SK[sender-plus]=kms-test/sender-plus/SECRET/00000000000000
AK[receiver-plus]=AKIAKMSTESTRECVPLUS1 SK[receiver-plus]=kms-test/receiver-plus/SECRET/000000000000
AK[session]=ASIAKMSTESTSESSION01 SK[session]=kms-test/session/SECRET/000000000000000000
TOKEN=FwoGZXIvYXdzEKMS//////////wEaDKMSTESTSESSIONTOKEN0123456789abcdefKMSTEST
ACCOUNT=111122223333

# The tutorial's keys over known key material (so that exported public keys
# can be compared with tests/keys), and keys of every kind we must refuse.
SIGN_ID=5e1f0000-0000-4000-8000-000000000001
ENC_ID=5e1f0000-0000-4000-8000-000000000002
OTHER_ID=5e1f0000-0000-4000-8000-000000000003
RSA2048_ID=5e1f0000-0000-4000-8000-000000000004
REG_SIGN_ID=5e1f0000-0000-4000-8000-000000000005
REG_ENC_ID=5e1f0000-0000-4000-8000-000000000006
SIGN_ALIAS=alias/sample-sign-verify-key
ENC_ALIAS=alias/sample-encrypt-decrypt-key
arn() { echo "arn:aws:kms:${2:-us-east-1}:$ACCOUNT:key/$1"; }
SIGN_ARN=$(arn $SIGN_ID)
ENC_ARN=$(arn $ENC_ID)
cat >"$WORK/seed.json" <<JSON
{"keys": [
  {"key_spec": "ECC_NIST_P521", "key_usage": "SIGN_VERIFY", "key_id": "$SIGN_ID",
   "aliases": ["$SIGN_ALIAS"], "private_key_file": "$K/signer.pem"},
  {"key_spec": "RSA_4096", "key_usage": "ENCRYPT_DECRYPT", "key_id": "$ENC_ID",
   "aliases": ["$ENC_ALIAS"], "private_key_file": "$K/dave.pem"},
  {"key_spec": "ECC_NIST_P521", "key_usage": "SIGN_VERIFY", "key_id": "$OTHER_ID",
   "aliases": ["alias/other-sign-key"], "private_key_file": "$K/other-signer.pem"},
  {"key_spec": "RSA_2048", "key_usage": "ENCRYPT_DECRYPT", "key_id": "$RSA2048_ID",
   "aliases": ["alias/rsa2048-key"], "private_key_file": "$K/alice.pem"},
  {"key_spec": "ECC_NIST_P256", "key_usage": "SIGN_VERIFY", "aliases": ["alias/p256-key"],
   "private_key_file": "$K/p256.pem"},
  {"key_spec": "RSA_2048", "key_usage": "SIGN_VERIFY", "aliases": ["alias/rsa-sign-key"],
   "private_key_file": "$K/bob.pem"},
  {"key_spec": "SYMMETRIC_DEFAULT", "aliases": ["alias/symmetric-key"]},
  {"key_spec": "RSA_3072", "key_usage": "ENCRYPT_DECRYPT", "aliases": ["alias/disabled-key"],
   "private_key_file": "$K/carol.pem", "enabled": false},
  {"key_spec": "ECC_NIST_P521", "key_usage": "SIGN_VERIFY", "key_id": "$REG_SIGN_ID",
   "region": "eu-west-3", "private_key_file": "$K/other-signer.pem"},
  {"key_spec": "RSA_3072", "key_usage": "ENCRYPT_DECRYPT", "key_id": "$REG_ENC_ID",
   "region": "eu-west-3", "private_key_file": "$K/carol.pem"}
]}
JSON

EP=$(KMS_SERVER_MAX_LIFETIME=900 "$KMSCTL" start "$STATE" --seed "$WORK/seed.json" 2>"$ERR")
if [[ ! $EP =~ ^https://127\.0\.0\.1:[0-9]+$ ]]; then
    bad "KMS test server starts"
    exit 1
fi
PORT=${EP##*:}
CA=$STATE/ca.pem

# as PRINCIPAL [VAR=VALUE...] -- CMD...: CMD with only this principal's
# credentials and the test endpoint; rc, $OUT and $ERR hold the outcome.
# PRINCIPAL "none" passes no credentials at all.
as() {
    local who=$1 env=(PATH="$PATH" HOME="$HOME" AWS_CONFIG_FILE=/dev/null
        AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
        AWS_REGION=us-east-1 AWS_CA_BUNDLE="$CA" AWS_ENDPOINT_URL_KMS="$EP")
    shift
    if [[ $who != none ]]; then
        env+=(AWS_ACCESS_KEY_ID="${AK[$who]}" AWS_SECRET_ACCESS_KEY="${SK[$who]}")
        [[ $who == session ]] && env+=(AWS_SESSION_TOKEN="$TOKEN")
    fi
    while [[ $1 != -- ]]; do
        env+=("$1")
        shift
    done
    shift
    env -i "${env[@]}" "$@" >"$OUT" 2>"$ERR"
    rc=$?
}
# No credentials, no endpoint, nothing of AWS: a partner without AWS access.
offline() {
    env -i PATH="$PATH" HOME="$HOME" "$@" >"$OUT" 2>"$ERR"
    rc=$?
}

ctl() { "$KMSCTL" control "$STATE" "$@"; }
reset_stats() { ctl POST reset-stats >/dev/null; }
# The KMS calls since the last reset: "Op=N ..." sorted, then the total and
# the TLS handshakes, e.g. "Encrypt=1 Sign=1 total=2 tls=1".
calls() {
    ctl GET stats | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
ops = " ".join("%s=%d" % kv for kv in sorted(d["requests"].items()))
print("%s total=%d tls=%d" % (ops, d["requests_total"], d["tls_handshakes"]))'
}
denied_calls() {
    ctl GET stats | "$PY" -c '
import json, sys
print(json.load(sys.stdin)["errors"].get("AccessDeniedException", 0))'
}
# The last KMS request's FIELD, from the server's request log.
last_request() {
    ctl GET requests | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
r = r["requests"] if isinstance(r, dict) else r
print(r[-1][sys.argv[1]])' "$1"
}

# An exact stderr line: rc, the whole message, no output left behind, and
# no secret of any principal in what was printed.
no_secret() {
    local s
    for s in "${SK[@]}" "$TOKEN"; do
        if grep -qF -- "$s" "$ERR" "$OUT"; then
            echo "a secret reached the output" >>"$ERR"
            return 1
        fi
    done
}
# failed_with DESC RC LINE [PATH...]: exit status RC, stderr exactly LINE,
# and none of PATH exists.
failed_with() {
    local desc=$1 want_rc=$2 line=$3 p
    shift 3
    for p in "$@"; do
        if [[ -e $p ]]; then
            echo "left behind: $p" >>"$ERR"
            bad "$desc"
            return
        fi
    done
    if [[ $rc -eq $want_rc ]] && [[ "$(cat "$ERR")" == "$line" ]] && no_secret; then
        ok "$desc"
    else
        echo "(exit $rc, want $want_rc; want stderr: $line)" >>"$ERR"
        bad "$desc"
    fi
}
# failed_like DESC RC REGEX [PATH...]: the same, stderr one line matching the
# extended REGEX whole, for the parts that depend on the machine.
failed_like() {
    local desc=$1 want_rc=$2 re=$3 p
    shift 3
    for p in "$@"; do
        if [[ -e $p ]]; then
            echo "left behind: $p" >>"$ERR"
            bad "$desc"
            return
        fi
    done
    if [[ $rc -eq $want_rc ]] && [[ $(wc -l <"$ERR") -eq 1 ]] && grep -Eqx -- "$re" "$ERR" &&
        no_secret; then
        ok "$desc"
    else
        echo "(exit $rc, want $want_rc; want stderr matching: $re)" >>"$ERR"
        bad "$desc"
    fi
}
succeeded() {
    if [[ $rc -eq 0 ]] && no_secret; then ok "$1"; else bad "$1"; fi
}

# ------------------------------------------------------------ the driver

DRIVER=$WORK/driver
# DRIVER_CFLAGS: e.g. the sanitizer flags the library was built with.
# shellcheck disable=SC2086
if ! cc -std=c11 -D_GNU_SOURCE -O2 ${DRIVER_CFLAGS:-} -I"$TOP/include" -o "$DRIVER" \
    "$TOP/tests/kms/driver.c" "$LIB" -Wl,-rpath,"$B" -lpthread 2>"$ERR"; then
    bad "tests/kms/driver.c builds against $LIB"
fi

cd "$WORK/w" || exit 1
printf 'The tutorial'"'"'s message, sealed through KMS.\n' >message.txt
cp "$TOP/tests/kms-server/message.json" message.json

# ---------------------------------------- local keys never pay for KMS

if readelf -d "$LIB" | grep -q 'NEEDED.*libcurl' || ldd "$LIB" | grep -q libcurl; then
    bad "libenvelope.so.1 does not link libcurl (ldd, readelf -d)"
else
    ok "libenvelope.so.1 does not link libcurl (ldd, readelf -d)"
fi
offline env LD_DEBUG=libs "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" \
    -o local.env message.txt
check "local-key seal never loads libcurl (LD_DEBUG=libs)" \
    bash -c '[ '"$rc"' -eq 0 ] && [ -s local.env ] && grep -q "calling init: .*libcrypto" "$1" &&
        ! grep -q libcurl "$1"' _ "$ERR"
offline env LD_DEBUG=libs "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" \
    -o local.txt local.env
check "local-key open never loads libcurl (LD_DEBUG=libs)" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s local.txt message.txt && ! grep -q libcurl "$1"' _ "$ERR"
mkdir d-local
offline "$DRIVER" seal-open 3 "$K/signer.pem" "$K/alice.pub" "$K/alice.pem" "$K/signer.pub" d-local
check "3 local seals and opens in one process: libcurl not in /proc/self/maps" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -qx "libcurl mapped: no" "$1"' _ "$OUT"
as receiver-plus env LD_DEBUG=libs -- "$E" pubkey "awskms:///$SIGN_ALIAS"
check "a KMS key loads libcurl.so.4 at its first call (LD_DEBUG=libs)" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -q "calling init: .*/libcurl.so.4" "$1"' _ "$ERR"
CURL_SO=$(readlink -f "$(ldconfig -p | awk '/libcurl.so.4 .*x86-64/ {print $NF; exit}')")
if [[ -n $CURL_SO ]] && unshare -m true 2>/dev/null; then
    as receiver-plus -- unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' _ \
        "$CURL_SO" "$E" pubkey -o nocurl.pem "awskms:///$SIGN_ALIAS"
    failed_like "without libcurl: exit 3, UNSUPPORTED naming libcurl4, no output" 3 \
        "envelope: public key: not supported \(KMS GetPublicKey $SIGN_ALIAS: KMS keys need libcurl, which could not be loaded \(/[a-z0-9_/-]+/libcurl\.so\.4[.0-9]*: file too short\): install the libcurl4 package\)" \
        nocurl.pem
else
    echo "skip without libcurl (needs unshare -m; tests/unit/test_kms_nocurl.c covers it)"
fi

# -------------------------------------- the tutorial, least privilege

reset_stats
as sender -- "$E" seal --sign-key "awskms:///$SIGN_ALIAS" --to "awskms:///$ENC_ALIAS" \
    -o message.env message.json
succeeded "sender (kms:Sign, kms:Encrypt only) seals with the tutorial's aliases"
SEAL_LP=$(calls)
check "  seal made 2 calls, Encrypt and Sign, over 1 TLS connection ($SEAL_LP)" \
    test "$SEAL_LP" = "Encrypt=1 Sign=1 total=2 tls=1"
offline "$E" inspect message.env
check "  the stanza is labelled with the key ARN from Encrypt, never the alias" \
    grep -qx "  1: RSA-4096 $ENC_ARN" "$OUT"
reset_stats
as receiver -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" \
    --verify-key "awskms:///$SIGN_ALIAS" -o received.json message.env
check "receiver (kms:Decrypt, kms:Verify only) opens it" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s received.json message.json'
OPEN_LP=$(calls)
check "  open made 2 calls, Decrypt and Verify, over 1 TLS connection ($OPEN_LP)" \
    test "$OPEN_LP" = "Decrypt=1 Verify=1 total=2 tls=1"
check "  the verifying key is named by the ARN from Verify" \
    grep -q "signed by $SIGN_ARN on " "$ERR"
as sender -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --verify-key "awskms:///$SIGN_ALIAS" \
    -o stolen.json message.env
failed_with "the sender cannot open: exit 3 with KMS's reason, nothing written" 3 \
    "envelope: message.env: KMS access denied (KMS Decrypt $ENC_ALIAS: AccessDeniedException: User: arn:aws:iam::$ACCOUNT:user/sender is not authorized to perform: kms:Decrypt on resource: $ENC_ARN because no identity-based policy allows the kms:Decrypt action)" \
    stolen.json
as receiver -- "$E" seal --sign-key "awskms:///$SIGN_ALIAS" --to "$K/dave.pub" \
    -o forged.env message.json
failed_with "the receiver cannot sign: exit 3 with KMS's reason, nothing written" 3 \
    "envelope: message.json: KMS access denied (signing the manifest: KMS Sign $SIGN_ALIAS: AccessDeniedException: User: arn:aws:iam::$ACCOUNT:user/receiver is not authorized to perform: kms:Sign on resource: $SIGN_ARN because no identity-based policy allows the kms:Sign action)" \
    forged.env
as receiver -- "$E" seal --sign-key "$K/signer.pem" --to "awskms:///$ENC_ALIAS" \
    -o forged.env message.json
failed_with "the receiver cannot encrypt to the KMS key either: exit 3" 3 \
    "envelope: message.json: KMS access denied (recipient 1: KMS Encrypt $ENC_ALIAS: AccessDeniedException: User: arn:aws:iam::$ACCOUNT:user/receiver is not authorized to perform: kms:Encrypt on resource: $ENC_ARN because no identity-based policy allows the kms:Encrypt action)" \
    forged.env
as receiver -- "$E" pubkey -o sign.pub "awskms:///$SIGN_ALIAS"
failed_with "the receiver may not GetPublicKey: pubkey exits 3, nothing written" 3 \
    "envelope: public key: KMS access denied (KMS GetPublicKey $SIGN_ALIAS: AccessDeniedException: User: arn:aws:iam::$ACCOUNT:user/receiver is not authorized to perform: kms:GetPublicKey on resource: $SIGN_ARN because no identity-based policy allows the kms:GetPublicKey action)" \
    sign.pub

# What KMS signed is what the AWS CLI and openssl verify.
as receiver -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --verify-key "awskms:///$SIGN_ALIAS" \
    --extract extracted message.env
check "open --extract leaves message.json, manifest.json, manifest.sig" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s extracted/message.json message.json &&
        [ -s extracted/manifest.json ] && [ -s extracted/manifest.sig ]'
as receiver -- "$AWS" --endpoint-url "$EP" --ca-bundle "$CA" kms verify \
    --key-id "$SIGN_ALIAS" --message-type RAW --signing-algorithm ECDSA_SHA_512 \
    --message fileb://extracted/manifest.json --signature fileb://extracted/manifest.sig \
    --query SignatureValid --output text
check "aws kms verify accepts the manifest.sig made through KMS" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -qx True "$1"' _ "$OUT"
as receiver-plus -- "$E" pubkey -o sign.pub "awskms:///$SIGN_ALIAS"
check "envelope pubkey exports the KMS key's public key (GetPublicKey allowed)" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s sign.pub "$1/signer.pub" &&
        grep -qx "sha256:[0-9a-f]\{64\}" "$2"' _ "$K" "$ERR"
offline openssl dgst -sha512 -verify sign.pub -signature extracted/manifest.sig \
    extracted/manifest.json
check "offline: plain openssl verifies the KMS signature with the exported key" \
    grep -qx "Verified OK" "$OUT"
check "offline: the message's SHA-512 is the one in the signed manifest" \
    grep -q "\"sha512\":\"$(sha512sum message.json | cut -c1-128)\"" extracted/manifest.json

# ------------------------------------------------ GetPublicKey allowed

reset_stats
as sender-plus -- "$E" seal --sign-key "awskms:///$SIGN_ALIAS" --to "awskms:///$ENC_ALIAS" \
    -o plus.env message.json
SEAL_PLUS=$(calls)
check "seal with GetPublicKey allowed: still 2 calls, the least a seal can make ($SEAL_PLUS)" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = "Encrypt=1 Sign=1 total=2 tls=1" ]' _ "$SEAL_PLUS"
reset_stats
as receiver-plus -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" \
    --verify-key "awskms:///$SIGN_ALIAS" -o plus.json plus.env
OPEN_PLUS=$(calls)
check "open with GetPublicKey allowed: still 2 calls ($OPEN_PLUS)" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s plus.json message.json &&
        [ "$1" = "Decrypt=1 Verify=1 total=2 tls=1" ]' _ "$OPEN_PLUS"
# A long-lived caller: 3 envelopes with the same loaded keys.
drive3() { # PRINCIPAL seal|open DIR
    local who=$1 what=$2 dir=$3
    reset_stats
    if [[ $what == seal ]]; then
        as "$who" -- "$DRIVER" seal 3 "awskms:///$SIGN_ALIAS" "awskms:///$ENC_ALIAS" "$dir"
    else
        as "$who" -- "$DRIVER" open 3 "awskms:///$ENC_ALIAS" "awskms:///$SIGN_ALIAS" "$dir"
    fi
}
mkdir d-lp d-plus
drive3 sender seal d-lp
SEAL3_LP=$(calls)
check "3 seals in one process, least privilege: Encrypt and Sign each time, GetPublicKey tried once and refused ($SEAL3_LP)" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = "Encrypt=3 GetPublicKey=1 Sign=3 total=7 tls=1" ] &&
        [ "$2" = 1 ]' _ "$SEAL3_LP" "$(denied_calls)"
drive3 sender-plus seal d-plus
SEAL3_PLUS=$(calls)
check "3 seals in one process, GetPublicKey allowed: wraps go local after the 2nd ($SEAL3_PLUS)" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = "Encrypt=1 GetPublicKey=1 Sign=3 total=5 tls=1" ]' \
    _ "$SEAL3_PLUS"
offline "$E" inspect d-plus/3.env
check "  a locally wrapped stanza is labelled with the fingerprint and the ARN" \
    grep -qx "  1: RSA-4096 sha256:[0-9a-f]\{64\} $ENC_ARN" "$OUT"
drive3 receiver open d-lp
OPEN3_LP=$(calls)
check "3 opens in one process, least privilege ($OPEN3_LP)" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = "Decrypt=3 GetPublicKey=1 Verify=3 total=7 tls=1" ]' \
    _ "$OPEN3_LP"
drive3 receiver-plus open d-plus
OPEN3_PLUS=$(calls)
check "3 opens in one process, GetPublicKey allowed: verifies go local after the 2nd ($OPEN3_PLUS)" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = "Decrypt=3 GetPublicKey=1 Verify=1 total=5 tls=1" ]' \
    _ "$OPEN3_PLUS"
as admin -- "$DRIVER" threads 4 3 "awskms:///$SIGN_ALIAS" "awskms:///$ENC_ALIAS" \
    "awskms:///$ENC_ALIAS" "awskms:///$SIGN_ALIAS"
check "4 threads share the KMS key objects, each with its own context (12 seals and opens)" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -qx "libcurl mapped: yes" "$1"' _ "$OUT"

# ------------------------------------------- every mix of local and KMS

# A partner with no AWS access seals to the public key exported from KMS.
as receiver-plus -- "$E" pubkey -o enc.pub "awskms:///$ENC_ALIAS"
check "the encryption key's public key, exported from KMS, is dave.pub" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s enc.pub "$1/dave.pub"' _ "$K"
offline env LD_DEBUG=libs "$E" seal --sign-key "$K/signer.pem" --to enc.pub -o partner.env \
    message.json
check "a partner with no AWS access seals to the exported key (no libcurl)" \
    bash -c '[ '"$rc"' -eq 0 ] && ! grep -q libcurl "$1"' _ "$ERR"
as receiver -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --verify-key "$K/signer.pub" \
    -o partner.json partner.env
check "  the receiver opens it with --decrypt-key awskms:///$ENC_ALIAS" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s partner.json message.json'
# Sign, encrypt, decrypt, verify: each local or in KMS (16 combinations).
n_mix=0
bad_mix=""
for s in local kms; do for w in local kms; do for u in local kms; do for v in local kms; do
    sign=$K/signer.pem to=enc.pub dec=$K/dave.pem ver=$K/signer.pub
    [[ $s == kms ]] && sign=awskms:///$SIGN_ALIAS
    [[ $w == kms ]] && to=awskms:///$ENC_ALIAS
    [[ $u == kms ]] && dec=awskms:///$ENC_ALIAS
    [[ $v == kms ]] && ver=awskms:///$SIGN_ALIAS
    tag=sign-$s.wrap-$w.unwrap-$u.verify-$v
    as sender -- "$E" seal --sign-key "$sign" --to "$to" -o "$tag.env" message.json
    r1=$rc
    as receiver -- "$E" open --decrypt-key "$dec" --verify-key "$ver" -o "$tag.json" "$tag.env"
    if [[ $r1 -eq 0 && $rc -eq 0 ]] && cmp -s "$tag.json" message.json; then
        n_mix=$((n_mix + 1))
    else
        bad_mix="$bad_mix $tag"
    fi
done; done; done; done
echo "failed combinations:$bad_mix" >"$ERR"
check "every mix of local and KMS keys for sign, wrap, unwrap, verify ($n_mix of 16)" \
    test "$n_mix" -eq 16

# The compat format through KMS, opened by the tutorial's own commands.
as sender -- "$E" seal --format compat --sign-key "awskms:///$SIGN_ALIAS" \
    --to "awskms:///$ENC_ALIAS" -o compat.enc message.json
succeeded "compat seal through KMS (Sign over the message, Encrypt of the archive)"
mkdir tutorial
as receiver -- "$AWS" --endpoint-url "$EP" --ca-bundle "$CA" kms decrypt --key-id "$ENC_ALIAS" \
    --encryption-algorithm RSAES_OAEP_SHA_256 --ciphertext-blob fileb://compat.enc \
    --output text --query Plaintext
base64 -d "$OUT" >tutorial/message.tar.gz 2>/dev/null
tar -C tutorial -xzf tutorial/message.tar.gz 2>/dev/null
as receiver -- "$AWS" --endpoint-url "$EP" --ca-bundle "$CA" kms verify --key-id "$SIGN_ALIAS" \
    --message-type RAW --signing-algorithm ECDSA_SHA_512 --message fileb://tutorial/message.json \
    --signature fileb://tutorial/message.sig --query SignatureValid --output text
check "  the tutorial's aws kms decrypt, tar and aws kms verify open it" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -qx True "$1" && cmp -s tutorial/message.json message.json' \
    _ "$OUT"
as receiver -- "$E" open --allow-compat --decrypt-key "awskms:///$ENC_ALIAS" \
    --verify-key "awskms:///$SIGN_ALIAS" -o compat.json compat.enc
check "  and envelope open --allow-compat with the KMS keys" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s compat.json message.json'

: >empty
as sender -- "$E" seal --format compat --sign-key "awskms:///$SIGN_ALIAS" \
    --to "awskms:///$ENC_ALIAS" -o empty.enc empty
r1=$rc
as receiver -- "$E" open --allow-compat --decrypt-key "awskms:///$ENC_ALIAS" \
    --verify-key "awskms:///$SIGN_ALIAS" -o empty.out empty.enc
check "an empty compat message: KMS Sign and Verify take its SHA-512 as a DIGEST" \
    bash -c '[ '"$r1"' -eq 0 ] && [ '"$rc"' -eq 0 ] && [ -e empty.out ] && [ ! -s empty.out ]'

# Two recipients, one local and one in KMS: by alias the receiver cannot tell
# which stanza is its own and tries both; by key ARN it picks its own.
as sender -- "$E" seal --sign-key "awskms:///$SIGN_ALIAS" --to "$K/alice.pub" \
    --to "awskms:///$ENC_ALIAS" -o two.env message.json
reset_stats
as receiver -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --verify-key "$K/signer.pub" \
    -o two-a.json two.env
TWO_A=$(calls)
check "two recipients, KMS key by alias: the other stanza is tried first ($TWO_A)" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s two-a.json message.json &&
        [ "$1" = "Decrypt=2 total=2 tls=1" ]' _ "$TWO_A"
reset_stats
as receiver -- "$E" open --decrypt-key "awskms:///$ENC_ARN" --verify-key "$K/signer.pub" \
    -o two-b.json two.env
TWO_B=$(calls)
check "two recipients, KMS key by ARN: its labelled stanza, 1 Decrypt ($TWO_B)" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s two-b.json message.json &&
        [ "$1" = "Decrypt=1 total=1 tls=1" ]' _ "$TWO_B"

# ------------------------------------- credentials, regions, endpoints

as session -- "$E" seal --sign-key "awskms:///$SIGN_ALIAS" --to "awskms:///$ENC_ALIAS" \
    -o session.env message.json
check "session credentials: X-Amz-Security-Token sent and signed" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = \
        "content-type;host;x-amz-date;x-amz-security-token;x-amz-target" ] &&
        [ "$2" = session ]' _ "$(last_request signed_headers)" "$(last_request principal)"
as session -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --verify-key "awskms:///$SIGN_ALIAS" \
    -o session.json session.env
check "session credentials: open" bash -c '[ '"$rc"' -eq 0 ] && cmp -s session.json message.json'
as session AWS_SESSION_TOKEN="${TOKEN%T}X" -- "$E" seal --sign-key "$K/signer.pem" \
    --to "awskms:///$ENC_ALIAS" -o badtoken.env message.json
failed_with "a wrong session token: exit 3, the authentication failure named, token not shown" 3 \
    "envelope: message.json: KMS rejected the credentials (recipient 1: KMS Encrypt $ENC_ALIAS: credentials from the environment (access key ${AK[session]}) not accepted: UnrecognizedClientException: The security token included in the request is invalid.)" \
    badtoken.env
as none AWS_ACCESS_KEY_ID="${AK[session]}" AWS_SECRET_ACCESS_KEY="${SK[session]}" -- \
    "$E" seal --sign-key "$K/signer.pem" --to "awskms:///$ENC_ALIAS" -o notoken.env message.json
failed_with "session credentials without their token: exit 3" 3 \
    "envelope: message.json: KMS rejected the credentials (recipient 1: KMS Encrypt $ENC_ALIAS: credentials from the environment (access key ${AK[session]}) not accepted: UnrecognizedClientException: The security token included in the request is invalid.)" \
    notoken.env
as sender AWS_SECRET_ACCESS_KEY=kms-test/sender/SECRET/wrong -- "$E" seal \
    --sign-key "awskms:///$SIGN_ALIAS" --to "$K/dave.pub" -o wrongsecret.env message.json
failed_with "a wrong secret: exit 3, the authentication failure named" 3 \
    "envelope: message.json: KMS rejected the credentials (signing the manifest: KMS Sign $SIGN_ALIAS: credentials from the environment (access key ${AK[sender]}) not accepted: InvalidSignatureException: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.)" \
    wrongsecret.env
check "  the secret in use is not shown either" bash -c '! grep -q "SECRET/wrong" "$1"' _ "$ERR"
as none AWS_ACCESS_KEY_ID=AKIAUNKNOWN000000001 AWS_SECRET_ACCESS_KEY=x/y/z -- "$E" seal \
    --sign-key "awskms:///$SIGN_ALIAS" --to "$K/dave.pub" -o unknown.env message.json
failed_with "an unknown access key: exit 3" 3 \
    "envelope: message.json: KMS rejected the credentials (signing the manifest: KMS Sign $SIGN_ALIAS: credentials from the environment (access key AKIAUNKNOWN000000001) not accepted: UnrecognizedClientException: The security token included in the request is invalid.)" \
    unknown.env
as none -- "$E" seal --sign-key "awskms:///$SIGN_ALIAS" --to "$K/dave.pub" -o nocreds.env \
    message.json
failed_with "no credentials: exit 3" 3 \
    "envelope: message.json: no usable AWS credentials (signing the manifest: KMS Sign $SIGN_ALIAS: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials))" \
    nocreds.env

REG_SIGN_ARN=$(arn $REG_SIGN_ID eu-west-3)
REG_ENC_ARN=$(arn $REG_ENC_ID eu-west-3)
as admin -- "$E" seal --sign-key "awskms:///$REG_SIGN_ARN" --to "awskms:///$REG_ENC_ARN" \
    -o region.env message.json
check "region from the key ARN (eu-west-3) over AWS_REGION=us-east-1" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = eu-west-3 ]' _ "$(last_request region)"
as admin -- "$E" open --decrypt-key "awskms:///$REG_ENC_ARN" --verify-key "awskms:///$REG_SIGN_ARN" \
    -o region.json region.env
check "  and open with the same ARNs" bash -c '[ '"$rc"' -eq 0 ] && cmp -s region.json message.json'
as admin -- "$E" open --decrypt-key "awskms:///$REG_ENC_ID" --verify-key "$K/other-signer.pub" \
    -o region-id.json region.env
failed_with "the same key by its bare id is looked up in AWS_REGION: not found, exit 3" 3 \
    "envelope: region.env: KMS key not found (KMS Decrypt $REG_ENC_ID: NotFoundException: Key '$(arn $REG_ENC_ID)' does not exist)" \
    region-id.json
as admin AWS_REGION= -- "$E" seal --sign-key "$K/signer.pem" --to "awskms:///$ENC_ALIAS" \
    -o noregion.env message.json
failed_with "no region and no ARN: exit 3 at load, before any call" 3 \
    "envelope: --to awskms:///$ENC_ALIAS: malformed key reference (no AWS region for $ENC_ALIAS: set AWS_REGION (or AWS_DEFAULT_REGION), or name the key by its ARN)" \
    noregion.env

as sender AWS_ENDPOINT_URL_KMS= -- "$E" seal --sign-key "awskms://127.0.0.1:$PORT/$SIGN_ALIAS" \
    --to "awskms://localhost:$PORT/$ENC_ALIAS" -o hostref.env message.json
check "endpoint from the reference (awskms://127.0.0.1:PORT/, awskms://localhost:PORT/), HTTPS" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = True ]' _ "$(last_request tls)"
as sender AWS_ENDPOINT_URL_KMS= AWS_ENDPOINT_URL="$EP" -- "$E" seal \
    --sign-key "awskms:///$SIGN_ALIAS" --to "awskms:///$ENC_ALIAS" -o generic.env message.json
succeeded "endpoint from AWS_ENDPOINT_URL when AWS_ENDPOINT_URL_KMS is unset"
HEP=$(KMS_SERVER_MAX_LIFETIME=600 "$KMSCTL" start "$HSTATE" --http --seed "$WORK/seed.json" 2>"$ERR")
HPORT=${HEP##*:}
as sender AWS_ENDPOINT_URL_KMS="$HEP" -- "$E" seal --sign-key "awskms:///$SIGN_ALIAS" \
    --to "awskms://127.0.0.1:$HPORT/$ENC_ALIAS" -o http.env message.json
check "plain http:// only where the user named it (AWS_ENDPOINT_URL_KMS=$HEP)" \
    bash -c '[ '"$rc"' -eq 0 ] && [ -s http.env ]'
as sender -- "$E" seal --sign-key "$K/signer.pem" --to "awskms://127.0.0.1:$HPORT/$ENC_ALIAS" \
    -o http2.env message.json
failed_with "a reference's host is reached over HTTPS unless http:// was named: TLS error" 3 \
    "envelope: message.json: TLS error (recipient 1: KMS Encrypt $ENC_ALIAS: https://127.0.0.1:$HPORT/: SSL connect error: OpenSSL/3.0.19: error:0A00010B:SSL routines::wrong version number)" \
    http2.env
"$KMSCTL" stop "$HSTATE" >/dev/null 2>&1
as sender AWS_ENDPOINT_URL_KMS="$HEP" -- "$E" seal --sign-key "$K/signer.pem" \
    --to "awskms:///$ENC_ALIAS" -o down.env message.json
failed_with "a server that is not there: network error, exit 3" 3 \
    "envelope: message.json: network error (recipient 1: KMS Encrypt $ENC_ALIAS: $HEP/: Couldn't connect to server: Failed to connect to 127.0.0.1 port $HPORT after 0 ms: Couldn't connect to server)" \
    down.env
as sender AWS_CA_BUNDLE= -- "$E" seal --sign-key "$K/signer.pem" --to "awskms:///$ENC_ALIAS" \
    -o noca.env message.json
failed_with "TLS always verified: the test CA is not trusted without AWS_CA_BUNDLE" 3 \
    "envelope: message.json: TLS error (recipient 1: KMS Encrypt $ENC_ALIAS: $EP/: SSL peer certificate or SSH remote key was not OK: SSL certificate problem: self-signed certificate in certificate chain (AWS_CA_BUNDLE names the CA file to trust instead of the system's))" \
    noca.env
as sender AWS_CA_BUNDLE="$K/../kms-server/message.json" -- "$E" seal --sign-key "$K/signer.pem" \
    --to "awskms:///$ENC_ALIAS" -o badca.env message.json
check "AWS_CA_BUNDLE replaces the trust store: a file with no CA in it fails (TLS error, exit 3)" \
    bash -c '[ '"$rc"' -eq 3 ] && grep -q "^envelope: message.json: TLS error (recipient 1: KMS Encrypt" "$1" &&
        [ ! -e badca.env ]' _ "$ERR"

# A peer that takes the TCP connection and never answers: the connect
# phase, TLS handshake included, gives up after 5 s.
"$PY" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
time.sleep(120)' >"$WORK/silent.port" &
SILENT_PID=$!
for _ in $(seq 1 50); do [[ -s $WORK/silent.port ]] && break; sleep 0.1; done
SPORT=$(cat "$WORK/silent.port")
start=$SECONDS
as sender -- "$E" seal --sign-key "$K/signer.pem" --to "awskms://127.0.0.1:$SPORT/$ENC_ALIAS" \
    -o silent.env message.json
took=$((SECONDS - start))
failed_like "a server that never answers: TIMEOUT after the 5 s connect timeout, exit 3" 3 \
    "envelope: message.json: timed out \(recipient 1: KMS Encrypt $ENC_ALIAS: https://127\.0\.0\.1:$SPORT/: Timeout was reached: (Connection timed out after 5[0-9]{3} milliseconds|SSL connection timeout)\)" \
    silent.env
check "  and it gave up after 5 to 7 seconds (took $took)" test "$took" -ge 4 -a "$took" -le 7
kill "$SILENT_PID" 2>/dev/null
SILENT_PID=

# ------------------------------------------------------- KMS's errors

as admin -- "$E" seal --sign-key "$K/signer.pem" --to awskms:///alias/no-such-key \
    -o nf.env message.json
failed_with "an alias that does not exist: exit 3, not found" 3 \
    "envelope: message.json: KMS key not found (recipient 1: KMS Encrypt alias/no-such-key: NotFoundException: Alias arn:aws:kms:us-east-1:$ACCOUNT:alias/no-such-key is not found.)" \
    nf.env
as admin -- "$E" seal --sign-key "$K/signer.pem" --to awskms:///alias/disabled-key \
    -o dis.env message.json
check "a disabled key: exit 3, KMS key disabled" \
    bash -c '[ '"$rc"' -eq 3 ] && grep -q "^envelope: message.json: KMS key disabled (recipient 1: KMS Encrypt alias/disabled-key: DisabledException: " "$1" &&
        [ ! -e dis.env ]' _ "$ERR"
as admin -- "$E" seal --sign-key awskms:///alias/p256-key --to "$K/dave.pub" -o p256.env message.json
check "a P-256 key to sign with: exit 3, key usage, in KMS's words" \
    bash -c '[ '"$rc"' -eq 3 ] && grep -q "^envelope: message.json: KMS key cannot be used for this operation (signing the manifest: KMS Sign alias/p256-key: InvalidKeyUsageException: " "$1" &&
        [ ! -e p256.env ]' _ "$ERR"
as admin -- "$E" seal --sign-key "$K/signer.pem" --to awskms:///alias/symmetric-key \
    -o sym.env message.json
check "a symmetric key to encrypt to: exit 3, key usage" \
    bash -c '[ '"$rc"' -eq 3 ] && grep -q "^envelope: message.json: KMS key cannot be used for this operation (recipient 1: KMS Encrypt alias/symmetric-key: InvalidKeyUsageException: " "$1" &&
        [ ! -e sym.env ]' _ "$ERR"
as admin -- "$E" pubkey -o rsasign.pub awskms:///alias/rsa-sign-key
failed_with "pubkey of an RSA signing key: exit 3, not a key envelopes use" 3 \
    "envelope: public key: KMS key cannot be used for this operation (KMS key alias/rsa-sign-key is RSA_2048/SIGN_VERIFY: envelopes need ECC_NIST_P521 SIGN_VERIFY keys to sign and RSA_2048/3072/4096 ENCRYPT_DECRYPT keys to encrypt)" \
    rsasign.pub
as admin -- "$E" open --decrypt-key awskms:///alias/rsa2048-key --verify-key "$K/signer.pub" \
    -o wrongkey.json message.env
failed_with "another KMS key to decrypt with: not addressed to it, exit 1" 1 \
    "envelope: message.env: envelope not addressed to the --decrypt-key (no recipient stanza opens with key (KMS))" \
    wrongkey.json
as admin -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --verify-key awskms:///alias/other-sign-key \
    -o untrusted.json message.env
check "another KMS key to verify with: KMS Verify says invalid, exit 1, nothing written" \
    bash -c '[ '"$rc"' -eq 1 ] && grep -q "^envelope: message.env: signature does not verify under any --verify-key" "$1" &&
        [ ! -e untrusted.json ]' _ "$ERR"
# The library's own codes, through the driver.
mkdir d-err
as receiver -- "$DRIVER" seal 1 "awskms:///$SIGN_ALIAS" "$K/dave.pub" d-err
check "library: the receiver's Sign is KMS_ACCESS_DENIED, no envelope" \
    bash -c '[ '"$rc"' -eq 1 ] && grep -q "^driver: seal: KMS_ACCESS_DENIED (signing the manifest: KMS Sign $1: AccessDeniedException: " "$2" &&
        [ ! -e d-err/1.env ]' _ "$SIGN_ALIAS" "$ERR"
as admin -- "$DRIVER" open 1 awskms:///alias/rsa2048-key "$K/signer.pub" d-lp
check "library: another KMS key's Decrypt is NOT_RECIPIENT" \
    bash -c '[ '"$rc"' -eq 1 ] && grep -qx "driver: open: NOT_RECIPIENT (no recipient stanza opens with key (KMS))" "$1"' \
    _ "$ERR"

fault() { ctl POST fault "$1" >/dev/null; }
fault_case() { # DESC JSON LINE
    fault "$2"
    as receiver -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --verify-key "$K/signer.pub" \
        -o fault.json message.env
    failed_with "$1" 3 "$3" fault.json
    ctl POST clear-faults >/dev/null
}
fault_case "throttled: exit 3, KMS throttled" '{"kind":"throttle","op":"Decrypt"}' \
    "envelope: message.env: KMS throttled the request (KMS Decrypt $ENC_ALIAS: ThrottlingException: Rate exceeded)"
fault_case "KMS internal error (500): exit 3, unavailable" '{"kind":"error500","op":"Decrypt"}' \
    "envelope: message.env: KMS unavailable (KMS Decrypt $ENC_ALIAS: KMSInternalException: An internal error occurred (injected).)"
fault_case "503: exit 3, unavailable" '{"kind":"error503","op":"Decrypt"}' \
    "envelope: message.env: KMS unavailable (KMS Decrypt $ENC_ALIAS: ServiceUnavailableException: Service Unavailable (injected).)"
fault_case "a half JSON answer: exit 3, malformed response" '{"kind":"malformed","op":"Decrypt"}' \
    "envelope: message.env: malformed KMS response (KMS Decrypt $ENC_ALIAS: the answer is not a JSON object)"
fault_case "a connection cut mid-answer: exit 3, network error" '{"kind":"disconnect","op":"Decrypt"}' \
    "envelope: message.env: network error (KMS Decrypt $ENC_ALIAS: $EP/: Transferred a partial file: transfer closed with 97 bytes remaining to read)"
fault_case "a connection closed without an answer: exit 3, network error" '{"kind":"drop","op":"Decrypt"}' \
    "envelope: message.env: network error (KMS Decrypt $ENC_ALIAS: $EP/: Server returned nothing (no headers, no data): Empty reply from server)"
fault_case "any other KMS error keeps its type and message" \
    '{"kind":"error","op":"Decrypt","type":"KMSInvalidStateException","status":400,"message":"arn is pending deletion."}' \
    "envelope: message.env: KMS key disabled (KMS Decrypt $ENC_ALIAS: KMSInvalidStateException: arn is pending deletion.)"

finished=1
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
