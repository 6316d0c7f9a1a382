#!/bin/bash
# awskms:// keys end to end, against the KMS test server (tests/kms-server):
# the tutorial under its least-privilege policies, then with GetPublicKey
# allowed (request counts from the server's counters), the AWS CLI and plain
# openssl on what we signed through KMS, every mix of local and KMS keys,
# session tokens, regions, endpoints, KMS's errors, retries and timeouts
# under injected faults (throttling, 5xx, broken connections, delays), the
# retry quota drained by a storm of 500s and refilled by successes, TLS
# handshakes per seal, per open and per 20 seals, aliases moved to new keys
# as in a rotation, every credential source in turn (environment, shared
# credentials and config files, credential_process with its runs counted,
# container credentials and IMDSv2 from tests/kms/metadata_server.py), and
# the rule that local keys never load libcurl.
#
#   bash tests/kms/run.sh BUILD_DIR
#
# Starts its own servers (127.0.0.1, free ports) in a temporary directory
# and stops them on exit. Prints one line per check and a closing "N passed,
# M failed"; exits non-zero if any check failed. ENVELOPE_CLI overrides the
# command under test (default BUILD_DIR/envelope). About 100 s.
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
MD_PID=
cleanup() {
    local rc=$?
    [[ -n $SILENT_PID ]] && kill "$SILENT_PID" 2>/dev/null
    [[ -n $MD_PID ]] && kill "$MD_PID" 2>/dev/null
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
. "$TOP/tests/kms/checks.sh"

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
# The FIELD of the last KMS request, from the server's request log. Every
# request is logged when it arrives and a reset ends any call still sleeping
# on a delay fault, so once the command under test has exited, the request
# with the highest seq is its last; one still unanswered is a failure.
last_request() {
    ctl GET requests | "$PY" -c '
import json, sys
log = json.load(sys.stdin)["requests"]
pending = [r for r in log if r["status"] is None]
if not log or pending:
    sys.exit("request log: %d requests, %d unanswered: %r" % (len(log), len(pending), log[-3:]))
print(max(log, key=lambda r: r["seq"])[sys.argv[1]])' "$1"
}
# wait_file FILE WHAT: wait, 60 s at most, for a server to write FILE.
wait_file() {
    local i
    for i in $(seq 1 600); do
        [[ -s $1 ]] && return 0
        sleep 0.1
    done
    echo "FAIL waited 60 s for $2 ($1)"
    return 1
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
# and none of PATH exists. curl's "after N ms" in a failed connection is a
# measured time, so it is compared as a number of any value.
untimed() { sed -E 's/ after [0-9]+ ms:/ after N ms:/g'; }
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
    if [[ $rc -eq $want_rc ]] && [[ "$(untimed <"$ERR")" == "$(printf '%s' "$line" | untimed)" ]] &&
        no_secret; then
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

# grep reads all (no -q): under pipefail an early exit could SIGPIPE readelf.
if readelf -d "$LIB" | grep 'NEEDED.*libcurl' >/dev/null || ldd "$LIB" | grep libcurl >/dev/null; then
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
        grep -qx "sha256:[0-9a-f]\{64\} ([0-9a-f-]\{19\})" "$2"' _ "$K" "$ERR"
offline openssl dgst -sha512 -verify sign.pub -signature extracted/manifest.sig \
    extracted/manifest.json
check "offline: plain openssl verifies the KMS signature with the exported key" \
    grep -qx "Verified OK" "$OUT"
check "offline: the message's SHA-512 is the one in the signed manifest" \
    grep -q "\"sha512\":\"$(sha512sum message.json | cut -c1-128)\"" extracted/manifest.json
# The sender could not fetch the public key: the manifest names the
# recipient by its ARN alone, which verify --recipient matches.
reset_stats
as receiver -- "$E" verify --verify-key "$K/signer.pub" --recipient "awskms:///$ENC_ARN" extracted
VERIFY_ARN=$(calls)
check "verify --recipient awskms:///ARN, no GetPublicKey: matched by the ARN, no call ($VERIFY_ARN)" \
    bash -c '[ '"$rc"' -eq 0 ] && [[ $1 == *"total=0 tls=0" ]]' _ "$VERIFY_ARN"
as receiver-plus -- "$E" verify --verify-key "$K/signer.pub" --recipient "awskms:///$ENC_ALIAS" \
    extracted
check "verify --recipient awskms:///ALIAS: matched by the ARN GetPublicKey revealed" \
    test "$rc" -eq 0
# The same key as a local public key has only its fingerprint to offer.
offline "$E" verify --verify-key "$K/signer.pub" --recipient "$K/dave.pub" extracted
failed_like "verify --recipient dave.pub, the same key without its ARN: exit 1, not among them" 1 \
    "envelope: --recipient $K/dave.pub: sha256:[0-9a-f]{64} is not among the manifest's recipients"

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
    grep -qx "  1: RSA-4096 sha256:[0-9a-f]\{64\} ([0-9a-f-]\{19\}) $ENC_ARN" "$OUT"
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
check "4 threads read each key's ARN after each use: one string, the key ARN" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -qx "arns: $2 $3 $3 $2" "$1"' _ "$OUT" "$SIGN_ARN" "$ENC_ARN"
# A sender with Sign and Encrypt only learns the ARNs from those answers.
as sender -- "$DRIVER" arn "awskms:///$SIGN_ALIAS" "awskms:///$ENC_ALIAS"
check "envelope_key_arn: NULL for an alias until its first use, then the key ARN" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -qx "before: sign (none), to (none)" "$1" &&
        grep -qx "after: sign $2, to $3" "$1"' _ "$OUT" "$SIGN_ARN" "$ENC_ARN"
as sender -- "$DRIVER" arn "awskms:///$SIGN_ARN" "$K/dave.pub"
check "envelope_key_arn: a key ARN reference is known at once; a local key has none" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -qx "before: sign $2, to (none)" "$1" &&
        grep -qx "after: sign $2, to (none)" "$1"' _ "$OUT" "$SIGN_ARN"

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
reset_stats
as sender -- "$E" seal --format compat --sign-key "awskms:///$SIGN_ALIAS" \
    --to "awskms:///$ENC_ALIAS" -o compat.enc message.json
succeeded "compat seal through KMS (Sign over the message, Encrypt of the archive)"
COMPAT_CALLS=$(calls)
check "  under the sender's policy: Encrypt and Sign only ($COMPAT_CALLS)" \
    test "$COMPAT_CALLS" = "Encrypt=1 Sign=1 total=2 tls=1"
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

# A KMS recipient's size is unknown until KMS answers for it: the message is
# bounded by RSA-4096's 446 bytes before a byte is read or a call is made.
head -c 5000 /dev/zero | tr '\0' 'x' >big5000.txt
TOO_BIG="message too large for the compat format (the message takes 5000 bytes; a compat archive holds at most 446, with an RSA-4096 recipient: use the default format, which has no size limit)"
reset_stats
as sender -- "$E" seal --format compat --sign-key "awskms:///$SIGN_ALIAS" \
    --to "awskms:///$ENC_ALIAS" -o big.enc big5000.txt
failed_with "compat, 5,000 bytes from a file to a KMS recipient: exit 2, no output" 2 \
    "envelope: big5000.txt: $TOO_BIG" big.enc
BIG_CALLS=$(calls)
check "  refused before any KMS call ($BIG_CALLS)" test "$BIG_CALLS" = " total=0 tls=0"
as sender -- "$E" seal --format compat --sign-key "awskms:///$SIGN_ALIAS" \
    --to "awskms:///$ENC_ALIAS" -o big.enc <big5000.txt
failed_with "compat, 5,000 bytes from stdin to a KMS recipient: exit 2, no output" 2 \
    "envelope: stdin: $TOO_BIG" big.enc
# An archive within 446 bytes but over a smaller key's limit: KMS Encrypt's
# ValidationException, with the size and KMS's words naming the limit.
as admin -- "$E" seal --format compat --sign-key "awskms:///$SIGN_ALIAS" \
    --to "awskms:///alias/rsa2048-key" -o small.enc message.json
failed_like "compat to a KMS RSA-2048 key: Encrypt's ValidationException is exit 2, no output" 2 \
    "envelope: message\.json: message too large for the compat format \(the compat archive takes 3[0-9]{2} bytes, more than the recipient's RSA-OAEP-SHA-256 limit \(190, 318 or 446 bytes for RSA-2048, 3072 or 4096\): use the default format, which has no size limit: KMS Encrypt alias/rsa2048-key: ValidationException: Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes\.\)" \
    small.enc

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

# Several --decrypt-key: local keys are tried before KMS keys, and all KMS
# keys together make at most 16 Decrypt calls per envelope, what one key
# makes for the 16 stanzas an envelope may hold.
reset_stats
as receiver -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --decrypt-key "$K/alice.pem" \
    --verify-key "$K/signer.pub" -o two-c.json two.env
TWO_C=$(calls)
check "a KMS and a local --decrypt-key: the local key opens, no KMS call ($TWO_C)" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s two-c.json message.json &&
        [ "$1" = " total=0 tls=0" ]' _ "$TWO_C"
reset_stats
as receiver -- "$E" open --decrypt-key "$K/carol.pem" --decrypt-key "awskms:///$ENC_ALIAS" \
    --verify-key "$K/signer.pub" -o two-d.json two.env
TWO_D=$(calls)
check "a local key that is not a recipient, then a KMS key that is: it opens ($TWO_D)" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s two-d.json message.json &&
        [ "$1" = "Decrypt=2 total=2 tls=1" ]' _ "$TWO_D"
TO16=()
for i in $(seq 16); do
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
        openssl pkey -pubout -out "r$i.pub"
    TO16+=(--to "r$i.pub")
done
offline "$E" seal --sign-key "$K/signer.pem" --hide-recipients "${TO16[@]}" -o hidden16.env \
    message.json
check "16 hidden recipients, none of them a KMS key" \
    bash -c '[ '"$rc"' -eq 0 ] && "$1" inspect hidden16.env | grep -qx "recipients: 16"' _ "$E"
reset_stats
as admin -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --verify-key "$K/signer.pub" \
    -o h16-one.json hidden16.env
H16_ONE=$(calls)
failed_with "16 hidden stanzas, one KMS key: not addressed to it, exit 1" 1 \
    "envelope: hidden16.env: envelope not addressed to the --decrypt-key (no recipient stanza opens with key (KMS))" \
    h16-one.json
check "  one KMS key tries each stanza once: 16 Decrypt ($H16_ONE)" \
    test "$H16_ONE" = "Decrypt=16 total=16 tls=1"
reset_stats
as admin -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --decrypt-key awskms:///alias/rsa2048-key \
    --verify-key "$K/signer.pub" -o h16-two.json hidden16.env
H16_TWO=$(calls)
failed_with "16 hidden stanzas, two KMS keys: exit 1, the detail names the spent budget" 1 \
    "envelope: hidden16.env: envelope not addressed to the --decrypt-key (no recipient stanza opened before the limit of 16 KMS Decrypt calls per envelope ran out; 16 stanzas, 2 decryption keys)" \
    h16-two.json
check "  two KMS keys share the budget: 16 Decrypt, not 32 ($H16_TWO)" \
    test "$H16_TWO" = "Decrypt=16 total=16 tls=1"

# ------------------------------------------------------ a moved alias
# docs/KEY-MANAGEMENT.md, "Rotating KMS keys": a new key and the alias moved
# to it (delete and create: the test server has no UpdateAlias, and the
# library sees the same). Aliases of their own, so that the tutorial's stay.
kms_admin() { as admin -- "$AWS" --endpoint-url "$EP" --ca-bundle "$CA" kms "$@"; return "$rc"; }
OTHER_ARN=$(arn $OTHER_ID)
RSA2048_ARN=$(arn $RSA2048_ID)
kms_admin create-alias --alias-name alias/rotating-sign --target-key-id "$SIGN_ARN" &&
    kms_admin create-alias --alias-name alias/rotating-encrypt --target-key-id "$ENC_ARN" &&
    as admin -- "$E" seal --sign-key awskms:///alias/rotating-sign --to awskms:///alias/rotating-encrypt \
    -o before-move.env message.json
succeeded "rotation: sealed through the aliases, before they move"
kms_admin delete-alias --alias-name alias/rotating-sign &&
    kms_admin create-alias --alias-name alias/rotating-sign --target-key-id "$OTHER_ARN" &&
    kms_admin delete-alias --alias-name alias/rotating-encrypt &&
    kms_admin create-alias --alias-name alias/rotating-encrypt --target-key-id "$RSA2048_ARN"
succeeded "rotation: both aliases moved to new keys"
as admin -- "$E" seal --sign-key awskms:///alias/rotating-sign --to awskms:///alias/rotating-encrypt \
    -o after-move.env message.json
succeeded "rotation: sealed through the moved aliases"
offline "$E" inspect after-move.env
check "  sealed to the new key: inspect shows its ARN" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -q "RSA-2048 $1\$" "$2"' _ "$RSA2048_ARN" "$OUT"
as admin -- "$E" open --decrypt-key awskms:///alias/rotating-encrypt --verify-key "awskms:///$SIGN_ARN" \
    -o before-alias-only.json before-move.env
failed_with "  an envelope to the old key, the moved alias alone as --decrypt-key: exit 1, no output" 1 \
    "envelope: before-move.env: envelope not addressed to the --decrypt-key (no recipient stanza opens with key (KMS))" \
    before-alias-only.json
for env in before-move after-move; do
    as admin -- "$E" open --decrypt-key awskms:///alias/rotating-encrypt --decrypt-key "awskms:///$ENC_ARN" \
        --verify-key "awskms:///$SIGN_ARN" --verify-key "awskms:///$OTHER_ARN" -o "$env.json" "$env.env"
    check "  $env.env opens with the alias and the old key's ARN, both signers pinned by ARN" \
        bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" message.json' _ "$env.json"
done
as admin -- "$E" open --decrypt-key "awskms:///$ENC_ARN" --verify-key awskms:///alias/rotating-sign \
    -o before-moved-signer.json before-move.env
failed_with "  the moved alias as --verify-key no longer trusts the old signer: exit 1, no output" 1 \
    "envelope: before-move.env: signature does not verify under any --verify-key (signer unknown; 1 key tried)" \
    before-moved-signer.json
kms_admin delete-alias --alias-name alias/rotating-sign &&
    kms_admin delete-alias --alias-name alias/rotating-encrypt
succeeded "rotation: the aliases removed again"

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
    "envelope: message.json: no usable AWS credentials (signing the manifest: KMS Sign $SIGN_ALIAS: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), or AWS_PROFILE to a profile in the shared credentials or config file)" \
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
    "envelope: message.json: TLS error (recipient 1: KMS Encrypt $ENC_ALIAS: 127.0.0.1:$HPORT: TLS handshake failed: OpenSSL/3.0.19: error:0A00010B:SSL routines::wrong version number)" \
    http2.env
"$KMSCTL" stop "$HSTATE" >/dev/null 2>&1
as sender AWS_ENDPOINT_URL_KMS="$HEP" -- "$E" seal --sign-key "$K/signer.pem" \
    --to "awskms:///$ENC_ALIAS" -o down.env message.json
failed_with "a server that is not there: network error naming host:port, exit 3, after 3 attempts" 3 \
    "envelope: message.json: network error (recipient 1: KMS Encrypt $ENC_ALIAS: 127.0.0.1:$HPORT: cannot connect: Failed to connect to 127.0.0.1 port $HPORT after 0 ms: Couldn't connect to server (3 attempts))" \
    down.env
as sender AWS_CA_BUNDLE= -- "$E" seal --sign-key "$K/signer.pem" --to "awskms:///$ENC_ALIAS" \
    -o noca.env message.json
failed_with "TLS always verified: the test CA is not trusted without AWS_CA_BUNDLE" 3 \
    "envelope: message.json: TLS error (recipient 1: KMS Encrypt $ENC_ALIAS: 127.0.0.1:$PORT: TLS certificate verification failed: SSL certificate problem: self-signed certificate in certificate chain (AWS_CA_BUNDLE names the CA file to trust instead of the system's))" \
    noca.env
as sender AWS_CA_BUNDLE="$K/../kms-server/message.json" -- "$E" seal --sign-key "$K/signer.pem" \
    --to "awskms:///$ENC_ALIAS" -o badca.env message.json
check "AWS_CA_BUNDLE replaces the trust store: a file with no CA in it fails (TLS error, exit 3)" \
    bash -c '[ '"$rc"' -eq 3 ] && grep -q "^envelope: message.json: TLS error (recipient 1: KMS Encrypt" "$1" &&
        [ ! -e badca.env ]' _ "$ERR"

# A peer that takes the TCP connection and never answers: each attempt's
# connect phase (TLS handshake included) gives up after the connect timeout
# (1 s here), and the call after 3 attempts. The peer counts the connections
# it took, so the attempts are counted, not timed.
"$PY" "$TOP/tests/kms/silent_server.py" "$WORK/silent.port" 2>"$WORK/silent.log" &
SILENT_PID=$!
wait_file "$WORK/silent.port" "the silent peer's ports"
read -r SPORT SCTL <"$WORK/silent.port"
# The connections the silent peer took since the last ask.
silent_connections() { "$PY" -c '
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60) as s:
    print(s.makefile().readline().strip())' "$SCTL"; }
t0=$(date +%s%N)
as sender ENVELOPE_KMS_CONNECT_TIMEOUT_MS=1000 -- "$E" seal --sign-key "$K/signer.pem" \
    --to "awskms://127.0.0.1:$SPORT/$ENC_ALIAS" -o silent.env message.json
took=$((($(date +%s%N) - t0) / 1000000))
failed_like "a server that never answers: TIMEOUT after 3 connect timeouts of 1 s, exit 3" 3 \
    "envelope: message.json: timed out \(recipient 1: KMS Encrypt $ENC_ALIAS: 127\.0\.0\.1:$SPORT: timed out: (Connection timed out after [0-9]+ milliseconds|SSL connection timeout) \(3 attempts\) \(KMS limits: 1000 ms to connect, 30000 ms for the call\)\)" \
    silent.env
SILENT_N=$(silent_connections)
check "  3 connections, each given up after the 1 s connect timeout: at least 3 s in all (took $took ms, $SILENT_N connections)" \
    bash -c '[ "$1" = 3 ] && [ "$2" -ge 2900 ]' _ "$SILENT_N" "$took"

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

# ----------------------------------------- retries, faults and timeouts

fault() { ctl POST fault "$1" >/dev/null; }
# open_with_faults JSON... [-- VAR=VALUE...]: the receiver opens message.env
# (KMS Decrypt, local verify) after the faults are queued; the server's
# counters start from zero; $took is the open's wall time in ms.
open_with_faults() {
    local env=()
    ctl POST clear-faults >/dev/null
    reset_stats
    while [[ $# -gt 0 && $1 != -- ]]; do
        fault "$1"
        shift
    done
    [[ $# -gt 0 ]] && shift && env=("$@")
    rm -f fault.json
    local t0
    t0=$(date +%s%N)
    as receiver "${env[@]}" -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" \
        --verify-key "$K/signer.pub" -o fault.json message.env
    took=$((($(date +%s%N) - t0) / 1000000))
    FAULT_CALLS=$(calls)
    ctl POST clear-faults >/dev/null
}
opened() { # DESC EXPECTED-CALLS
    if [[ $rc -eq 0 ]] && cmp -s fault.json message.json && [[ $FAULT_CALLS == "$2" ]] &&
        no_secret; then
        ok "$1 ($FAULT_CALLS)"
    else
        echo "(exit $rc; calls $FAULT_CALLS, want $2)" >>"$ERR"
        bad "$1"
    fi
}
calls_were() { # DESC EXPECTED-CALLS: after a failed_with
    check "  $1 ($FAULT_CALLS)" test "$FAULT_CALLS" = "$2"
}

open_with_faults '{"kind":"throttle","op":"Decrypt","count":2}'
opened "throttled twice, then success: exactly 3 requests" "Decrypt=3 total=3 tls=1"
# Full jitter on a 500 ms base: the two waits add up to 1.5 s at most, far
# from the 20 s cap; the bound leaves a loaded machine its time.
check "  the two waits (full jitter, 500 ms base for throttling) took well under the 20 s cap (took $took ms)" \
    test "$took" -lt 15000
open_with_faults '{"kind":"throttle","op":"Decrypt","count":3}'
failed_with "throttled 3 times: exit 3, KMS throttled after 3 attempts" 3 \
    "envelope: message.env: KMS throttled the request (KMS Decrypt $ENC_ALIAS: ThrottlingException: Rate exceeded (3 attempts))" \
    fault.json
calls_were "3 requests, the default AWS_MAX_ATTEMPTS" "Decrypt=3 total=3 tls=1"
open_with_faults '{"kind":"throttle","op":"Decrypt","count":5}' -- AWS_MAX_ATTEMPTS=5
failed_with "AWS_MAX_ATTEMPTS=5: throttled 5 times, exit 3" 3 \
    "envelope: message.env: KMS throttled the request (KMS Decrypt $ENC_ALIAS: ThrottlingException: Rate exceeded (5 attempts))" \
    fault.json
calls_were "5 requests" "Decrypt=5 total=5 tls=1"
open_with_faults '{"kind":"throttle","op":"Decrypt"}' -- AWS_MAX_ATTEMPTS=1
failed_with "AWS_MAX_ATTEMPTS=1: no retry" 3 \
    "envelope: message.env: KMS throttled the request (KMS Decrypt $ENC_ALIAS: ThrottlingException: Rate exceeded)" \
    fault.json
calls_were "1 request" "Decrypt=1 total=1 tls=1"
open_with_faults '{"kind":"error503","op":"Decrypt"}'
opened "503 once, then success: 2 requests" "Decrypt=2 total=2 tls=1"
open_with_faults '{"kind":"error500","op":"Decrypt","count":3}'
failed_with "KMSInternalException (500) 3 times: exit 3, unavailable" 3 \
    "envelope: message.env: KMS unavailable (KMS Decrypt $ENC_ALIAS: KMSInternalException: An internal error occurred (injected). (3 attempts))" \
    fault.json
calls_were "3 requests" "Decrypt=3 total=3 tls=1"
open_with_faults '{"kind":"error","op":"Decrypt","type":"InternalFailure","status":502,"message":"bad gateway"}'
opened "HTTP 502 once, then success" "Decrypt=2 total=2 tls=1"
open_with_faults '{"kind":"disconnect","op":"Decrypt"}'
opened "a connection closed mid-answer is retried on a new connection" "Decrypt=2 total=2 tls=2"
open_with_faults '{"kind":"drop","op":"Decrypt"}'
opened "a connection closed without an answer is retried" "Decrypt=2 total=2 tls=2"
open_with_faults '{"kind":"disconnect","op":"Decrypt","count":3}'
failed_with "cut mid-answer 3 times: exit 3, network error naming the host and port" 3 \
    "envelope: message.env: network error (KMS Decrypt $ENC_ALIAS: 127.0.0.1:$PORT: connection closed in the middle of the answer: transfer closed with 97 bytes remaining to read (3 attempts))" \
    fault.json
open_with_faults '{"kind":"malformed","op":"Decrypt"}'
failed_with "a half JSON answer: exit 3, malformed response, not retried" 3 \
    "envelope: message.env: malformed KMS response (KMS Decrypt $ENC_ALIAS: the answer (HTTP 200, 97 bytes) is not one well-formed JSON object)" \
    fault.json
calls_were "1 request" "Decrypt=1 total=1 tls=1"
open_with_faults '{"kind":"error","op":"Decrypt","type":"KMSInvalidStateException","status":400,"message":"arn is pending deletion."}'
failed_with "any other KMS error keeps its type and message, not retried" 3 \
    "envelope: message.env: KMS key disabled (KMS Decrypt $ENC_ALIAS: KMSInvalidStateException: arn is pending deletion.)" \
    fault.json
calls_were "1 request" "Decrypt=1 total=1 tls=1"
ctl POST clear-faults >/dev/null
reset_stats
rm -f fault.json
as sender -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" --verify-key "$K/signer.pub" \
    -o fault.json message.env
FAULT_CALLS=$(calls)
check "AccessDenied is never retried: exactly 1 request ($FAULT_CALLS)" \
    bash -c '[ '"$rc"' -eq 3 ] && grep -q "AccessDeniedException" "$2" && ! grep -q attempts "$2" &&
        [ "$1" = "Decrypt=1 total=1 tls=1" ]' _ "$FAULT_CALLS" "$ERR"

# A delay past the whole-call timeout: TIMEOUT, within the time set. The
# answer would come 600 s late; clear-faults ends the server's wait. The
# times curl reports are at least the limit, by as much as the machine's
# load makes them.
open_with_faults '{"kind":"delay","op":"Decrypt","seconds":600}' -- ENVELOPE_KMS_TIMEOUT_MS=1500
failed_like "an answer 600 s late with ENVELOPE_KMS_TIMEOUT_MS=1500: TIMEOUT, exit 3" 3 \
    "envelope: message\.env: timed out \(KMS Decrypt $ENC_ALIAS: 127\.0\.0\.1:$PORT: timed out: Operation timed out after (1[4-9]|[2-9][0-9]|[1-9][0-9]{2})[0-9]{2} milliseconds with 0 bytes received \(KMS limits: 5000 ms to connect, 1500 ms for the call\)\)" \
    fault.json
check "  it gave up after 1.5 s, not at the answer (took $took ms), after 1 request ($FAULT_CALLS)" \
    bash -c '[ "$1" -ge 1450 ] && [ "$1" -lt 300000 ] && [ "$2" = "Decrypt=1 total=1 tls=1" ]' \
    _ "$took" "$FAULT_CALLS"
# The same through the API (envelope_ctx_set_kms_timeouts), which wins over
# the environment; retries stop at the deadline.
ctl POST clear-faults >/dev/null
reset_stats
fault '{"kind":"delay","op":"Decrypt","seconds":600}'
as receiver ENVELOPE_KMS_TIMEOUT_MS=60000 DRIVER_TOTAL_MS=1200 -- "$DRIVER" open 1 \
    "awskms:///$ENC_ALIAS" "$K/signer.pub" d-lp
DRV_MS=$(sed -n 's/^elapsed: \([0-9]*\) ms$/\1/p' "$OUT")
FAULT_CALLS=$(calls)
check "library: envelope_ctx_set_kms_timeouts(ctx, 0, 1200) gives TIMEOUT after 1.2 s, not the environment's 60 s (took ${DRV_MS:-?} ms)" \
    bash -c '[ '"$rc"' -eq 1 ] && grep -Eq "^driver: open: TIMEOUT \(KMS Decrypt $1: 127\.0\.0\.1:$2: timed out: Operation timed out after (1[1-9]|[2-5][0-9])[0-9]{2} milliseconds with 0 bytes received \(KMS limits: 5000 ms to connect, 1200 ms for the call\)\)$" "$3" &&
        [ "$4" -ge 1150 ] && [ "$4" -lt 60000 ]' _ "$ENC_ALIAS" "$PORT" "$ERR" "${DRV_MS:-0}"
ctl POST clear-faults >/dev/null
reset_stats
fault '{"kind":"throttle","op":"Decrypt","count":2}'
as receiver AWS_MAX_ATTEMPTS=5 DRIVER_MAX_ATTEMPTS=2 -- "$DRIVER" open 1 "awskms:///$ENC_ALIAS" \
    "$K/signer.pub" d-lp
FAULT_CALLS=$(calls)
check "library: envelope_ctx_set_kms_max_attempts(ctx, 2) wins over AWS_MAX_ATTEMPTS=5 ($FAULT_CALLS)" \
    bash -c '[ '"$rc"' -eq 1 ] && grep -qx "driver: open: KMS_THROTTLED (KMS Decrypt $1: ThrottlingException: Rate exceeded (2 attempts))" "$2" &&
        [ "$3" = "Decrypt=2 total=2 tls=1" ]' _ "$ENC_ALIAS" "$ERR" "$FAULT_CALLS"
ctl POST clear-faults >/dev/null
as receiver ENVELOPE_KMS_TIMEOUT_MS=soon -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" \
    --verify-key "$K/signer.pub" -o fault.json message.env
failed_with "a malformed ENVELOPE_KMS_TIMEOUT_MS is refused, exit 2" 2 \
    "envelope: message.env: invalid argument (KMS Decrypt $ENC_ALIAS: ENVELOPE_KMS_TIMEOUT_MS=soon: not a number from 1 to 3600000)" \
    fault.json

# ---------------------------------------------------- the retry quota

# One context opens message.env again and again (the driver's open-each)
# while KMS answers 500: each open makes 3 attempts, whose 2 retries take 10
# from the context's bucket of 500, so the 51st open gets no retry. Then 5
# successes put 5 back: one retry; 10 more: two again. Faults fire in the
# order they were queued; a fault's skip counts the calls that no earlier
# fault took, so the third one's 15 are the second one's 5 and the 10 after
# it.
QUOTA_500="KMS_UNAVAILABLE (KMS Decrypt $ENC_ALIAS: KMSInternalException: An internal error occurred (injected)."
quota_lines() { # FIRST LAST WHAT: the driver's lines for opens FIRST to LAST
    local i
    for ((i = $1; i <= $2; i++)); do echo "open $i: $3"; done
}
{
    quota_lines 1 50 "$QUOTA_500 (3 attempts))"
    quota_lines 51 51 "$QUOTA_500 (no retry: the retry quota is exhausted))"
    quota_lines 52 56 OK
    quota_lines 57 57 "$QUOTA_500 (2 attempts, then no retry: the retry quota is exhausted))"
    quota_lines 58 67 OK
    quota_lines 68 68 "$QUOTA_500 (3 attempts))"
} >quota.want
ctl POST clear-faults >/dev/null
reset_stats
fault '{"kind":"error500","op":"Decrypt","count":151}'
fault '{"kind":"error500","op":"Decrypt","skip":5,"count":2}'
fault '{"kind":"error500","op":"Decrypt","skip":15,"count":3}'
as receiver -- "$DRIVER" open-each 68 "awskms:///$ENC_ALIAS" "$K/signer.pub" message.env
grep '^open ' "$OUT" >quota.got
FAULT_CALLS=$(calls)
check "standard mode: a storm of 500s drains the retry quota after 50 calls; 5 then 10 successes earn 1 then 2 retries back" \
    diff quota.want quota.got
check "  the server saw 50 x 3 + 1 + 5 + 2 + 10 + 3 requests ($FAULT_CALLS)" \
    test "$FAULT_CALLS" = "Decrypt=171 total=171 tls=1"
# legacy (here from the profile's config): the same storm, every call
# retried.
printf '[default]\nretry_mode = legacy\n' >legacy.config
ctl POST clear-faults >/dev/null
reset_stats
fault '{"kind":"error500","op":"Decrypt","count":153}'
as receiver AWS_CONFIG_FILE="$PWD/legacy.config" -- "$DRIVER" open-each 51 \
    "awskms:///$ENC_ALIAS" "$K/signer.pub" message.env
grep '^open ' "$OUT" >quota.got
quota_lines 1 51 "$QUOTA_500 (3 attempts))" >quota.want
FAULT_CALLS=$(calls)
check "retry_mode = legacy in the profile: no quota, the 51st call still makes 3 attempts ($FAULT_CALLS)" \
    bash -c 'diff "$1" "$2" && [ "$3" = "Decrypt=153 total=153 tls=1" ]' _ quota.want quota.got \
    "$FAULT_CALLS"
ctl POST clear-faults >/dev/null
as receiver AWS_RETRY_MODE=fast -- "$E" open --decrypt-key "awskms:///$ENC_ALIAS" \
    --verify-key "$K/signer.pub" -o fault.json message.env
failed_with "an unknown AWS_RETRY_MODE is refused, exit 2" 2 \
    "envelope: message.env: invalid argument (KMS Decrypt $ENC_ALIAS: AWS_RETRY_MODE=fast: not standard, adaptive or legacy)" \
    fault.json

# TLS with the wrong CA: a CA file that is not the server's.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=another-ca \
    -keyout "$WORK/other-ca.key" -out other-ca.pem -days 2 >/dev/null 2>&1
reset_stats
as sender AWS_CA_BUNDLE="$PWD/other-ca.pem" -- "$E" seal --sign-key "$K/signer.pem" \
    --to "awskms:///$ENC_ALIAS" -o wrongca.env message.json
failed_with "AWS_CA_BUNDLE naming another CA: TLS error, exit 3, not retried" 3 \
    "envelope: message.json: TLS error (recipient 1: KMS Encrypt $ENC_ALIAS: 127.0.0.1:$PORT: TLS certificate verification failed: SSL certificate problem: self-signed certificate in certificate chain (AWS_CA_BUNDLE names the CA file to trust instead of the system's))" \
    wrongca.env
HS=$(ctl GET stats | "$PY" -c 'import json, sys
d = json.load(sys.stdin)
print("requests=%d handshake_failures=%d" % (d["requests_total"], d["tls_handshake_failures"]))')
check "  no KMS request reached the server, 1 failed handshake: no retry ($HS)" \
    test "$HS" = "requests=0 handshake_failures=1"

# --------------------------------------------------- connection reuse

mkdir d-20
reset_stats
as sender -- "$DRIVER" seal 20 "awskms:///$SIGN_ALIAS" "awskms:///$ENC_ALIAS" d-20
SEAL20=$(calls)
check "20 seals in one process: one TLS handshake for all 41 calls ($SEAL20)" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = "Encrypt=20 GetPublicKey=1 Sign=20 total=41 tls=1" ]' \
    _ "$SEAL20"
reset_stats
as receiver -- "$DRIVER" open 20 "awskms:///$ENC_ALIAS" "awskms:///$SIGN_ALIAS" d-20
OPEN20=$(calls)
check "20 opens in one process: one TLS handshake ($OPEN20)" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = "Decrypt=20 GetPublicKey=1 Verify=20 total=41 tls=1" ]' \
    _ "$OPEN20"

# ------------------------------------------------ the credential chain

# as_chain [VAR=VALUE...] -- CMD...: no credentials in the environment; the
# files, profile and other sources as given.
as_chain() { as none "$@"; }
principal() { last_request principal; }
HOUR=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
SOON=$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)
PAST=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
# Sign and Encrypt through KMS: 2 calls.
SEAL_KMS=("$E" seal --sign-key "awskms:///$SIGN_ALIAS" --to "awskms:///$ENC_ALIAS" message.json -o)
mkdir aws
cat >aws/credentials <<INI
# the shared credentials file: [NAME] sections
[default]
aws_access_key_id = ${AK[admin]}
aws_secret_access_key = ${SK[admin]}

[dev]
aws_access_key_id=${AK[sender]}
aws_secret_access_key=${SK[sender]}
region = eu-west-3

[temporary]
AWS_ACCESS_KEY_ID = ${AK[session]}
aws_secret_access_key = ${SK[session]}
aws_session_token = $TOKEN

[both]
aws_access_key_id = ${AK[sender]}
aws_secret_access_key = ${SK[sender]}

[half]
aws_access_key_id = ${AK[sender]}
INI
cat >aws/config <<INI
[default]
region = us-east-1

[profile cfg]
aws_access_key_id = ${AK[sender-plus]}
aws_secret_access_key = ${SK[sender-plus]}
region = eu-west-3
s3 =
    max_concurrent_requests = 20

# a [NAME] section is not a profile in the config file
[plain]
aws_access_key_id = ${AK[admin]}
aws_secret_access_key = ${SK[admin]}

[profile both]
aws_access_key_id = ${AK[receiver]}
aws_secret_access_key = ${SK[receiver]}

[profile sso]
sso_session = corp
sso_account_id = 111122223333
INI
FILES=(AWS_SHARED_CREDENTIALS_FILE="$PWD/aws/credentials" AWS_CONFIG_FILE="$PWD/aws/config")

as_chain "${FILES[@]}" -- "${SEAL_KMS[@]}" chain-default.env
check "shared credentials file, profile default (AWS_PROFILE unset): admin signs" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = admin ]' _ "$(principal)"
as_chain "${FILES[@]}" AWS_PROFILE=dev -- "${SEAL_KMS[@]}" chain-dev.env
check "AWS_PROFILE=dev: [dev] of the credentials file, the sender" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = sender ]' _ "$(principal)"
as_chain "${FILES[@]}" AWS_PROFILE=temporary -- "${SEAL_KMS[@]}" chain-temp.env
check "a profile with aws_session_token (key names in any case): signed X-Amz-Security-Token" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = session ]' _ "$(principal)"
as_chain "${FILES[@]}" AWS_PROFILE=cfg -- "$E" pubkey -o cfg.pub "awskms:///$SIGN_ALIAS"
check "AWS_PROFILE=cfg: [profile cfg] of the config file, nested settings skipped" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = sender-plus ] && cmp -s cfg.pub "$2/signer.pub"' \
    _ "$(principal)" "$K"
