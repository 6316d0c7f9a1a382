#!/bin/bash
# Assumed roles end to end, against the KMS test server's STS
# (tests/kms-server): web identity from the environment (the EKS form), a
# profile's role_arn with source_profile (two hops, a profile that is its
# own source) or credential_source = Environment, a cycle, a role the source
# may not assume, refresh near expiry and after KMS's ExpiredTokenException
# (STS calls counted by the server), a rotated token file, and the
# tutorial's seal and open through sender-role and receiver-role under
# their least-privilege policies, and threads sharing one STS call. The
# source user "assumer" may use no KMS key itself: a KMS call that succeeds
# used the role's credentials.
#
#   bash tests/kms/sts.sh BUILD_DIR
#
# Starts its own server (127.0.0.1, a free port) in a temporary directory
# and stops it on exit. One line per check, then "N passed, M failed";
# exits non-zero if any check failed. No sleeps: a test that needs a change
# between two calls of one process drives tests/kms/driver.c step by step.
set -uo pipefail

B=${1:?usage: sts.sh BUILD_DIR}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=$(cd "$B" && pwd)
E=${ENVELOPE_CLI:-$B/envelope}
LIB=$B/libenvelope.so.1
KMSCTL=$TOP/tests/kms-server/kmsctl.sh
PY=${PYTHON:-/usr/bin/python3}
K=$TOP/tests/keys

