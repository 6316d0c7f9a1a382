# The KMS suites' check harness (sourced by run.sh and sts.sh): one line per
# check, never aborting. Uses the suite's $WORK, $ERR (the stderr of the
# last command under test), $rc (its exit status) and the counters $passed
# and $failed; ctl and reset_stats talk to the server of $STATE.

ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() {
    echo "FAIL $1"
    failed=$((failed + 1))
    echo "     | the last command under test exited $rc; its stderr ends:"
    tail -n 6 "$ERR" | sed 's/^/     | /'
}
# check DESCRIPTION COMMAND...: a failure shows the check's command with the
# values it compared, what the check printed, and the exit status and
# stderr of the command under test.
check() {
    local desc=$1 st
    shift
    "$@" >"$WORK/check.out" 2>&1
    st=$?
    if [[ $st -eq 0 ]]; then
        ok "$desc"
        return
    fi
    bad "$desc"
    printf '     | the check (exit %d): %s\n' "$st" "$(printf '%q ' "$@" | cut -c1-600)"
    tail -n 4 "$WORK/check.out" | sed 's/^/     | /'
}
# is DESC GOT WANT: an exact comparison, both values shown on failure.
is() { check "$1" test "$2" = "$3"; }

ctl() { "$KMSCTL" control "$STATE" "$@"; }
reset_stats() { ctl POST reset-stats >/dev/null; }