as_chain "${FILES[@]}" AWS_PROFILE=both -- "${SEAL_KMS[@]}" chain-both.env
check "the credentials file's keys come before the config file's for the same profile" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = sender ]' _ "$(principal)"
as_chain "${FILES[@]}" AWS_PROFILE=dev AWS_REGION= -- "${SEAL_KMS[@]}" chain-region.env
check "region from the profile when AWS_REGION and AWS_DEFAULT_REGION are unset (eu-west-3)" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = eu-west-3 ]' _ "$(last_request region)"
as_chain "${FILES[@]}" AWS_PROFILE=dev AWS_REGION= AWS_DEFAULT_REGION=ap-south-1 -- \
    "${SEAL_KMS[@]}" chain-region2.env
check "AWS_DEFAULT_REGION comes before the profile's region" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = ap-south-1 ]' _ "$(last_request region)"
as_chain "${FILES[@]}" AWS_PROFILE=plain -- "${SEAL_KMS[@]}" chain-plain.env
failed_with "AWS_PROFILE naming a profile in neither file ([plain] in config is not one): exit 3" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: the profile plain named by AWS_PROFILE is in neither $PWD/aws/credentials nor $PWD/aws/config)" \
    chain-plain.env
as_chain "${FILES[@]}" AWS_PROFILE=half -- "${SEAL_KMS[@]}" chain-half.env
failed_with "a profile with a key id and no secret: exit 3" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: shared credentials file $PWD/aws/credentials, profile half: aws_access_key_id is set but aws_secret_access_key is not)" \
    chain-half.env
