#!/bin/bash
# Fidelity test of the KMS test server against Debian's AWS CLI, openssl and
# tar: the tutorial flow (docs/DESIGN.md, "The tutorial it grew from") with the tutorial's
# least-privilege principals, then the errors a real KMS gives, the public
# keys working with plain openssl, the control API, and the tutorial's roles
# reached through the CLI's STS client (assume-role, web identity).
#
# Starts its own server in a temporary directory and stops it on exit.
# Prints one line per check and a closing "N passed, M failed" line; exits
# non-zero if any check failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
AWS=${AWS:-/usr/bin/aws}

for tool in "$PY" "$AWS" openssl tar base64 od dd cmp; do
    if ! command -v "$tool" >/dev/null; then
        echo "FAIL $tool not found (see tests/kms-server/README.md, Prerequisites)"
        echo "0 passed, 1 failed"
        exit 1
    fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kms-fidelity.XXXXXX")
STATE=$WORK/state
passed=0
failed=0
finished=0

cleanup() {
    local rc=$?
    "$HERE/kmsctl.sh" stop "$STATE" >/dev/null 2>&1 || true
    rm -rf "$WORK"
    if [[ $finished -eq 0 ]]; then
        echo "FAIL aborted (exit status $rc) before all checks ran"
        echo "$passed passed, $((failed + 1)) failed"
        exit 1
    fi
}
trap cleanup EXIT

ok() { echo "ok   $1"; passed=$((passed + 1)); }
# bad DESCRIPTION STATUS: the check failed with that exit status; what it
# said on stderr follows (its first lines, which say what was compared, and
# its last ones).
bad() {
    echo "FAIL $1 (exit status $2)"
    failed=$((failed + 1))
    if [[ ! -s $WORK/err ]]; then
        echo "     (nothing on stderr)"
    elif (($(wc -l <"$WORK/err") <= 20)); then
        sed 's/^/     | /' "$WORK/err"
    else
        head -n 6 "$WORK/err" | sed 's/^/     | /'
        echo "     | ..."
        tail -n 12 "$WORK/err" | sed 's/^/     | /'
    fi
}
# check DESCRIPTION COMMAND...: one line per check, never aborts the script.
check() {
    local desc=$1 rc=0
    shift
    "$@" 2>"$WORK/err" || rc=$?
    if ((rc == 0)); then ok "$desc"; else bad "$desc" "$rc"; fi
}

# Only what this script sets reaches the AWS CLI.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
    AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CA_BUNDLE AWS_ENDPOINT_URL \
    AWS_ENDPOINT_URL_KMS AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE \
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI \
    AWS_RETRY_MODE AWS_MAX_ATTEMPTS 2>/dev/null || true
mkdir -p "$WORK/home" "$WORK/sender" "$WORK/receiver"
export HOME=$WORK/home
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_CLI_AUTO_PROMPT=off
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1

EP=$(KMS_SERVER_MAX_LIFETIME=600 "$HERE/kmsctl.sh" start "$STATE")
CA=$STATE/ca.pem
check "server started on an https loopback endpoint ($EP)" \
    grep -Eq '^https://127\.0\.0\.1:[0-9]+$' <<<"$EP"

# Credentials of the default principals.
declare -A AK SK TOK
while read -r name ak sk tok; do
    AK[$name]=$ak
    SK[$name]=$sk
    TOK[$name]=$tok
