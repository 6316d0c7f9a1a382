#!/bin/sh
# Seal and open from 8 threads at once with shared keys, the library and
# the test built with ThreadSanitizer (clang-14 -fsanitize=thread): local
# keys, and awskms:// keys (a P-521 and an RSA key) on the KMS test server
# (tests/kms-server), started here and stopped on exit. Without the
# server's Python packages (python3-cryptography, python3-botocore) the KMS
# part is skipped, and says so.
#
#   tests/threads/run.sh [BUILD_DIR] [ROUNDS]     default build-tsan, 3 rounds
set -eu
B=${1:-build-tsan}
ROUNDS=${2:-3}
cd "$(dirname "$0")/../.."
CC=${TSAN_CC:-clang-14}
command -v "$CC" >/dev/null 2>&1 ||
    { echo "threads: $CC not found (Debian: apt-get install clang-14)" >&2; exit 1; }
PKGS="libcrypto libarchive json-c"
make --no-print-directory -s B="$B" CC="$CC" OPT="-O1 -g -fno-omit-frame-pointer" \
    HARDEN="-fPIC" EXTRA_CFLAGS="-fsanitize=thread" EXTRA_LDFLAGS="-fsanitize=thread" \
    "$B/libenvelope.a"
mkdir -p "$B/threads"
$CC -std=c11 -O1 -g -fno-omit-frame-pointer -fsanitize=thread -Wall -Wextra -Iinclude \
    $(pkg-config --cflags $PKGS) -o "$B/threads/threads" tests/threads/threads.c \
    "$B/libenvelope.a" $(pkg-config --libs $PKGS) -lpthread
scratch=$(mktemp -d "${TMPDIR:-/tmp}/envelope-threads.XXXXXX")
KMSCTL=tests/kms-server/kmsctl.sh
trap '"$KMSCTL" stop "$scratch/kms" >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT
trap 'exit 1' HUP INT TERM

# Only the test server, only with the admin's credentials: nothing from the
# environment or ~/.aws reaches the library.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL \
    AWS_DEFAULT_REGION AWS_USE_FIPS_ENDPOINT AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
    AWS_CONTAINER_CREDENTIALS_FULL_URI THREADS_KMS_SIGN THREADS_KMS_ENCRYPT THREADS_KMS_SIGN_ARN
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true
if ${PYTHON:-/usr/bin/python3} -c 'import cryptography, botocore' 2>/dev/null; then
    SIGN_ID=7b1e0000-0000-4000-8000-000000000001
    SIGN_ARN=arn:aws:kms:us-east-1:111122223333:key/$SIGN_ID
    # Fresh key material, made by the server: P-521 and RSA-3072.
    cat >"$scratch/seed.json" <<JSON
{"keys": [
  {"key_spec": "ECC_NIST_P521", "key_usage": "SIGN_VERIFY", "key_id": "$SIGN_ID",
   "aliases": ["alias/threads-sign"]},
  {"key_spec": "RSA_3072", "key_usage": "ENCRYPT_DECRYPT",
   "aliases": ["alias/threads-encrypt"]}
]}
JSON
    EP=$(KMS_SERVER_MAX_LIFETIME=1800 "$KMSCTL" start "$scratch/kms" --seed "$scratch/seed.json")
    case $EP in
    https://127.0.0.1:*) ;;
    *) echo "threads: the KMS test server did not start" >&2; exit 1 ;;
    esac
    export AWS_ENDPOINT_URL_KMS="$EP" AWS_CA_BUNDLE="$scratch/kms/ca.pem" AWS_REGION=us-east-1
    export AWS_ACCESS_KEY_ID=AKIAKMSTESTADMIN0001
    export AWS_SECRET_ACCESS_KEY=kms-test/admin/SECRET/00000000000000000000
    # The signing key by its ARN, the encryption key by its alias.
    export THREADS_KMS_SIGN="awskms:///$SIGN_ARN" THREADS_KMS_SIGN_ARN="$SIGN_ARN"
    export THREADS_KMS_ENCRYPT=awskms:///alias/threads-encrypt
else
    echo "threads: no python3-cryptography or python3-botocore: KMS keys skipped" >&2
fi
status=0
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
    "$B/threads/threads" tests/keys "$scratch" "$ROUNDS" || status=$?
# 1: a check failed (FAIL lines above); 66: ThreadSanitizer's report above;
# above 128: killed by a signal.
[ $status -eq 0 ] || echo "threads: FAIL, exit status $status" >&2
exit $status