as_chain "${FILES[@]}" AWS_PROFILE=sso -- "${SEAL_KMS[@]}" chain-sso.env
failed_with "an SSO profile: exit 3, pointing to credential_process" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: profile sso ($PWD/aws/config) uses IAM Identity Center (SSO), which this library does not do itself: use another profile with credential_process = aws configure export-credentials --profile sso --format process (docs/KEYS.md))" \
    chain-sso.env
printf '[default]\naws_access_key_id = %s\n  continued = %s\n' "${AK[admin]}" "${SK[admin]}" \
    >aws/broken
as_chain AWS_SHARED_CREDENTIALS_FILE="$PWD/aws/broken" -- "${SEAL_KMS[@]}" chain-broken.env
failed_with "a malformed credentials file: exit 3, its path and line, no value quoted" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: $PWD/aws/broken line 3: an indented line continuing a value (not supported))" \
    chain-broken.env
as_chain "${FILES[@]}" AWS_PROFILE=dev AWS_ACCESS_KEY_ID="${AK[receiver]}" \
    AWS_SECRET_ACCESS_KEY="${SK[receiver]}" -- "$E" pubkey -o env.pub "awskms:///$SIGN_ALIAS"
check "the environment comes before any profile (receiver: GetPublicKey denied)" \
    bash -c '[ '"$rc"' -eq 3 ] && [ "$1" = receiver ]' _ "$(principal)"

