# Durability: an output is flushed (fsync) before it gets its name, and its
# directory after, so that a power loss cannot leave the name on an empty
# file. The trace_sync.c shim records the order of fsync, link and rename.

DUR=$T/durability
# Under `make asan` the shims come before the ASan runtime: allowed here.
SHIM_ASAN=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
mkdir "$DUR"
TRACER=$DUR/trace_sync.so
cc -shared -fPIC -o "$TRACER" "$HERE/trace_sync.c" -ldl 2>"$ERR" ||
    flunk "the trace shim builds" "$(cat "$ERR")"
NOTMP=$DUR/no_tmpfile.so
cc -shared -fPIC -o "$NOTMP" "$HERE/no_tmpfile.c" -ldl 2>"$ERR" ||
    flunk "the no-O_TMPFILE shim builds" "$(cat "$ERR")"
head -c 5000 /dev/urandom >"$DUR/msg"
"$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -q -o "$DUR/msg.enc" "$DUR/msg"

# synced NAME WANT PRELOAD OPEN_ARGS...: opens msg.enc with the tracer (and
# PRELOAD) and checks the calls came in the order WANT.
synced() {
    local name=$1 want=$2 preload=$3 got
    shift 3
    rm -f "$DUR/trace"
    run env ASAN_OPTIONS="$SHIM_ASAN" TRACE_SYNC="$DUR/trace" LD_PRELOAD="$preload $TRACER" \
        "$E" open \
        --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -q "$@" "$DUR/msg.enc"
    got=$(tr '\n' ' ' <"$DUR/trace" 2>/dev/null)
    if [ "$rc" -ne 0 ]; then
        flunk "$name" "exit $rc; stderr: $(cat "$ERR")"
    elif [ "$got" != "$want " ]; then
        flunk "$name" "calls '$got', want '$want'"
    else
        pass "$name"
    fi
}

synced "open -o: fsync, link, fsync of the directory" "fsync link fsync" "" -o "$DUR/a"
synced "open -o --force: fsync, link, rename, fsync of the directory" \
    "fsync link rename fsync" "" -o "$DUR/a" --force
synced "open -o, no O_TMPFILE: fsync, link, fsync of the directory" "fsync link fsync" \
    "$NOTMP" -o "$DUR/b"
# the message, manifest.json, manifest.sig, the directory; rename; its parent
synced "open --extract: every file and the directory flushed before the rename" \
    "fsync link fsync fsync fsync rename fsync" "" --extract "$DUR/c"
synced "open --extract, no O_TMPFILE: the same" "fsync fsync fsync fsync rename fsync" \
    "$NOTMP" --extract "$DUR/d"
check "the flushed outputs hold the message" bash -c 'cmp -s "$1/a" "$1/msg" &&
    cmp -s "$1/b" "$1/msg" && cmp -s "$1/c/msg" "$1/msg" && cmp -s "$1/d/msg" "$1/msg"' \
    _ "$DUR"