done < <("$PY" -c '
import json, sys
for p in json.load(open(sys.argv[1]))["principals"]:
    print(p["name"], p["access_key_id"], p["secret_access_key"],
          p.get("session_token") or "")
' "$HERE/principals.json")

# run_as PRINCIPAL aws-args...: run the AWS CLI as that principal.
run_as() {
    local who=$1
    shift
    local -a env=(AWS_ACCESS_KEY_ID="${AK[$who]}" AWS_SECRET_ACCESS_KEY="${SK[$who]}")
    if [[ -n ${TOK[$who]} ]]; then env+=(AWS_SESSION_TOKEN="${TOK[$who]}"); fi
    env "${env[@]}" "$AWS" --endpoint-url "$EP" --ca-bundle "$CA" "$@"
}

# expect_error EXCEPTION aws-args...: the call fails with exit status 254
# and the named KMS exception.
expect_error() {
    local want=$1
    shift
    local rc=0
    "$@" >"$WORK/out" 2>"$WORK/aws.err" || rc=$?
    if [[ $rc -ne 254 ]]; then
        echo "exit status $rc, expected 254" >&2
        cat "$WORK/aws.err" >&2
        return 1
    fi
    if ! grep -q "($want)" "$WORK/aws.err"; then
        echo "expected $want, got:" >&2
        cat "$WORK/aws.err" >&2
        return 1
    fi
}

ctl() { "$HERE/kmsctl.sh" control "$STATE" "$@"; }
stat_of() { # stat_of PYTHON-EXPRESSION-OVER-s
    ctl GET stats | "$PY" -c 'import json,sys; s=json.load(sys.stdin); print('"$1"')'
}

# ---------------------------------------------------------------- admin ---
create_keys() {
    ENC_KEY=$(run_as admin kms create-key --key-spec RSA_4096 \
        --key-usage ENCRYPT_DECRYPT --output text --query KeyMetadata.KeyId)
    SIGN_KEY=$(run_as admin kms create-key --key-spec ECC_NIST_P521 \
        --key-usage SIGN_VERIFY --output text --query KeyMetadata.KeyId)
    [[ $ENC_KEY =~ ^[0-9a-f-]{36}$ && $SIGN_KEY =~ ^[0-9a-f-]{36}$ ]]
}
check "admin creates an RSA_4096 ENCRYPT_DECRYPT and an ECC_NIST_P521 SIGN_VERIFY key" create_keys

make_aliases() {
    run_as admin kms create-alias --alias-name alias/sample-encrypt-decrypt-key \
        --target-key-id "$ENC_KEY"
    run_as admin kms create-alias --alias-name alias/sample-sign-verify-key \
        --target-key-id "$SIGN_KEY"
    run_as admin kms list-aliases --output text \
        --query 'Aliases[].[AliasName,TargetKeyId]' >"$WORK/aliases"
    grep -q "alias/sample-encrypt-decrypt-key.*$ENC_KEY" "$WORK/aliases" &&
        grep -q "alias/sample-sign-verify-key.*$SIGN_KEY" "$WORK/aliases"
}
check "admin creates the tutorial's two aliases; ListAliases shows them" make_aliases

describe() {
    local out
    out=$(run_as admin kms describe-key --key-id alias/sample-encrypt-decrypt-key \
        --output text --query 'KeyMetadata.[Arn,KeySpec,KeyUsage,KeyState]')
    [[ $out == "arn:aws:kms:us-east-1:111122223333:key/$ENC_KEY"$'\t'"RSA_4096"$'\t'"ENCRYPT_DECRYPT"$'\t'"Enabled" ]] ||
        { echo "got: $out" >&2; return 1; }
}
check "DescribeKey by alias answers the key ARN, spec, usage and state" describe

# --------------------------------------------------------------- sender ---
cp "$HERE/message.json" "$WORK/sender/message.json"
sender_sign() {
    (cd "$WORK/sender" &&
        run_as sender kms sign --key-id alias/sample-sign-verify-key \
            --message-type RAW --signing-algorithm ECDSA_SHA_512 \
            --message fileb://message.json \
            --output text --query Signature | base64 --decode >message.sig)
    # A DER ECDSA-Sig-Value: SEQUENCE of two INTEGERs, P-521 sized.
    local len first
    len=$(stat -c %s "$WORK/sender/message.sig")
    first=$(od -An -tx1 -N1 "$WORK/sender/message.sig" | tr -d ' ')
    [[ $first == 30 && $len -ge 130 && $len -le 139 ]] ||
        { echo "signature: first byte $first, $len bytes" >&2; return 1; }
}
check "sender: aws kms sign (RAW, ECDSA_SHA_512) gives a DER signature" sender_sign

sender_tar() {
    (cd "$WORK/sender" && tar -czvf message.tar.gz message.sig message.json >/dev/null)
    local n
    n=$(stat -c %s "$WORK/sender/message.tar.gz")
    [[ $n -le 446 ]] || { echo "message.tar.gz is $n bytes" >&2; return 1; }
}
check "sender: tar -czvf message.tar.gz fits RSA_4096 OAEP-SHA-256 (<= 446 bytes)" sender_tar

sender_encrypt() {
    (cd "$WORK/sender" &&
        run_as sender kms encrypt --key-id alias/sample-encrypt-decrypt-key \
            --encryption-algorithm RSAES_OAEP_SHA_256 \
            --plaintext fileb://message.tar.gz \
            --output text --query CiphertextBlob | base64 --decode >message.enc)
    [[ $(stat -c %s "$WORK/sender/message.enc") -eq 512 ]]
}
check "sender: aws kms encrypt (RSAES_OAEP_SHA_256) gives a 512-byte ciphertext" sender_encrypt

# ------------------------------------------------------------- receiver ---
cp "$WORK/sender/message.enc" "$WORK/receiver/message.enc" 2>/dev/null || true
receiver_decrypt() {
    (cd "$WORK/receiver" &&
        run_as receiver kms decrypt --ciphertext-blob fileb://message.enc \
            --key-id alias/sample-encrypt-decrypt-key \
            --encryption-algorithm RSAES_OAEP_SHA_256 \
            --output text --query Plaintext | base64 --decode >out.tar.gz)
    cmp "$WORK/receiver/out.tar.gz" "$WORK/sender/message.tar.gz"
}
check "receiver: aws kms decrypt gives back message.tar.gz" receiver_decrypt

receiver_untar() {
    (cd "$WORK/receiver" && tar -xzf out.tar.gz)
    cmp "$WORK/receiver/message.json" "$HERE/message.json" &&
        cmp "$WORK/receiver/message.sig" "$WORK/sender/message.sig"
}
check "receiver: tar -xzf gives message.json and message.sig" receiver_untar

receiver_verify() {
    local v
    v=$(cd "$WORK/receiver" &&
        run_as receiver kms verify --key-id alias/sample-sign-verify-key \
            --message-type RAW --signing-algorithm ECDSA_SHA_512 \
            --message fileb://message.json --signature fileb://message.sig \
            --output text --query SignatureValid)
    [[ $v == True ]] || { echo "SignatureValid=$v" >&2; return 1; }
}
check "receiver: aws kms verify says SignatureValid true" receiver_verify

# ---------------------------------------------------------- permissions ---
cd "$WORK/sender"
denied() { # denied PRINCIPAL ACTION aws-args...
    local who=$1 action=$2
    shift 2
    expect_error AccessDeniedException run_as "$who" "$@" || return 1
    grep -q "User: arn:aws:iam::111122223333:user/$who is not authorized to perform: $action on resource: arn:aws:kms:us-east-1:111122223333:key/" "$WORK/aws.err" ||
        { cat "$WORK/aws.err" >&2; return 1; }
}
check "sender cannot decrypt (AccessDeniedException, exit 254)" \
    denied sender kms:Decrypt kms decrypt --ciphertext-blob fileb://message.enc \
    --key-id alias/sample-encrypt-decrypt-key --encryption-algorithm RSAES_OAEP_SHA_256
check "sender cannot verify (AccessDeniedException, exit 254)" \
    denied sender kms:Verify kms verify --key-id alias/sample-sign-verify-key \
    --message-type RAW --signing-algorithm ECDSA_SHA_512 \
    --message fileb://message.json --signature fileb://message.sig
check "receiver cannot sign (AccessDeniedException, exit 254)" \
    denied receiver kms:Sign kms sign --key-id alias/sample-sign-verify-key \
    --message-type RAW --signing-algorithm ECDSA_SHA_512 --message fileb://message.json
check "receiver cannot encrypt (AccessDeniedException, exit 254)" \
    denied receiver kms:Encrypt kms encrypt --key-id alias/sample-encrypt-decrypt-key \
    --encryption-algorithm RSAES_OAEP_SHA_256 --plaintext fileb://message.json
check "sender cannot call GetPublicKey (tutorial policy: Sign and Encrypt only)" \
    denied sender kms:GetPublicKey kms get-public-key --key-id alias/sample-sign-verify-key

# ------------------------------------------------------ signing, errors ---
check "a wrong secret key is refused with InvalidSignatureException" \
    expect_error InvalidSignatureException \
    env AWS_ACCESS_KEY_ID="${AK[sender]}" AWS_SECRET_ACCESS_KEY=wrong-secret \
    "$AWS" --endpoint-url "$EP" --ca-bundle "$CA" kms sign \
    --key-id alias/sample-sign-verify-key --message-type RAW \
    --signing-algorithm ECDSA_SHA_512 --message fileb://message.json
check "an unknown access key is refused with UnrecognizedClientException" \
    expect_error UnrecognizedClientException \
    env AWS_ACCESS_KEY_ID=AKIAUNKNOWNKEY000000 AWS_SECRET_ACCESS_KEY=whatever \
    "$AWS" --endpoint-url "$EP" --ca-bundle "$CA" kms list-aliases

head -c 500 /dev/urandom >"$WORK/big.bin"
too_big() {
    expect_error ValidationException run_as sender kms encrypt \
        --key-id alias/sample-encrypt-decrypt-key \
        --encryption-algorithm RSAES_OAEP_SHA_256 --plaintext "fileb://$WORK/big.bin" &&
        grep -q "cannot encrypt data larger than 446 bytes" "$WORK/aws.err"
}
check "a 500-byte plaintext is refused with ValidationException (limit 446)" too_big

tampered() {
    cp message.sig "$WORK/bad.sig"
    # Flip the last byte of s.
    local n last
    n=$(stat -c %s "$WORK/bad.sig")
    last=$(od -An -tu1 -j $((n - 1)) -N1 "$WORK/bad.sig" | tr -d ' ')
    printf "$(printf '\\%03o' $(((last ^ 1) & 255)))" |
        dd of="$WORK/bad.sig" bs=1 seek=$((n - 1)) conv=notrunc status=none
    ! cmp -s message.sig "$WORK/bad.sig" &&
        expect_error KMSInvalidSignatureException run_as receiver kms verify \
            --key-id alias/sample-sign-verify-key --message-type RAW \
            --signing-algorithm ECDSA_SHA_512 --message fileb://message.json \
            --signature "fileb://$WORK/bad.sig"
}
check "a tampered signature is refused with KMSInvalidSignatureException" tampered

# --------------------------------------------------- public keys, openssl ---
pub_sign() {
    run_as admin kms get-public-key --key-id alias/sample-sign-verify-key \
        --output text --query PublicKey | base64 --decode >"$WORK/signpub.der"
    openssl pkey -pubin -inform DER -in "$WORK/signpub.der" -out "$WORK/pub.pem"
    openssl pkey -pubin -in "$WORK/pub.pem" -noout -text | grep 'NIST CURVE: P-521' >/dev/null
    openssl dgst -sha512 -verify "$WORK/pub.pem" -signature message.sig message.json |
        grep -q 'Verified OK'
}
check "GetPublicKey (P-521) + openssl dgst -sha512 -verify accepts the KMS signature" pub_sign

pub_enc() {
    run_as admin kms get-public-key --key-id alias/sample-encrypt-decrypt-key \
        --output text --query PublicKey | base64 --decode >"$WORK/rsapub.der"
    openssl pkey -pubin -inform DER -in "$WORK/rsapub.der" -out "$WORK/rsapub.pem"
    openssl pkeyutl -encrypt -pubin -inkey "$WORK/rsapub.pem" \
        -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 \
        -pkeyopt rsa_mgf1_md:sha256 -in message.tar.gz -out "$WORK/ossl.enc"
    run_as receiver kms decrypt --ciphertext-blob "fileb://$WORK/ossl.enc" \
        --key-id alias/sample-encrypt-decrypt-key \
        --encryption-algorithm RSAES_OAEP_SHA_256 \
        --output text --query Plaintext | base64 --decode >"$WORK/ossl.out"
    cmp "$WORK/ossl.out" message.tar.gz
}
check "openssl pkeyutl OAEP-SHA-256 ciphertext to the GetPublicKey key decrypts in KMS" pub_enc

sha1_mismatch() {
    expect_error InvalidCiphertextException run_as receiver kms decrypt \
        --ciphertext-blob fileb://message.enc \
        --key-id alias/sample-encrypt-decrypt-key \
        --encryption-algorithm RSAES_OAEP_SHA_1
}
check "decrypt with the wrong OAEP hash is refused with InvalidCiphertextException" sha1_mismatch

# ------------------------------------------------------- control API ---
throttled() {
    ctl POST reset-stats >/dev/null
    ctl POST fault '{"kind":"throttle","count":1,"op":"Encrypt"}' >/dev/null
    run_as sender kms encrypt --key-id alias/sample-encrypt-decrypt-key \
        --encryption-algorithm RSAES_OAEP_SHA_256 \
        --plaintext fileb://message.json --output text --query KeyId >"$WORK/out"
    grep -q "key/$ENC_KEY" "$WORK/out" || return 1
    local s
    s=$(stat_of 's["requests"].get("Encrypt"), s["faults_fired"].get("throttle"), s["errors"].get("ThrottlingException"), s["responses"].get("200")')
    [[ $s == "2 1 1 1" ]] || { echo "stats: $s" >&2; return 1; }
}
check "throttle next Encrypt: the CLI retries and succeeds; stats count 2 calls, 1 throttled" throttled

handshakes() {
    ctl POST reset-stats >/dev/null
    run_as admin kms list-aliases >/dev/null
    local s
    s=$(stat_of 's["tls_handshakes"], s["connections"], s["requests_total"]')
    [[ $s == "1 1 1" ]] || { echo "handshakes, connections, requests: $s" >&2; return 1; }
}
check "stats count TLS handshakes: one aws call = one handshake" handshakes

stale() {
    local rc=0
    "$PY" "$HERE/kmsclient.py" --state-dir "$STATE" call --principal admin \
        --date-offset -400 ListAliases '{}' >"$WORK/out" 2>"$WORK/cl.err" || rc=$?
    [[ $rc -eq 1 ]] && grep -q '"InvalidSignatureException"' "$WORK/out" &&
        grep -q 'Signature expired' "$WORK/out" ||
        { cat "$WORK/out" "$WORK/cl.err" >&2; return 1; }
}
check "a SigV4 date 400 s in the past is refused (Signature expired)" stale

no_token() {
    expect_error UnrecognizedClientException \
        env AWS_ACCESS_KEY_ID="${AK[session]}" AWS_SECRET_ACCESS_KEY="${SK[session]}" \
        "$AWS" --endpoint-url "$EP" --ca-bundle "$CA" kms list-aliases &&
        grep -q 'The security token included in the request is invalid' "$WORK/aws.err"
}
check "session credentials without X-Amz-Security-Token are refused" no_token
with_token() {
    local out
    out=$(run_as session kms describe-key --key-id alias/sample-sign-verify-key \
        --output text --query KeyMetadata.KeyId)
    [[ $out == "$SIGN_KEY" ]]
}
check "session credentials with their token work" with_token

# ------------------------------------------------------------------ STS ---
# The AWS CLI's STS client on the same endpoint: its XML answers parse, and
# KMS takes the temporary credentials as the role under its policy.
ROLE=arn:aws:iam::111122223333:role
# role_env ROLE aws-sts-args...: VAR=VALUE lines of the role's credentials.
role_env() {
    "$@" --output text --query \
        'Credentials.[AccessKeyId,SecretAccessKey,SessionToken,Expiration]' >"$WORK/role.txt"
    read -r R_AK R_SK R_TOK R_EXP <"$WORK/role.txt"
    [[ $R_AK == ASIA* && -n $R_SK && -n $R_TOK && $R_EXP == 20* ]] || {
        echo "credentials not read: $(cut -c1-30 "$WORK/role.txt")" >&2
        return 1
    }
}
as_role() {
    env AWS_ACCESS_KEY_ID="$R_AK" AWS_SECRET_ACCESS_KEY="$R_SK" AWS_SESSION_TOKEN="$R_TOK" \
        "$AWS" --endpoint-url "$EP" --ca-bundle "$CA" "$@"
}
assumed_sender_signs() {
    role_env run_as assumer sts assume-role --role-arn "$ROLE/sender-role" \
        --role-session-name cli || return 1
    local arn
    arn=$(as_role sts get-caller-identity --output text --query Arn)
    [[ $arn == arn:aws:sts::111122223333:assumed-role/sender-role/cli ]] || {
        echo "get-caller-identity: $arn" >&2
        return 1
    }
    as_role kms sign --key-id alias/sample-sign-verify-key --message fileb://"$WORK/sender/message.json" \
        --message-type RAW --signing-algorithm ECDSA_SHA_512 --output text --query KeyId >/dev/null
}
check "aws sts assume-role (assumer -> sender-role): get-caller-identity names the session; kms sign works" \
    assumed_sender_signs
check "  the sender-role session cannot decrypt (AccessDeniedException, exit 254)" \
    expect_error AccessDeniedException as_role kms decrypt --key-id alias/sample-encrypt-decrypt-key \
    --ciphertext-blob fileb://"$WORK/sender/message.enc" \
    --encryption-algorithm RSAES_OAEP_SHA_256
check "aws sts assume-role of a role nobody may assume: AccessDenied, exit 254" \
    expect_error AccessDenied run_as assumer sts assume-role --role-arn "$ROLE/locked-role" \
    --role-session-name cli
web_identity_decrypts() {
    local token
    token=$("$HERE/kmsctl.sh" control "$STATE" POST issue-token \
        '{"sub": "system:serviceaccount:apps:receiver"}' | "$PY" -c \
        'import json, sys; print(json.load(sys.stdin)["token"])')
    role_env "$AWS" --endpoint-url "$EP" --ca-bundle "$CA" --no-sign-request \
        sts assume-role-with-web-identity --role-arn "$ROLE/receiver-role" \
        --role-session-name pod --web-identity-token "$token" || return 1
    as_role kms decrypt --key-id alias/sample-encrypt-decrypt-key \
        --ciphertext-blob fileb://"$WORK/sender/message.enc" \
        --encryption-algorithm RSAES_OAEP_SHA_256 --output text --query Plaintext \
        | base64 -d | cmp - "$WORK/sender/message.tar.gz"
}
check "aws sts assume-role-with-web-identity (receiver-role): kms decrypt gives back message.tar.gz" \
    web_identity_decrypts

# Running (not exited, and not an exited child nobody has reaped yet)?
running() {
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $st && $st != Z && $st != X ]]
}
stop_clean() {
    local pid
    pid=$(cat "$STATE/pid")
    running "$pid" || { echo "server $pid not running before stop" >&2; return 1; }
    "$HERE/kmsctl.sh" stop "$STATE"
    ! running "$pid" && [[ ! -e $STATE/endpoint ]] &&
        ! "$HERE/kmsctl.sh" status "$STATE" 2>/dev/null
}
cd "$WORK"
check "kmsctl.sh stop ends the server process" stop_clean

finished=1
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