# credential_process: a script that counts its runs.
cat >cp.sh <<'SH'
# usage: sh cp.sh COUNTER EXPIRATION [fail|garbage|v2|big]
echo run >>"$1"
case ${3:-} in
fail) printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s"}\n' "$CP_AK" "$CP_SK"
      echo "cp.sh: no session for $CP_SK, log in first" >&2; echo "second line" >&2; exit 7 ;;
garbage) echo "AccessKeyId=$CP_AK SecretAccessKey=$CP_SK"; exit 0 ;;
v2) printf '{"Version":2,"AccessKeyId":"%s","SecretAccessKey":"%s"}\n' "$CP_AK" "$CP_SK"; exit 0 ;;
big) head -c 70000 /dev/zero | tr '\0' ' '; exit 0 ;;
esac
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "%s", "Expiration": "%s"}\n' \
    "$CP_AK" "$CP_SK" "$CP_TOKEN" "$2"
SH
cp_profile() { # EXPIRATION [MODE]: the config file for AWS_PROFILE=proc
    printf '[profile proc]\ncredential_process = sh %s %s %s %s\n' "$PWD/cp.sh" "$PWD/cp.count" \
        "$1" "${2:-}" >aws/config-proc
    : >cp.count
}
CP_ENV=(AWS_CONFIG_FILE="$PWD/aws/config-proc" AWS_PROFILE=proc CP_AK="${AK[session]}"
    CP_SK="${SK[session]}" CP_TOKEN="$TOKEN")
