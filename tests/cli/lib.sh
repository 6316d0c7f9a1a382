# Helpers for tests/cli/run.sh: run a command, then assert on what it did.
# Each check prints one line, "ok   NAME" or "FAIL NAME" and why.

PASSED=0
FAILED=0
OUT=$T/stdout
ERR=$T/stderr

section() { echo "# $1"; }
pass() { PASSED=$((PASSED + 1)); echo "ok   $1"; }
flunk() {
    FAILED=$((FAILED + 1))
    echo "FAIL $1"
    [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     /'
    return 0
}
# tail_of LABEL FILE: the last lines of FILE (control characters made
# visible), so that a failure explains itself from the log alone.
tail_of() {
    if [ ! -s "$2" ]; then
        echo "$1: (empty)"
    else
        echo "$1, last lines:"
        tail -n 12 "$2" | tail -c 1500 | cat -v | sed 's/^/  | /'
    fi
}
# last_run: what the last run did: its exit status, stderr and stdout.
last_run() {
    echo "last run: exit ${rc:-?}"
    tail_of stderr "$ERR"
    tail_of stdout "$OUT"
}
summary() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    exit $?
}

# run CMD...: runs it with stdout and stderr captured; sets rc.
run() {
    "$@" >"$OUT" 2>"$ERR"
    rc=$?
}
# run_in DIR CMD...: the same, run in DIR.
run_in() {
    local dir=$1
    shift
    (cd "$dir" && "$@") >"$OUT" 2>"$ERR"
    rc=$?
}
# notty CMD...: the same in a new session with no controlling terminal, so
# that nothing can prompt on the terminal running the tests.
notty() { run setsid -w "$@"; }

# check NAME CMD...: passes if CMD succeeds.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else flunk "$name" "failed: $*
$(last_run)"; fi
}

# succeeded NAME [STDERR_REGEX]: the last run exited 0 (and said that).
succeeded() {
    local name=$1 re=${2:-}
    if [ "$rc" -ne 0 ]; then
        flunk "$name" "exit $rc, want 0
$(tail_of stderr "$ERR")"
    elif [ -n "$re" ] && ! grep -Eq -- "$re" "$ERR"; then
        flunk "$name" "stderr lacks /$re/
$(tail_of stderr "$ERR")"
    else
        pass "$name"
    fi
}

# failed NAME RC REGEX [PATH...]: the last run exited RC, wrote one line
# matching REGEX to stderr and nothing to stdout, and left none of PATHs.
failed() {
    local name=$1 want=$2 re=$3 why="" p
    shift 3
    if [ "$rc" -ne "$want" ]; then
        why="exit $rc, want $want"
    elif [ "$(wc -l <"$ERR")" -ne 1 ]; then
        why="stderr has $(wc -l <"$ERR") lines, want 1"
    elif ! grep -Eq -- "$re" "$ERR"; then
        why="stderr lacks /$re/"
    elif [ -s "$OUT" ]; then
        why="stdout is not empty"
    else
        for p in "$@"; do [ -e "$p" ] && why="left $p behind"; done
    fi
    if [ -z "$why" ]; then pass "$name"; else flunk "$name" "$why
$(last_run)"; fi
}

mode() { stat -c %a "$1"; }
same() { cmp -s "$1" "$2"; }
# The fingerprint of a key as openssl computes it: SHA-256 of the SPKI DER.
fingerprint() {
    echo "sha256:$(openssl pkey -pubin -in "$1" -outform DER 2>/dev/null | sha256sum | cut -c1-64)"
}
# fingerprint_shown PUB: the fingerprint as keygen, pubkey and inspect show
# it, followed by its short form: the first 16 hex digits in groups of four.
fingerprint_shown() {
    local fp
    fp=$(fingerprint "$1")
    echo "$fp (${fp:7:4}-${fp:11:4}-${fp:15:4}-${fp:19:4})"
}
# flip FILE OFFSET: inverts the bits of one byte (negative: from the end).
flip() {
    "$PY" - "$1" "$2" <<'PYEOF'
import sys
path, off = sys.argv[1], int(sys.argv[2])
data = bytearray(open(path, "rb").read())
data[off] ^= 0xFF
open(path, "wb").write(data)
PYEOF
}
# entries DIR: how many names DIR holds.
entries() { ls -A "$1" | wc -l; }

# KMS test servers (tests/kms-server), stopped by cleanup.
KMSCTL=$TOP/tests/kms-server/kmsctl.sh
KMS_DIRS=""
# kms_start DIR SEED_JSON: starts a server with the keys of SEED_JSON and the
# tutorial's principals; sets EP (its https:// endpoint) and KMS_CA. Fails
# the check "KMS test server starts" and returns 1 if it does not start.
kms_start() {
    KMS_DIRS="$KMS_DIRS $1"
    EP=$(KMS_SERVER_MAX_LIFETIME=900 "$KMSCTL" start "$1" --seed "$2" 2>"$1.err")
    KMS_CA=$1/ca.pem
    if [ -z "$EP" ]; then
        flunk "KMS test server starts" "$(cat "$1.err")"
        return 1
    fi
}
# as PRINCIPAL CMD...: run CMD with only that principal's credentials (of
# tests/kms-server/principals.json) and the last started server's endpoint.
as() {
    local who=$1 id secret
    shift
    case $who in
    sender) id=AKIAKMSTESTSENDER001 secret=kms-test/sender/SECRET/0000000000000000000 ;;
    receiver) id=AKIAKMSTESTRECEIVER1 secret=kms-test/receiver/SECRET/00000000000000000 ;;
    receiver-plus) id=AKIAKMSTESTRECVPLUS1 secret=kms-test/receiver-plus/SECRET/000000000000 ;;
    nobody) id=AKIAKMSTESTNOBODY001 secret=kms-test/nobody/SECRET/0000000000000000000 ;;
    *) echo "as: unknown principal $who" >&2; return 2 ;;
    esac
    run env -i PATH="$PATH" HOME="$T" TMPDIR="${TMPDIR:-/tmp}" AWS_REGION=us-east-1 \
        AWS_CA_BUNDLE="$KMS_CA" AWS_ENDPOINT_URL_KMS="$EP" AWS_EC2_METADATA_DISABLED=true \
        AWS_ACCESS_KEY_ID=$id AWS_SECRET_ACCESS_KEY=$secret "$@"
}
cleanup() {
    local d
    for d in $KMS_DIRS; do "$KMSCTL" stop "$d" >/dev/null 2>&1; done
    rm -rf "$T"
}
