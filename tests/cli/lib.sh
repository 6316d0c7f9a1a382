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