runs() { wc -l <cp.count | tr -d ' '; }
cp_profile "$HOUR"
as_chain "${CP_ENV[@]}" -- "${SEAL_KMS[@]}" proc.env
check "credential_process: a seal (2 calls) runs it once when valid for an hour (runs: $(runs))" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = session ] && [ "$2" = 1 ]' _ "$(principal)" "$(runs)"
cp_profile "$SOON"
as_chain "${CP_ENV[@]}" -- "${SEAL_KMS[@]}" proc-soon.env
check "  expiring within 5 minutes: refreshed before each of the 2 calls (runs: $(runs))" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = 2 ]' _ "$(runs)"
cp_profile "$PAST"
as_chain "${CP_ENV[@]}" -- "$E" seal --sign-key "$K/signer.pem" --to "awskms:///$ENC_ALIAS" \
    --to "awskms:///$RSA2048_ID" --to "awskms:///$ENC_ARN" -o proc-past.env message.json
check "  already expired: refreshed before each of the 3 calls (runs: $(runs))" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = 3 ]' _ "$(runs)"
cp_profile "$HOUR"
as_chain "${CP_ENV[@]}" -- "$DRIVER" seal 20 "awskms:///$SIGN_ALIAS" "awskms:///$ENC_ALIAS" d-20
check "  20 seals in one process (41 calls) run it once (runs: $(runs))" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = 1 ]' _ "$(runs)"
cp_profile "$HOUR" fail
as_chain "${CP_ENV[@]}" -- "${SEAL_KMS[@]}" proc-fail.env
failed_with "credential_process failing: exit 3, its status and the first line of its stderr, secret masked" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: credential_process of profile proc ($PWD/aws/config-proc line 2): exit status 7: cp.sh: no session for $(printf '%*s' ${#SK[session]} '' | tr ' ' '*'), log in first)" \
    proc-fail.env
cp_profile "$HOUR" garbage
as_chain "${CP_ENV[@]}" -- "${SEAL_KMS[@]}" proc-garbage.env
failed_with "credential_process printing something else than JSON: exit 3, nothing quoted" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: credential_process of profile proc ($PWD/aws/config-proc line 2): printed 92 bytes that are not one JSON object (expected Version 1, AccessKeyId, SecretAccessKey, SessionToken, Expiration))" \
    proc-garbage.env
cp_profile "$HOUR" v2
as_chain "${CP_ENV[@]}" -- "${SEAL_KMS[@]}" proc-v2.env
failed_with "credential_process with Version 2: exit 3" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: credential_process of profile proc ($PWD/aws/config-proc line 2): the JSON printed has no \"Version\": 1)" \
    proc-v2.env
cp_profile "$HOUR" big
as_chain "${CP_ENV[@]}" -- "${SEAL_KMS[@]}" proc-big.env
failed_with "credential_process printing more than 64 KiB: exit 3" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: credential_process of profile proc ($PWD/aws/config-proc line 2): printed more than 65536 bytes)" \
    proc-big.env

