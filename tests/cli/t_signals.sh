# Signals and plaintext at rest. open interrupted while it reads its input
# leaves nothing in the output's directory, with O_TMPFILE there and
# without it (the no_tmpfile.c shim, as on NFS, CIFS or vfat), and the
# command dies of the signal it got; spools hold no plaintext.
# interrupt.py feeds the input through a pipe and acts only once the
# command has read what it was given and is blocked on the rest.

SIG=$T/signals
# Under `make asan` the shim comes before the ASan runtime: allowed here.
SHIM_ASAN=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
mkdir "$SIG" "$SIG/out" "$SIG/tmp" "$SIG/dump"
SHIM=$SIG/no_tmpfile.so
if cc -shared -fPIC -o "$SHIM" "$HERE/no_tmpfile.c" -ldl 2>"$ERR"; then
    pass "the no-O_TMPFILE shim builds"
else
    flunk "the no-O_TMPFILE shim builds" "$(cat "$ERR")"
fi
# About 320 KB of recognisable lines: five payload chunks.
$PY -c 'import sys; sys.stdout.write("".join("PLAINTEXT-MARKER line %06d\n" % i for i in range(12000)))' \
    >"$SIG/msg"
"$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -q -o "$SIG/msg.enc" "$SIG/msg"
ENV=$SIG/msg.enc
SIZE=$(stat -c %s "$ENV")

# interrupted SHIM MODE SIGNAL AT: runs open (MODE -o or --extract) with
# the first AT bytes of the envelope, then SIGNAL; checks the fate and that
# the output directory and $TMPDIR are as empty as before.
interrupted() {
    local shim=$1 mode=$2 sig=$3 at=$4 fate want name left
    local target=out
    [ "$mode" = --extract ] && target=dir
    name="open $mode, $sig after $at of $SIZE bytes${shim:+, no O_TMPFILE}"
    fate=$(cd "$SIG/out" && ASAN_OPTIONS=$SHIM_ASAN LD_PRELOAD=$shim TMPDIR=$SIG/tmp \
        "$PY" "$HERE/interrupt.py" \
        "$ENV" "$at" "$sig" "$E" open --decrypt-key "$K/alice.pem" \
        --verify-key "$K/signer.pub" -q "$mode" "$target" 2>"$ERR")
    want="signal $($PY -c "import signal; print(int(signal.$sig))")"
    left=$(ls -A "$SIG/out" "$SIG/tmp" | grep -v ':$' | grep -v '^$')
    if [ "$fate" != "$want" ]; then
        flunk "$name: dies of the signal" "fate '$fate', want '$want'; stderr: $(tail -c 300 "$ERR")"
    elif [ -n "$left" ]; then
        flunk "$name: leaves nothing" "left: $left"
    else
        pass "$name: dies of it, leaves nothing"
    fi
    rm -rf "$SIG/out" "$SIG/tmp"
    mkdir "$SIG/out" "$SIG/tmp"
}

for shim in "" "$SHIM"; do
    for mode in -o --extract; do
        for sig in SIGINT SIGTERM SIGKILL; do
            # nothing yet, inside the header, inside the payload, near the end
            for at in 0 10 100000 $((SIZE - 100)); do
                interrupted "$shim" "$mode" "$sig" "$at"
            done
        done
    done
    interrupted "$shim" -o SIGHUP 100000
done

# A message large enough to be hashed on a second thread: the signal must
# still stop the read the main thread is blocked in.
head -c 3000000 /dev/urandom >"$SIG/big"
"$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -q -o "$SIG/big.enc" "$SIG/big"
ENV=$SIG/big.enc
SIZE=$(stat -c %s "$ENV")
for shim in "" "$SHIM"; do
    interrupted "$shim" -o SIGINT 2000000
    interrupted "$shim" --extract SIGTERM 2000000
done