passed=0
failed=0
finished=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/envelope-sts.XXXXXX")
STATE=$WORK/state
DPID=
cleanup() {
    local rc=$?
    [[ -n $DPID ]] && kill "$DPID" 2>/dev/null
    "$KMSCTL" stop "$STATE" >/dev/null 2>&1
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
: >"$ERR"
. "$TOP/tests/kms/checks.sh"

# ---------------------------------------------------------------- server

ACCOUNT=111122223333
ROLE=arn:aws:iam::$ACCOUNT:role
SIGN_ALIAS=alias/sample-sign-verify-key
ENC_ALIAS=alias/sample-encrypt-decrypt-key
ASSUMER_AK=AKIAKMSTESTASSUMER01
ASSUMER_SK=kms-test/assumer/SECRET/00000000000000000
SENDER_AK=AKIAKMSTESTSENDER001
SENDER_SK=kms-test/sender/SECRET/0000000000000000000
cat >"$WORK/seed.json" <<JSON
{"keys": [
  {"key_spec": "ECC_NIST_P521", "key_usage": "SIGN_VERIFY", "aliases": ["$SIGN_ALIAS"],
   "private_key_file": "$K/signer.pem"},
  {"key_spec": "RSA_4096", "key_usage": "ENCRYPT_DECRYPT", "aliases": ["$ENC_ALIAS"]}
]}
JSON
EP=$(KMS_SERVER_MAX_LIFETIME=900 "$KMSCTL" start "$STATE" --seed "$WORK/seed.json" 2>"$ERR")
if [[ ! $EP =~ ^https://127\.0\.0\.1:[0-9]+$ ]]; then
    bad "KMS test server starts"
    exit 1
fi
CA=$STATE/ca.pem
# "AssumeRole=N AssumeRoleWithWebIdentity=N kms=Op=N,..." since the last
# reset.
calls() {
    ctl GET stats | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
sts = d.get("sts_requests", {})
kms = ",".join("%s=%d" % kv for kv in sorted(d["requests"].items()))
print("AssumeRole=%d AssumeRoleWithWebIdentity=%d kms=%s" % (
    sts.get("AssumeRole", 0), sts.get("AssumeRoleWithWebIdentity", 0), kms))'
}
# The last N sessions issued, oldest first: "ROLE<-SOURCE" each, the role
# by name, a source session by its role.
sessions() {
    ctl GET sessions | "$PY" -c '
import json, sys
s = json.load(sys.stdin)["sessions"][-int(sys.argv[1]):]
def source(x):
    return x.rsplit("/", 1)[0] if ":assumed-role/" in x else x
print(" ".join("%s<-%s" % (x["role"].rsplit("/", 1)[-1], source(x["source"])) for x in s))' "$1"
}
session_names() {
    ctl GET sessions | "$PY" -c '
import json, sys
s = json.load(sys.stdin)["sessions"][-int(sys.argv[1]):]
print(" ".join(x["session_name"] for x in s))' "$1"
}
issue_token() { # SUB FILE
    ctl POST issue-token "{\"sub\": \"$1\", \"file\": \"$2\"}" >/dev/null
}

# --------------------------------------------------------------- clients

mkdir -p "$WORK/home" "$WORK/w"
cd "$WORK/w" || exit 1
printf 'The tutorial'"'"'s message, sealed through assumed roles.\n' >message.json
CREDS=$WORK/credentials
CONFIG=$WORK/config
cat >"$CREDS" <<EOF
[assumer]
aws_access_key_id = $ASSUMER_AK
aws_secret_access_key = $ASSUMER_SK
[self-sender]
aws_access_key_id = $ASSUMER_AK
aws_secret_access_key = $ASSUMER_SK
EOF
cat >"$CONFIG" <<EOF
[profile sender]
role_arn = $ROLE/sender-role
source_profile = assumer
role_session_name = tutorial-sender
[profile receiver]
role_arn = $ROLE/receiver-role
source_profile = assumer
[profile hop]
role_arn = $ROLE/hop-role
source_profile = assumer
[profile sender-via-hop]
role_arn = $ROLE/sender-role
source_profile = hop
[profile self-sender]
role_arn = $ROLE/sender-role
source_profile = self-sender
[profile env-sender]
role_arn = $ROLE/sender-role
credential_source = Environment
[profile loop-a]
role_arn = $ROLE/sender-role
source_profile = loop-b
[profile loop-b]
role_arn = $ROLE/hop-role
source_profile = loop-a
[profile locked]
role_arn = $ROLE/locked-role
source_profile = assumer
[profile external]
role_arn = $ROLE/external-id-role
source_profile = assumer
external_id = kms-test-external-id
[profile web]
role_arn = $ROLE/sender-role
web_identity_token_file = $WORK/token
[profile sender-keys]
credential_process = /bin/echo '{"Version": 1, "AccessKeyId": "$SENDER_AK", "SecretAccessKey": "$SENDER_SK"}'
EOF

# run [VAR=VALUE...] -- CMD...: CMD with the test files and endpoint and
# nothing else of AWS; rc, $OUT and $ERR hold the outcome.
run() {
    local env=(PATH="$PATH" HOME="$WORK/home" AWS_CONFIG_FILE="$CONFIG"
        AWS_SHARED_CREDENTIALS_FILE="$CREDS" AWS_EC2_METADATA_DISABLED=true
        AWS_REGION=us-east-1 AWS_CA_BUNDLE="$CA" AWS_ENDPOINT_URL="$EP")
    while [[ $1 != -- ]]; do
        env+=("$1")
        shift
    done
    shift
    env -i "${env[@]}" "$@" >"$OUT" 2>"$ERR"
    rc=$?
}
SEAL=("$E" seal --sign-key "awskms:///$SIGN_ALIAS" --to "awskms:///$ENC_ALIAS")
OPEN=("$E" open --decrypt-key "awskms:///$ENC_ALIAS" --verify-key "awskms:///$SIGN_ALIAS")
# Exit status, and no secret of the source or of any issued session, and
# not the web identity token (a JWT: "eyJ...") now in the token file.
no_secret() {
    local token=eyJ
    [[ -s $WORK/token ]] && token=$(cat "$WORK/token")
    ! grep -qF -e "$ASSUMER_SK" -e "$SENDER_SK" -e "FwoGZXIvYXdzE" -e "eyJ" -e "$token" \
        "$OUT" "$ERR"
}
succeeded() {
    if [[ $rc -eq 0 ]] && no_secret; then ok "$1"; else bad "$1"; fi
}
# failed_with DESC RC LINE [PATH...]: exit status RC, stderr exactly LINE,
# no secret, none of PATH left behind.
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

DRIVER=$WORK/driver
# shellcheck disable=SC2086
if ! cc -std=c11 -D_GNU_SOURCE -O2 ${DRIVER_CFLAGS:-} -I"$TOP/include" -o "$DRIVER" \
    "$TOP/tests/kms/driver.c" "$LIB" -Wl,-rpath,"$B" -lpthread 2>"$ERR"; then
    bad "tests/kms/driver.c builds against $LIB"
fi
# driver_start [VAR=VALUE...]: `driver seal 2` paused after its first
# message (DRIVER_STEPS); driver_next lets it seal the second and finish.
driver_start() {
    local env=(PATH="$PATH" HOME="$WORK/home" AWS_CONFIG_FILE="$CONFIG"
        AWS_SHARED_CREDENTIALS_FILE="$CREDS" AWS_EC2_METADATA_DISABLED=true
        AWS_REGION=us-east-1 AWS_CA_BUNDLE="$CA" AWS_ENDPOINT_URL="$EP" DRIVER_STEPS=1 "$@")
    mkdir -p "$WORK/d"
    coproc DRV { env -i "${env[@]}" "$DRIVER" seal 2 "awskms:///$SIGN_ALIAS" \
        "awskms:///$ENC_ALIAS" "$WORK/d" 2>"$ERR"; }
    # Copies of the pipes and pid: bash drops DRV's once the driver exits.
    DPID=$DRV_PID
    exec {DRV_IN}<&"${DRV[0]}" {DRV_TO}>&"${DRV[1]}"
    DRV_LINE=
    read -r DRV_LINE <&"$DRV_IN"
}
driver_next() {
    echo go >&"$DRV_TO"
    cat <&"$DRV_IN" >"$OUT"
    wait "$DPID"
    rc=$?
    DPID=
    exec {DRV_IN}<&- {DRV_TO}>&-
}

# ------------------------------------- libxml2 only for those who need it

# grep reads all (no -q): under pipefail an early exit could SIGPIPE readelf.
if readelf -d "$LIB" | grep 'NEEDED.*libxml2' >/dev/null; then
    bad "libenvelope.so.1 does not link libxml2 (readelf -d)"
else
    ok "libenvelope.so.1 does not link libxml2 (readelf -d)"
fi
# libarchive, which links libxml2 itself, is loaded only by the compat
# format: a v1 seal shows whether libxml2 is mapped.
run AWS_ACCESS_KEY_ID=$SENDER_AK AWS_SECRET_ACCESS_KEY=$SENDER_SK -- \
    env LD_DEBUG=libs "${SEAL[@]}" -o static-keys.env message.json
check "a KMS seal with static keys never maps libxml2 (LD_DEBUG=libs)" \
    bash -c '[ '"$rc"' -eq 0 ] && grep "calling init: .*libcurl" "$1" >/dev/null &&
        ! grep "libxml2" "$1" >/dev/null' _ "$ERR"
run AWS_PROFILE=sender -- env LD_DEBUG=libs "${SEAL[@]}" -o role-libs.env message.json
check "assuming a role maps it" \
    bash -c '[ '"$rc"' -eq 0 ] && grep "calling init: .*libxml2" "$1" >/dev/null' _ "$ERR"
rm -f static-keys.env role-libs.env

# ----------------------------------------------- the tutorial through roles

reset_stats
run AWS_PROFILE=sender -- "${SEAL[@]}" -o message.env message.json
succeeded "sender-role (reached from assumer by role_arn) seals"
is "  one AssumeRole served both KMS calls" "$(calls)" \
    "AssumeRole=1 AssumeRoleWithWebIdentity=0 kms=Encrypt=1,Sign=1"
is "  by user assumer, session named by role_session_name" \
    "$(sessions 1) $(session_names 1)" \
    "sender-role<-arn:aws:iam::$ACCOUNT:user/assumer tutorial-sender"
run AWS_PROFILE=receiver -- "${OPEN[@]}" -o received.json message.env
check "receiver-role opens it" bash -c '[ '"$rc"' -eq 0 ] && cmp -s received.json message.json'
check "  the default session name says who and when" \
    bash -c '[[ $1 =~ ^libenvelope-session-[0-9]+$ ]]' _ "$(session_names 1)"
run AWS_PROFILE=sender -- "${OPEN[@]}" -o stolen.json message.env
check "sender-role cannot open: exit 3, KMS names the assumed role, nothing written" \
    bash -c '[ '"$rc"' -eq 3 ] && [ ! -e stolen.json ] &&
        grep -q "AccessDeniedException: User: arn:aws:sts::'$ACCOUNT':assumed-role/sender-role/tutorial-sender is not authorized to perform: kms:Decrypt" "$1"' \
    _ "$ERR"
run AWS_ACCESS_KEY_ID=$ASSUMER_AK AWS_SECRET_ACCESS_KEY=$ASSUMER_SK -- \
    "${SEAL[@]}" -o direct.env message.json
check "the source user alone may not seal (the role's credentials did the work)" \
    bash -c '[ '"$rc"' -eq 3 ] && [ ! -e direct.env ] && grep -q "user/assumer is not authorized" "$1"' \
    _ "$ERR"

# ----------------------------------------------------- the EKS form

TOKEN_FILE=$WORK/token
issue_token system:serviceaccount:apps:sender "$TOKEN_FILE"
EKS=(AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    AWS_ROLE_ARN=$ROLE/sender-role AWS_WEB_IDENTITY_TOKEN_FILE=$TOKEN_FILE
    AWS_ROLE_SESSION_NAME=pod-1)
reset_stats
run "${EKS[@]}" -- "${SEAL[@]}" -o eks.env message.json
succeeded "EKS: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE alone seal"
is "  one AssumeRoleWithWebIdentity for both KMS calls" "$(calls)" \
    "AssumeRole=0 AssumeRoleWithWebIdentity=1 kms=Encrypt=1,Sign=1"
is "  the session is the service account's, named by AWS_ROLE_SESSION_NAME" \
    "$(sessions 1) $(session_names 1)" \
    "sender-role<-web-identity:system:serviceaccount:apps:sender pod-1"
issue_token system:serviceaccount:apps:receiver "$WORK/rtoken"
run AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    AWS_ROLE_ARN=$ROLE/receiver-role AWS_WEB_IDENTITY_TOKEN_FILE=$WORK/rtoken -- \
    "${OPEN[@]}" -o eks.json eks.env
check "EKS: the receiver's pod opens it" bash -c '[ '"$rc"' -eq 0 ] && cmp -s eks.json message.json'
run AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    AWS_ROLE_ARN=$ROLE/receiver-role AWS_WEB_IDENTITY_TOKEN_FILE=$TOKEN_FILE -- \
    "${SEAL[@]}" -o wrong.env message.json
check "EKS: the sender's token does not reach receiver-role: exit 3 naming the role and source" \
    bash -c '[ '"$rc"' -eq 3 ] && [ ! -e wrong.env ] && [ $(wc -l <"$1") -eq 1 ] &&
        grep -q "^envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt '$ENC_ALIAS': STS AssumeRoleWithWebIdentity '$ROLE'/receiver-role (environment AWS_ROLE_ARN): AccessDenied: " "$1"' \
    _ "$ERR"
succeeded_no_secret() { no_secret && ok "$1" || bad "$1"; }
succeeded_no_secret "  the token is in no message"
reset_stats
run AWS_PROFILE=web -- "${SEAL[@]}" -o web.env message.json
succeeded "a profile's role_arn with web_identity_token_file seals"
is "  through AssumeRoleWithWebIdentity" "$(calls)" \
    "AssumeRole=0 AssumeRoleWithWebIdentity=1 kms=Encrypt=1,Sign=1"
reset_stats
ctl POST fault '{"kind": "error", "op": "AssumeRoleWithWebIdentity", "type": "IDPCommunicationError", "count": 2}' >/dev/null
run "${EKS[@]}" -- "${SEAL[@]}" -o idp.env message.json
succeeded "IDPCommunicationError twice: retried, the third attempt succeeds"
is "  3 AssumeRoleWithWebIdentity" "$(calls)" \
    "AssumeRole=0 AssumeRoleWithWebIdentity=3 kms=Encrypt=1,Sign=1"
reset_stats
ctl POST fault '{"kind": "error", "op": "AssumeRoleWithWebIdentity", "type": "IDPCommunicationError", "count": 3}' >/dev/null
run "${EKS[@]}" AWS_MAX_ATTEMPTS=2 -- "${SEAL[@]}" -o idp2.env message.json
check "IDPCommunicationError at every attempt (AWS_MAX_ATTEMPTS=2): exit 3, KMS_UNAVAILABLE's message, 2 attempts" \
    bash -c '[ '"$rc"' -eq 3 ] && [ ! -e idp2.env ] && [ "$2" = "AssumeRole=0 AssumeRoleWithWebIdentity=2 kms=" ] &&
        grep -q "STS AssumeRoleWithWebIdentity '$ROLE'/sender-role (environment AWS_ROLE_ARN): IDPCommunicationError: .* (2 attempts))\$" "$1"' \
    _ "$ERR" "$(calls)"
ctl POST reset >/dev/null
reset_stats
ctl POST fault '{"kind": "error", "op": "AssumeRoleWithWebIdentity", "type": "RegionDisabledException"}' >/dev/null
run "${EKS[@]}" -- "${SEAL[@]}" -o region.env message.json
check "RegionDisabledException: exit 3 naming the role and the source, once, nothing written" \
    bash -c '[ '"$rc"' -eq 3 ] && [ ! -e region.env ] && [ "$2" = "AssumeRole=0 AssumeRoleWithWebIdentity=1 kms=" ] &&
        grep -q "^envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt '$ENC_ALIAS': STS AssumeRoleWithWebIdentity '$ROLE'/sender-role (environment AWS_ROLE_ARN): RegionDisabledException" "$1"' \
    _ "$ERR" "$(calls)"

# Threads, each with its own context, that need the role at the same time
# share one STS call (the signing key is the KMS one; the rest local).
reset_stats
run "${EKS[@]}" -- "$DRIVER" threads 4 2 "awskms:///$SIGN_ALIAS" "$K/alice.pub" \
    "$K/alice.pem" "$K/signer.pub"
succeeded "4 threads, 4 contexts, 8 seals and opens through one web identity role"
check "  one AssumeRoleWithWebIdentity for all of them ($(calls))" \
    bash -c '[[ $1 == "AssumeRole=0 AssumeRoleWithWebIdentity=1 kms="*"Sign=8"* ]]' _ "$(calls)"

# ------------------------------------------------------ chains of profiles

reset_stats
run AWS_PROFILE=sender-via-hop -- "${SEAL[@]}" -o hop.env message.json
succeeded "two hops: assumer -> hop-role -> sender-role seals"
is "  two AssumeRole, hop-role's first, its session the source of the second" \
    "$(calls) $(sessions 2)" \
    "AssumeRole=2 AssumeRoleWithWebIdentity=0 kms=Encrypt=1,Sign=1 hop-role<-arn:aws:iam::$ACCOUNT:user/assumer sender-role<-arn:aws:sts::$ACCOUNT:assumed-role/hop-role"
run AWS_PROFILE=self-sender -- "${SEAL[@]}" -o self.env message.json
succeeded "a profile naming itself as source_profile uses its own static keys"
is "  by user assumer" "$(sessions 1)" "sender-role<-arn:aws:iam::$ACCOUNT:user/assumer"
run AWS_PROFILE=env-sender AWS_ACCESS_KEY_ID=$ASSUMER_AK AWS_SECRET_ACCESS_KEY=$ASSUMER_SK -- \
    "${SEAL[@]}" -o env.env message.json
succeeded "credential_source = Environment: the environment's keys assume the role"
is "  by user assumer" "$(sessions 1)" "sender-role<-arn:aws:iam::$ACCOUNT:user/assumer"
reset_stats
run AWS_PROFILE=loop-a -- "${SEAL[@]}" -o loop.env message.json
failed_with "a cycle of source_profile: exit 3 naming the profiles, nothing written" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: source of role $ROLE/sender-role (profile loop-a): source of role $ROLE/hop-role (profile loop-b): source_profile makes a cycle: loop-a -> loop-b -> loop-a (a profile may name itself only when it holds static keys))" \
    loop.env
is "  and no request at all" "$(calls)" "AssumeRole=0 AssumeRoleWithWebIdentity=0 kms="
run AWS_PROFILE=locked -- "${SEAL[@]}" -o locked.env message.json
failed_with "a role the source may not assume: exit 3 naming the role and profile" 3 \
    "envelope: message.json: no usable AWS credentials (recipient 1: KMS Encrypt $ENC_ALIAS: STS AssumeRole $ROLE/locked-role (profile locked): AccessDenied: User: arn:aws:iam::$ACCOUNT:user/assumer is not authorized to perform: sts:AssumeRole on resource: $ROLE/locked-role)" \
    locked.env
run AWS_PROFILE=external -- "${SEAL[@]}" -o external.env message.json
succeeded "external_id is sent: a role that requires it is assumed"

# ------------------------------------------------- refresh and expiry

# Credentials that expire within 5 minutes are fetched again before use:
# with the server's lifetime at 200 s each KMS call asks STS once; back to
# an hour, the next call asks once more and the one after none.
ctl POST sts-duration '{"seconds": 200}' >/dev/null
reset_stats
driver_start AWS_PROFILE=sender
is "refresh: the first seal's 2 KMS calls each fetched fresh credentials ($DRV_LINE)" \
    "$(calls)" "AssumeRole=2 AssumeRoleWithWebIdentity=0 kms=Encrypt=1,Sign=1"
ctl POST sts-duration '{"seconds": null}' >/dev/null
driver_next
check "  the driver sealed both messages" bash -c '[ '"$rc"' -eq 0 ] && [ -s "$1/2.env" ]' _ "$WORK/d"
# (A context's second seal also asks for the signing key's public key.)
is "  the second seal: exactly one more STS call, then the cache" "$(calls)" \
    "AssumeRole=3 AssumeRoleWithWebIdentity=0 kms=Encrypt=2,GetPublicKey=1,Sign=2"

# ExpiredTokenException from KMS: one refresh, one retry of that request.
reset_stats
ctl POST fault '{"kind": "expired-token"}' >/dev/null
run AWS_PROFILE=sender -- "${SEAL[@]}" -o expired.env message.json
succeeded "ExpiredTokenException: refreshed once and retried once, the seal succeeds"
is "  2 AssumeRole, Encrypt twice, Sign once" "$(calls)" \
    "AssumeRole=2 AssumeRoleWithWebIdentity=0 kms=Encrypt=2,Sign=1"
# Server-side expiry between two seals of one process.
reset_stats
driver_start AWS_PROFILE=sender
ctl POST expire-sessions '{"role": "sender-role"}' >/dev/null
driver_next
check "credentials expired by the server between two seals: the driver carries on" \
    bash -c '[ '"$rc"' -eq 0 ] && [ -s "$1/2.env" ]' _ "$WORK/d"
is "  one more AssumeRole, and the refused call (GetPublicKey) made again" "$(calls)" \
    "AssumeRole=2 AssumeRoleWithWebIdentity=0 kms=Encrypt=2,GetPublicKey=2,Sign=2"
# A source that gives the same credentials again fails as before.
reset_stats
ctl POST fault '{"kind": "expired-token"}' >/dev/null
run AWS_PROFILE=sender-keys -- "${SEAL[@]}" -o same.env message.json
check "the same credentials after a refresh: exit 3 with KMS's ExpiredTokenException, nothing written" \
    bash -c '[ '"$rc"' -eq 3 ] && [ ! -e same.env ] && grep -q "not accepted: ExpiredTokenException" "$1"' \
    _ "$ERR"
is "  one Encrypt, no retry" "$(calls)" "AssumeRole=0 AssumeRoleWithWebIdentity=0 kms=Encrypt=1"
# Static keys cannot refresh: no retry either.
reset_stats
ctl POST fault '{"kind": "expired-token"}' >/dev/null
run AWS_CONFIG_FILE=/dev/null AWS_ACCESS_KEY_ID=$SENDER_AK AWS_SECRET_ACCESS_KEY=$SENDER_SK -- \
    "${SEAL[@]}" -o static.env message.json
check "static keys and ExpiredTokenException: exit 3, one attempt" \
    bash -c '[ '"$rc"' -eq 3 ] && [ ! -e static.env ] && [ "$2" = "AssumeRole=0 AssumeRoleWithWebIdentity=0 kms=Encrypt=1" ]' \
    _ "$ERR" "$(calls)"

# The token file is read again at every refresh: rotated between two seals
# of one process, the second refresh presents the new token.
ctl POST sts-duration '{"seconds": 200}' >/dev/null
issue_token system:serviceaccount:apps:sender "$TOKEN_FILE"
driver_start "${EKS[@]}"
issue_token system:serviceaccount:rotated:sender "$TOKEN_FILE"
driver_next
ctl POST sts-duration '{"seconds": null}' >/dev/null
check "a rotated token file: the driver sealed both messages" \
    bash -c '[ '"$rc"' -eq 0 ] && [ -s "$1/2.env" ]' _ "$WORK/d"
is "  the sessions after the rotation came from the new token" "$(sessions 2)" \
    "sender-role<-web-identity:system:serviceaccount:rotated:sender sender-role<-web-identity:system:serviceaccount:rotated:sender"

finished=1
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