# Container credentials and IMDSv2, from a loopback server of our own.
printf '{"AccessKeyId": "%s", "SecretAccessKey": "%s", "Token": "%s", "Expiration": "%s"}\n' \
    "${AK[session]}" "${SK[session]}" "$TOKEN" "$HOUR" >meta-creds.json
"$PY" "$TOP/tests/kms/metadata_server.py" --port-file "$WORK/meta.port" \
    --creds "$PWD/meta-creds.json" --container-token "Bearer ctr-token-0123" \
    --max-lifetime 300 2>"$WORK/meta.log" &
MD_PID=$!
wait_file "$WORK/meta.port" "the metadata server's port"
MP=$(cat "$WORK/meta.port" 2>/dev/null)
MD=http://127.0.0.1:$MP
meta() { # METHOD PATH [JSON]
    "$PY" -c '
import json, sys, urllib.request
m, url = sys.argv[1], sys.argv[2]
data = sys.argv[3].encode() if len(sys.argv) > 3 else None
with urllib.request.urlopen(urllib.request.Request(url, data=data, method=m), timeout=5) as r:
    print(r.read().decode())' "$1" "$MD$2" "${3:-}"
}
meta_requests() { # the metadata requests since the last reset, sorted
    meta GET /_stats | "$PY" -c '
import json, sys
d = json.load(sys.stdin)["requests"]
print(" ".join("%s=%d" % (k.replace(" ", ":"), v) for k, v in sorted(d.items())))'
}
printf 'Bearer ctr-token-0123\n' >ctr-token
meta POST /_reset >/dev/null
as_chain AWS_CONTAINER_CREDENTIALS_FULL_URI="$MD/container/creds" \
    AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer ctr-token-0123" -- "${SEAL_KMS[@]}" ctr.env