# spooled NAME WANT_SPOOLS FILE CMD...: runs CMD fed with FILE and, while
# it waits for the last 1000 bytes, reads the spools it holds in $TMPDIR:
# there must be WANT_SPOOLS, not empty, and none may hold the message's text.
spooled() {
    local name=$1 want=$2 file=$3 at report found
    shift 3
    at=$(($(stat -c %s "$file") - 1000))
    rm -f "$SIG/dump"/*
    report=$(cd "$SIG/out" && ASAN_OPTIONS=$SHIM_ASAN LD_PRELOAD=${SHIMMED:-} TMPDIR=$SIG/tmp "$PY" \
        "$HERE/interrupt.py" "$file" "$at" --spool "$SIG/dump" "$@" 2>"$ERR")
    found=$(grep -l PLAINTEXT-MARKER "$SIG/dump"/* 2>/dev/null)
    if [ "$report" != "spools $want"$'\n'"exit 0" ]; then
        flunk "$name" "saw '$report', want 'spools $want' and 'exit 0'; stderr: $(tail -c 300 "$ERR")"
    elif [ -n "$found" ]; then
        flunk "$name" "plaintext in the spool: $(head -c 80 "$found")"
    elif [ "$want" -gt 0 ] && [ ! -s "$SIG/dump/spool0" ]; then
        flunk "$name" "the spool read back empty"
    else
        pass "$name"
    fi
}

spooled "open to stdout: its spool holds only ciphertext" 1 "$SIG/msg.enc" \
    sh -c 'exec "$@" >../opened' sh \
    "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -q
check "open to stdout through the spool: the message, whole" cmp -s "$SIG/opened" "$SIG/msg"
rm -f "$SIG/opened"
SHIMMED=$SHIM spooled "open -o, no O_TMPFILE: its spool holds only ciphertext" 1 "$SIG/msg.enc" \
    "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -q -o opened
check "open -o, no O_TMPFILE: the message, whole" cmp -s "$SIG/out/opened" "$SIG/msg"
rm -f "$SIG/out/opened"
spooled "seal from a pipe: its spool holds only ciphertext" 1 "$SIG/msg" \
    "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -q -o sealed.enc
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -q -o "$SIG/resealed" \
    "$SIG/out/sealed.enc"
check "seal from a pipe through the encrypted spool: opens to the message" \
    cmp -s "$SIG/resealed" "$SIG/msg"
rm -f "$SIG/out/sealed.enc"

fate=$(cd "$SIG/out" && TMPDIR=$SIG/tmp "$PY" "$HERE/interrupt.py" "$SIG/msg" 100000 SIGINT \
    "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -q -o sealed.enc 2>"$ERR")
left=$(ls -A "$SIG/out" "$SIG/tmp" | grep -v ':$' | grep -v '^$')
check "seal from a pipe, SIGINT: dies of it, leaves nothing (fate '$fate', left '$left')" \
    test "$fate" = "signal 2" -a -z "$left"

# An output that cannot be made is refused before the input is read, also
# where it would be made only after verification: a truncated envelope
# would otherwise fail as truncated (exit 1), not as the output (exit 4).
head -c 5000 "$SIG/msg.enc" >"$SIG/cut.enc"
mkdir "$SIG/ro" && chmod 555 "$SIG/ro"
for shim in "" "$SHIM"; do
    for target in "-o $SIG/nodir/out" "--extract $SIG/nodir/dir"; do
        run env ASAN_OPTIONS="$SHIM_ASAN" LD_PRELOAD="$shim" "$E" open \
            --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" $target "$SIG/cut.enc"
        failed "open $target${shim:+, no O_TMPFILE}: refused before reading, exit 4" 4 \
            "No such file or directory" "$SIG/nodir"
    done
    if [ "$(id -u)" != 0 ]; then
        run env ASAN_OPTIONS="$SHIM_ASAN" LD_PRELOAD="$shim" "$E" open \
            --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o "$SIG/ro/out" "$SIG/cut.enc"
        failed "open -o into a read-only directory${shim:+, no O_TMPFILE}: exit 4" 4 \
            "Permission denied" "$SIG/ro/out"
    fi
done

# A reader that stops early: open and seal to stdout die of SIGPIPE, as
# before, and say nothing about it.
status=$(bash -c '"$1" open --decrypt-key "$2/alice.pem" --verify-key "$2/signer.pub" -q "$3" \
    2>"$4" | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}"' _ "$E" "$K" "$SIG/big.enc" "$ERR")
check "open to a closed pipe: dies of SIGPIPE (status $status), says nothing" \
    test "$status" = 141 -a ! -s "$ERR"
status=$(bash -c '"$1" seal --sign-key "$2/signer.pem" --to "$2/alice.pub" -q "$3" \
    2>"$4" | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}"' _ "$E" "$K" "$SIG/big" "$ERR")
check "seal to a closed pipe: dies of SIGPIPE (status $status), says nothing" \
    test "$status" = 141 -a ! -s "$ERR"