check "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI, loopback http, token): one fetch for a seal" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = session ] && [ "$2" = "GET:/container/creds=1" ]' \
    _ "$(principal)" "$(meta_requests)"
as_chain AWS_CONTAINER_CREDENTIALS_FULL_URI="$MD/container/creds" \
    AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$PWD/ctr-token" -- \
    "${SEAL_KMS[@]}" ctr-file.env
check "  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE comes before AWS_CONTAINER_AUTHORIZATION_TOKEN" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = session ]' _ "$(principal)"
as_chain AWS_CONTAINER_CREDENTIALS_FULL_URI="$MD/container/creds" \
    AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong -- "${SEAL_KMS[@]}" ctr-wrong.env
failed_with "  a wrong authorization token: exit 3, the endpoint's HTTP status" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: container credentials from $MD/container/creds: HTTP 401)" \
    ctr-wrong.env
meta POST /_reset >/dev/null
as_chain AWS_CONTAINER_CREDENTIALS_FULL_URI="http://metadata.example:$MP/container/creds" -- \
    "${SEAL_KMS[@]}" ctr-remote.env
failed_with "  plain http:// to a host that is not the loopback is refused, before any request" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http:// only to the loopback (127.0.0.0/8, [::1], localhost) or the ECS and EKS addresses (169.254.170.2, 169.254.170.23, [fd00:ec2::23]); use https:// for other hosts)" \
    ctr-remote.env
check "    (the metadata server saw nothing: $(meta_requests))" test -z "$(meta_requests)"

meta POST /_reset >/dev/null
as_chain AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$MD/" -- \
    "${SEAL_KMS[@]}" imds.env
check "IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT): token, role, credentials, once for a seal" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$1" = session ] && [ "$2" = "GET:/latest/meta-data/iam/security-credentials/=1 GET:/latest/meta-data/iam/security-credentials/kms-test-role=1 PUT:/latest/api/token=1" ]' \
    _ "$(principal)" "$(meta_requests)"
meta POST /_reset >/dev/null
meta POST /_edit '{"role_suffix": "\u0000junk"}' >/dev/null
as_chain AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$MD/" -- \
    "${SEAL_KMS[@]}" imds-role-nul.env
failed_like "  a role listing whose first line holds a NUL is no role name, its bytes unused" 3 \
    "envelope: message\.json: no usable AWS credentials \(recipient 1: KMS Encrypt $ENC_ALIAS: .*$MD/latest/meta-data/iam/security-credentials/: not a role name\)" \
    imds-role-nul.env
check "    (no credentials were asked for: $(meta_requests))" \
    bash -c '[[ $1 != *"security-credentials/kms-test-role"* ]]' _ "$(meta_requests)"
meta POST /_reset >/dev/null
meta POST /_edit '{"code": "Success\u0000junk"}' >/dev/null
as_chain AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$MD/" -- \
    "${SEAL_KMS[@]}" imds-code-nul.env
failed_like "  credentials whose Code is Success, a NUL and more are refused" 3 \
    "envelope: message\.json: no usable AWS credentials \(recipient 1: KMS Encrypt $ENC_ALIAS: .*kms-test-role: the answer \([0-9]+ bytes\) is not a JSON object\)" \
    imds-code-nul.env
meta POST /_reset >/dev/null
meta POST /_fail '{"status": 503, "count": 1}' >/dev/null
as_chain AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$MD" -- \
    "${SEAL_KMS[@]}" imds-retry.env
check "  a 503 from IMDS is retried once (AWS_METADATA_SERVICE_NUM_ATTEMPTS default 2)" \
    bash -c '[ '"$rc"' -eq 0 ] && [[ $1 == *"PUT:/latest/api/token=2"* ]]' _ "$(meta_requests)"
meta POST /_reset >/dev/null
as_chain AWS_EC2_METADATA_DISABLED=true AWS_EC2_METADATA_SERVICE_ENDPOINT="$MD" -- \
    "${SEAL_KMS[@]}" imds-off.env
check "  AWS_EC2_METADATA_DISABLED=true: no credentials, and no request to IMDS" \
    bash -c '[ '"$rc"' -eq 3 ] && grep -q "no AWS credentials: set AWS_ACCESS_KEY_ID" "$2" &&
        [ -z "$1" ]' _ "$(meta_requests)" "$ERR"
as_chain AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$HPORT" -- \
    "${SEAL_KMS[@]}" imds-none.env
failed_with "  nothing listening at the IMDS endpoint: no credentials, saying why" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), or AWS_PROFILE to a profile in the shared credentials or config file; no instance metadata (IMDSv2) at 127.0.0.1:$HPORT: cannot connect: Failed to connect to 127.0.0.1 port $HPORT after 0 ms: Couldn't connect to server)" \
    imds-none.env
silent_connections >/dev/null
t0=$(date +%s%N)
as_chain AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$SPORT" -- \
    "${SEAL_KMS[@]}" imds-silent.env
took=$((($(date +%s%N) - t0) / 1000000))
failed_like "  an IMDS endpoint that never answers: absent after one 1 s attempt, no credentials" 3 \
    "envelope: message\.json: no usable AWS credentials \(recipient 1: KMS Encrypt $ENC_ALIAS: no AWS credentials: .*; no instance metadata \(IMDSv2\) at 127\.0\.0\.1:$SPORT: timed out: Operation timed out after (1[0-9]|[2-9][0-9])[0-9]{2} milliseconds with 0 bytes received\)" \
    imds-silent.env
SILENT_N=$(silent_connections)
check "    one connection, not retried, given up after at least 1 s (took $took ms, $SILENT_N connections)" \
    bash -c '[ "$1" = 1 ] && [ "$2" -ge 1000 ]' _ "$SILENT_N" "$took"
kill "$SILENT_PID" 2>/dev/null
SILENT_PID=
check "the secrets of the metadata answers reached no output (checked with every failure above)" \
    bash -c '! grep -rqF -- "$1" "$2"' _ "${SK[session]}" "$WORK/err"

finished=1
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
