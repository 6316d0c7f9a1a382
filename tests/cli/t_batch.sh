# Batch mode (--out-dir): many inputs, one output each in DIR, -j workers.
# The same results with -j 1 and -j 2; inputs from --files-from (lines,
# --null, stdin); output names decided in input order whatever the timing;
# existing files and --force; each class of bad input among good ones, with
# its own line, the summary and the highest exit status, and nothing left
# for it; names that would leave DIR; signals; --json as JSON Lines; the
# grouped flushes; usage errors.

BT=$T/batch
mkdir "$BT" "$BT/in" && cd "$BT" || return 0
SEAL=("$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub")
OPEN=("$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub")
# 12 messages of 1 KiB to 100 KiB, named m00 ... m11.
for i in $(seq 0 11); do
    head -c $((1024 + i * 9000)) /dev/urandom >"in/m$(printf %02d "$i")"
done
INPUTS=(in/m00 in/m01 in/m02 in/m03 in/m04 in/m05 in/m06 in/m07 in/m08 in/m09 in/m10 in/m11)

# no_temp NAME DIR: no hidden temporary name of the batch mode is left.
no_temp() {
    local left
    left=$(ls -A "$2" | grep -E '^\.envelope-|\.tmp$')
    if [ -n "$left" ]; then flunk "$1" "left: $left"; else pass "$1"; fi
}
# lines NAME REGEX COUNT: stderr has COUNT lines matching REGEX.
lines() {
    local n
    n=$(grep -Ec -- "$2" "$ERR")
    if [ "$n" -ne "$3" ]; then flunk "$1" "$n lines match /$2/, want $3
$(last_run)"; else pass "$1"; fi
}
# opened_all NAME DIR: every message of in/ was opened into DIR, intact.
opened_all() {
    local f bad=""
    for f in "${INPUTS[@]}"; do cmp -s "$f" "$2/${f#in/}" || bad="$bad ${f#in/}"; done
    if [ -z "$bad" ]; then pass "$1"; else flunk "$1" "differ or missing:$bad"; fi
}

# ------------------------------------------------ -j 1 and -j 2 agree

mkdir s1 s2 o1 o2
run "${SEAL[@]}" -j 1 --out-dir s1 "${INPUTS[@]}"
succeeded "batch seal -j 1: exit 0" "^envelope: sealed 12 of 12 inputs into s1, 0 failed$"
lines "batch seal -j 1: one line per input" "^envelope: sealed in/m[0-9]+ -> s1/m[0-9]+\.env$" 12
sed 's/s1/DIR/' "$ERR" >err.j1
run "${SEAL[@]}" -j 2 --out-dir s2 "${INPUTS[@]}"
succeeded "batch seal -j 2: exit 0" "sealed 12 of 12 inputs into s2"
sed 's/s2/DIR/' "$ERR" >err.j2
check "batch seal: -j 1 and -j 2 say the same, in input order" cmp err.j1 err.j2
check "batch seal: NAME.env for each input, nothing else" \
    test "$(ls -A s1 | tr '\n' ' ')" = "$(ls -A s2 | tr '\n' ' ')" -a "$(entries s1)" -eq 12
run "${OPEN[@]}" -j 1 --out-dir o1 s1/*.env
succeeded "batch open -j 1: exit 0" "^envelope: opened 12 of 12 inputs into o1, 0 failed$"
opened_all "batch open -j 1: every message, under its manifest name" o1
run "${OPEN[@]}" -j 2 --out-dir o2 s2/*.env
succeeded "batch open -j 2: exit 0" "opened 12 of 12 inputs into o2"
opened_all "batch open -j 2: every message" o2
check "batch open: -j 1 and -j 2 make the same files" diff -r o1 o2
mkdir oq
run "${OPEN[@]}" --quiet --out-dir oq/ s1/m00.env s1/m01.env
check "--quiet: nothing said when every input succeeded" test "$rc" -eq 0 -a ! -s "$ERR" -a -s oq/m00
run "${OPEN[@]}" --quiet --json --out-dir oq/ s1/m02.env s1/m00.env
check "--quiet: the failure and the summary only; DIR/ named without a double slash" bash -c '
    [ '"$rc"' -eq 4 ] && [ "$(wc -l <"$1")" -eq 2 ] &&
    grep -q "^envelope: s1/m00.env: output already exists (oq/m00: already exists; --force replaces it)$" "$1" &&
    grep -q "^envelope: opened 1 of 2 inputs into oq/, 1 failed$" "$1" &&
    grep -q "\"output\":\"oq/m02\"" "$2"' _ "$ERR" "$OUT"
run "${OPEN[@]}" --out-dir o3 s1/m00.env
failed "batch: DIR must exist" 4 "^envelope: --out-dir o3: No such file or directory$"
no_temp "batch: no temporary name left in s1" s1
no_temp "batch: no temporary name left in o2" o2

# ------------------------------------------------------- --files-from

mkdir ff1 ff2 ff3 "in/with space"
printf 'line one\n' >"in/with space/a b"
printf 'two\nlines\n' >"in/nl
name"
printf '%s\n' in/m00 "" "in/with space/a b" in/m01 >list.txt
run "${SEAL[@]}" --out-dir ff1 --files-from list.txt in/m02
succeeded "--files-from: operands, then the list's lines (blank ones skipped)" \
    "sealed 4 of 4 inputs"
check "--files-from: in that order" bash -c 'grep -E "^envelope: sealed" "$1" | head -4 |
    cut -d" " -f3- | tr "\n" "|" | grep -qx "in/m02 -> ff1/m02.env|in/m00 -> ff1/m00.env|in/with space/a b -> ff1/a b.env|in/m01 -> ff1/m01.env|"' _ "$ERR"
printf 'in/m03\0in/nl\nname\0in/m04' >list0
run "${SEAL[@]}" --out-dir ff2 --files-from list0 --null
check "--files-from --null: a name holding a newline is one name (which no message may have)" \
    bash -c '[ '"$rc"' -eq 2 ] && grep -q "^envelope: in/nl\\\\x0Aname: message name not allowed (.nl\\\\x0Aname.: a message name must not contain control characters" "$1" &&
    grep -q "^envelope: sealed 2 of 3 inputs into ff2, 1 failed$" "$1" && [ -s ff2/m03.env ] && [ -s ff2/m04.env ]' _ "$ERR"
cp s1/m05.env "in/e
v.env"
printf 'in/e\nv.env\0s1/m06.env' >list1
mkdir ffo
run "${OPEN[@]}" --out-dir ffo --files-from list1 --null
succeeded "--files-from --null: an envelope whose name holds a newline, the last name unterminated" \
    "opened 2 of 2 inputs"
check "--null: opened under the manifests' names" bash -c 'cmp -s ffo/m05 in/m05 && cmp -s ffo/m06 in/m06'
run "${SEAL[@]}" --out-dir ff3 --files-from - <list.txt
succeeded "--files-from -: the list from stdin" "sealed 3 of 3 inputs"
run "${SEAL[@]}" --out-dir ff3 --files-from list0
failed "--files-from: a NUL in a line list is refused" 2 "holds a NUL byte; is it a list for --null\?"
run "${SEAL[@]}" --out-dir ff3 --files-from nolist
failed "--files-from: a missing list" 4 "nolist: No such file or directory"
run "${SEAL[@]}" --out-dir ff3 --null in/m00
failed "--null without --files-from" 2 "give both"

# --------------------------- names decided in input order, not by timing

# big/x is large and comes first, small/x is tiny and second: with -j 2 the
# second finishes first, every time, and must still lose.
mkdir big small
head -c 3000000 /dev/urandom >big/x
printf 'small\n' >small/x
order_ok=1
for i in 1 2 3 4 5 6 7 8; do
    rm -rf race && mkdir race
    run "${SEAL[@]}" -j 2 --out-dir race big/x small/x
    if [ "$rc" -ne 4 ] || ! grep -q "^envelope: sealed big/x -> race/x.env$" "$ERR" ||
        ! grep -q "^envelope: small/x: output already exists (race/x.env was made from an earlier input of this run)$" "$ERR" ||
        [ "$(entries race)" -ne 1 ]; then
        order_ok=0
        break
    fi
done
check "batch seal -j 2, 8 runs: the first input's name wins, the later one fails (exit 4)" \
    test "$order_ok" -eq 1
run "${OPEN[@]}" -o race.x race/x.env
check "batch seal: the name holds the first input's message" cmp -s race.x big/x
rm -rf race && mkdir race
run "${SEAL[@]}" -j 2 --force --out-dir race big/x small/x
check "--force does not let a later input replace an earlier one's output" \
    bash -c '[ '"$rc"' -eq 4 ] && grep -q "small/x: output already exists (race/x.env was made from an earlier input" "$1"' _ "$ERR"
# open: two envelopes of messages both named "dup", the first one large.
mkdir dups odup
cp big/x dups/dup && "${SEAL[@]}" -q -o dups/1.env dups/dup
cp small/x dups/dup && "${SEAL[@]}" -q -o dups/2.env dups/dup
order_ok=1
for i in 1 2 3 4 5 6 7 8; do
    rm -rf odup && mkdir odup
    run "${OPEN[@]}" -j 2 --force --out-dir odup dups/1.env dups/2.env
    if [ "$rc" -ne 4 ] || ! cmp -s odup/dup big/x || [ "$(entries odup)" -ne 1 ] ||
        ! grep -q "^envelope: dups/2.env: output already exists (odup/dup was made from an earlier input of this run)$" "$ERR"; then
        order_ok=0
        break
    fi
done
check "batch open -j 2 --force, 8 runs: the first envelope's name wins" test "$order_ok" -eq 1

# ------------------------------------------------------ existing files

cp s1/m05.env keep.env
run "${SEAL[@]}" --out-dir s1 in/m05 in/m06
check "existing outputs: each input fails, exit 4" bash -c '[ '"$rc"' -eq 4 ] &&
    grep -q "^envelope: in/m05: output already exists (s1/m05.env: already exists; --force replaces it)$" "$1" &&
    grep -q "^envelope: sealed 0 of 2 inputs into s1, 2 failed$" "$1"' _ "$ERR"
check "existing outputs: left as they were" cmp -s s1/m05.env keep.env
no_temp "existing outputs: no temporary name left" s1
run "${SEAL[@]}" --out-dir s1 --force in/m05 in/m06
succeeded "--force replaces existing outputs" "sealed 2 of 2 inputs"
check "--force: a new envelope in place" bash -c '! cmp -s s1/m05.env keep.env'
# No output may replace an input, even with --force: x is an input and
# also the output of opening an envelope of a message named x.
mkdir self && cp big/x self/x && "${SEAL[@]}" -q -o self/x.env self/x
cp self/x self.orig
run "${OPEN[@]}" --force --out-dir self self/x.env self/x
check "--force never replaces an input of the run" bash -c '[ '"$rc"' -eq 4 ] &&
    grep -q "self/x.env: output already exists (self/x is an input or a key of this run)" "$1" &&
    cmp -s self/x self.orig' _ "$ERR"

# ------------------------------------------- bad inputs among good ones

mkdir bad bad/adir ob
cp s1/m00.env bad/good1.env && cp s1/m01.env bad/good2.env && cp s1/m02.env bad/tampered.env
flip bad/tampered.env 2000
printf 'just some text\n' >bad/text.env
"$E" seal -q --sign-key "$K/other-signer.pem" --to "$K/alice.pub" -o bad/stranger.env in/m03
"$E" seal -q --sign-key "$K/signer.pem" --to "$K/bob.pub" -o bad/tobob.env in/m04
run "${OPEN[@]}" -j 2 --out-dir ob bad/good1.env bad/tampered.env bad/missing.env bad/adir \
    bad/text.env bad/stranger.env bad/tobob.env bad/good2.env
check "a bad input among good ones: the highest status (4)" test "$rc" -eq 4
lines "bad inputs: one line each, in input order" \
    "^envelope: (opened bad/good1.env -> ob/m00|bad/tampered.env: .*|bad/missing.env: input/output error \(No such file or directory\)|bad/adir: input/output error \(is a directory\)|bad/text.env: not an envelope.*|bad/stranger.env: signature does not verify under any --verify-key.*|bad/tobob.env: envelope not addressed to the --decrypt-key.*|opened bad/good2.env -> ob/m01)$" 8
check "bad inputs: in input order" bash -c 'head -8 "$1" | cut -d" " -f2-3 | tr "\n" "|" |
    grep -qx "opened bad/good1.env|bad/tampered.env: .*|bad/missing.env: .*|bad/adir: .*|bad/text.env: .*|bad/stranger.env: .*|bad/tobob.env: .*|opened bad/good2.env|"' _ "$ERR"
lines "bad inputs: the summary" "^envelope: opened 2 of 8 inputs into ob, 6 failed$" 1
check "bad inputs: only the good ones' outputs" \
    test "$(ls -A ob | tr '\n' ' ')" = "m00 m01 "
run "${OPEN[@]}" --out-dir ob --force bad/tampered.env bad/text.env
check "only rejected envelopes: exit 1" test "$rc" -eq 1 -a "$(entries ob)" -eq 2
mkdir sb && : >.hidden
run "${SEAL[@]}" --out-dir sb in/m00 .hidden
failed_name=0
grep -q "^envelope: .hidden: message name not allowed ('.hidden': a message name must not start with '.': seal it alone with --name)$" "$ERR" && failed_name=1
check "batch seal: a base name that cannot name a message fails that input (exit 2)" \
    test "$rc" -eq 2 -a "$failed_name" -eq 1 -a "$(entries sb)" -eq 1

# Compat envelopes: refused without --allow-compat; with it, each one's
# line comes with the warning that one input would get, --quiet or not.
mkdir compat oc1 oc2
printf 'first\n' >compat/c1 && printf 'second\n' >compat/c2
"$E" seal -q --format compat --sign-key "$K/signer.pem" --to "$K/dave.pub" -o compat/c1.enc compat/c1
"$E" seal -q --format compat --sign-key "$K/signer.pem" --to "$K/dave.pub" -o compat/c2.enc compat/c2
"$E" seal -q --sign-key "$K/signer.pem" --to "$K/dave.pub" -o compat/v1.env in/m00
CO=("$E" open --decrypt-key "$K/dave.pem" --verify-key "$K/signer.pub")
run "${CO[@]}" --out-dir oc1 compat/c1.enc compat/v1.env
check "batch open: a compat envelope without --allow-compat fails alone (exit 1)" bash -c '
    [ '"$rc"' -eq 1 ] && grep -q "^envelope: compat/c1.enc: compat envelope refused" "$1" &&
    [ "$(ls -A oc1 | tr "\n" " ")" = "m00 " ]' _ "$ERR"
run "${CO[@]}" --allow-compat --quiet --out-dir oc2 compat/c1.enc compat/v1.env compat/c2.enc
check "batch open --allow-compat --quiet: the compat warning for each compat input, not for v1" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$(grep -c "warning" "$1")" -eq 2 ] &&
    grep -q "^envelope: warning: compat/c1.enc: compat envelope: its signature is not bound to its recipients" "$1" &&
    grep -q "^envelope: warning: compat/c2.enc: compat envelope: its signature is not bound to its recipients" "$1" &&
    cmp -s oc2/c1 compat/c1 && cmp -s oc2/c2 compat/c2 && cmp -s oc2/m00 in/m00' _ "$ERR"

# --------------------------------------------- names that would leave DIR

mkdir forged fo fo/sub
"$PY" "$HERE/forge_batch.py" "$K" forged
run "${OPEN[@]}" --out-dir fo/sub forged/up.env forged/slash.env forged/dot.env \
    forged/dotdot.env s1/m00.env
check "names leaving DIR (../up, sub/x, .hidden, ..): refused, exit 1" bash -c '[ '"$rc"' -eq 1 ] &&
    [ "$(grep -c "inner archive breaks the envelope rules (message name" "$1")" -eq 4 ]' _ "$ERR"
check "names leaving DIR: nothing made but the good one's" \
    test "$(ls -A fo | tr '\n' ' ')" = "sub " -a "$(ls -A fo/sub | tr '\n' ' ')" = "m00 "

# ---------------------------------------------------------------- --json

mkdir js1 js2
run "${SEAL[@]}" --json --out-dir js1 in/m00 in/nothere in/m01
check "seal --json: one object per input, then the summary" "$PY" "$HERE/batch_json.py" "$OUT" \
    seal 2 1 in/m00=js1/m00.env in/nothere=\!IO/4 in/m01=js1/m01.env
check "seal --json: exit 4, the human lines still on stderr" \
    bash -c '[ '"$rc"' -eq 4 ] && grep -q "^envelope: sealed 2 of 3 inputs" "$1"' _ "$ERR"
run "${OPEN[@]}" --json --out-dir js2 js1/m00.env bad/tampered.env bad/stranger.env \
    bad/tobob.env js1/m01.env
check "open --json: each class of failure, with its code and exit status" \
    "$PY" "$HERE/batch_json.py" "$OUT" open 2 3 js1/m00.env=js2/m00 \
    bad/tampered.env=\!TAMPERED/1 bad/stranger.env=\!UNTRUSTED_SIGNER/1 \
    bad/tobob.env=\!NOT_RECIPIENT/1 js1/m01.env=js2/m01
run "${OPEN[@]}" --json --out-dir js2 js1/m00.env
check "open --json: an existing output" "$PY" "$HERE/batch_json.py" "$OUT" open 0 1 \
    js1/m00.env=\!OUTPUT_EXISTS/4
run "${SEAL[@]}" --json --out-dir js1 -j 0 in/m00
check "--json: a usage error before the batch is the one object" bash -c '[ '"$rc"' -eq 2 ] &&
    "$1" "$2/json_check.py" "$3" seal 2 USAGE' _ "$PY" "$HERE" "$OUT"

# ----------------------------------------------------------- usage errors

run "${SEAL[@]}" --out-dir s1 -j 0 in/m00
failed "-j 0 is refused" 2 "-j '0': a number of workers from 1 to 64"
run "${SEAL[@]}" --out-dir s1 -j 65 in/m00
failed "-j 65 is refused" 2 "-j '65': a number of workers from 1 to 64"
run "${SEAL[@]}" --out-dir s1 -o x.env in/m00
failed "--out-dir and -o exclude each other" 2 "-o and --out-dir exclude each other" x.env
run "${SEAL[@]}" --out-dir s1 --name n in/m00
failed "seal --out-dir and --name exclude each other" 2 "--name and --out-dir exclude each other"
run "${OPEN[@]}" --out-dir o1 --extract xd s1/m00.env
failed "open --out-dir and --extract exclude each other" 2 "--extract and --out-dir exclude each other" xd
run "${SEAL[@]}" --out-dir s1 - <in/m00
failed "batch: '-' is not an input" 2 "'-' \(stdin\) is not one"
run "${SEAL[@]}" --out-dir s1
failed "batch: no input" 2 "no input"
run "${SEAL[@]}" -j 2 in/m00
failed "-j without --out-dir" 2 "are for batch mode: give --out-dir DIR"
run "${SEAL[@]}" --json -o j.env in/m00
check "seal --json without --out-dir: a usage error, as JSON" bash -c '[ '"$rc"' -eq 2 ] &&
    "$1" "$2/json_check.py" "$3" seal 2 USAGE && [ ! -e j.env ]' _ "$PY" "$HERE" "$OUT"
run "${SEAL[@]}" --out-dir in/m00 in/m01
failed "batch: DIR must be a directory" 4 "--out-dir in/m00: not a directory"

# ------------------------------------------------------- grouped flushes

DTRACE=$BT/trace_sync.so
if cc -shared -fPIC -o "$DTRACE" "$HERE/trace_sync.c" -ldl 2>"$ERR"; then
    mkdir fl
    rm -f trace
    run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        TRACE_SYNC="$BT/trace" LD_PRELOAD="$DTRACE" "${SEAL[@]}" -j 1 --out-dir fl in/m00 in/m01 in/m02
    got=$(tr '\n' ' ' <trace 2>/dev/null)
    # each output: flushed, linked under its hidden name, renamed into place
    # (RENAME_NOREPLACE); then the directory
    want="fsync link rename fsync link rename fsync link rename fsync "
    if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
        pass "batch -j 1: each file flushed, then named, then the directory flushed once"
    else
        flunk "batch -j 1: grouped flushes" "exit $rc; calls '$got', want '$want'"
    fi
    mkdir fl2
    rm -f trace
    run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        TRACE_SYNC="$BT/trace" LD_PRELOAD="$DTRACE" "${SEAL[@]}" -j 2 --force --out-dir fl2 "${INPUTS[@]}"
    check "batch -j 2 --force: 13 flushes (12 files, then the directory, last)" bash -c '
        [ '"$rc"' -eq 0 ] && [ "$(grep -c fsync "$1")" -eq 13 ] && [ "$(tail -1 "$1")" = fsync ]' _ trace
else
    flunk "the trace shim builds" "$(cat "$ERR")"
fi

# ------------------------------------------------------------- signals

# A FIFO among the inputs: the batch blocks reading it; the signal comes
# once it has opened it, and the workers stop, removing what they made:
# with O_TMPFILE, and without it (no_tmpfile.c: outputs are made under a
# temporary name from the start).
NOTMP=$BT/no_tmpfile.so
cc -shared -fPIC -o "$NOTMP" "$HERE/no_tmpfile.c" -ldl 2>"$ERR" ||
    flunk "the no-O_TMPFILE shim builds" "$(cat "$ERR")"
for sig in TERM INT TERM-notmp; do
    mkdir "sig$sig"
    rm -f fifo && mkfifo fifo
    preload=""
    [ "$sig" = TERM-notmp ] && preload=$NOTMP
    # The FIFO comes first: nothing can be placed before it, so every
    # output made so far is still under its temporary name.
    env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        LD_PRELOAD="$preload" "${SEAL[@]}" -j 2 --out-dir "sig$sig" fifo "${INPUTS[@]}" \
        >"$OUT" 2>"$ERR" &
    pid=$!
    exec 3>fifo # returns once the batch has opened the FIFO
    printf 'part of a message' >&3
    kill -s "${sig%-notmp}" "$pid"
    wait "$pid"
    rc=$?
    exec 3>&-
    want=$((128 + $(kill -l "${sig%-notmp}")))
    if [ "$rc" -ne "$want" ]; then
        flunk "SIG$sig mid-batch: dies of it" "exit $rc, want $want
$(tail_of stderr "$ERR")"
    elif [ "$(entries "sig$sig")" -ne 0 ]; then
        flunk "SIG$sig mid-batch: leaves nothing" "left: $(ls -A "sig$sig")"
    else
        pass "SIG$sig mid-batch (-j 2, FIFO first): dies of it, no output, no temporary file"
    fi
done
# Without O_TMPFILE, a whole batch still leaves only its outputs.
mkdir ntmp ntmpo
run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    LD_PRELOAD="$NOTMP" "${SEAL[@]}" -j 2 --out-dir ntmp "${INPUTS[@]}"
succeeded "batch seal without O_TMPFILE" "sealed 12 of 12 inputs"
run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    LD_PRELOAD="$NOTMP" "${OPEN[@]}" -j 2 --out-dir ntmpo ntmp/*.env bad/tampered.env
check "batch open without O_TMPFILE: exit 1, the messages and nothing else" bash -c '
    [ '"$rc"' -eq 1 ] && [ "$(ls -A "$1" | wc -l)" -eq 12 ] && [ "$(ls -A "$2" | wc -l)" -eq 12 ]' \
    _ ntmp ntmpo
opened_all "batch open without O_TMPFILE: every message" ntmpo
# Nor RENAME_NOREPLACE (the shim refuses renameat2's flags, as NFS does):
# an existing output is refused through link() alone, left as it was, with
# no hidden name left behind; --force still replaces it.
cp ntmp/m03.env keep-ntmp.env
run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    LD_PRELOAD="$NOTMP" "${SEAL[@]}" -j 1 --out-dir ntmp in/m03
check "batch seal without RENAME_NOREPLACE: an existing output refused (exit 4)" bash -c '
    [ '"$rc"' -eq 4 ] &&
    grep -q "^envelope: in/m03: output already exists (ntmp/m03.env: already exists; --force replaces it)$" "$1" &&
    cmp -s ntmp/m03.env keep-ntmp.env && [ "$(ls -A ntmp | wc -l)" -eq 12 ]' _ "$ERR"
run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    LD_PRELOAD="$NOTMP" "${SEAL[@]}" -j 1 --force --out-dir ntmp in/m03
check "batch seal --force without RENAME_NOREPLACE: replaced, nothing else left" bash -c '
    [ '"$rc"' -eq 0 ] && ! cmp -s ntmp/m03.env keep-ntmp.env && [ "$(ls -A ntmp | wc -l)" -eq 12 ]'
mkdir sigL
rm -f fifo && mkfifo fifo
# The FIFO last: what came before may be placed, whole; nothing else.
"${SEAL[@]}" -j 2 --out-dir sigL "${INPUTS[@]}" fifo >"$OUT" 2>"$ERR" &
pid=$!
exec 3>fifo
kill -s TERM "$pid"
wait "$pid"
rc=$?
exec 3>&-
bad=""
for f in $(ls -A sigL); do
    case $f in m[0-9][0-9].env) ;; *) bad="$bad $f" ;; esac
    "${OPEN[@]}" -o "sigL.out" --force "sigL/$f" 2>/dev/null && cmp -s sigL.out "in/${f%.env}" ||
        bad="$bad $f(does not open)"
done
check "SIGTERM mid-batch (FIFO last): exit 143, only whole, verified outputs" \
    test "$rc" -eq 143 -a -z "$bad"

# A signal once some workers are gone: the handler wakes every worker by its
# thread id, which a join frees. With no stack cache, waking a joined one
# crashed (SIGSEGV). The wait for the other workers to leave is bounded and
# only makes that moment likely: the check holds in every order.
mkdir sigJ
rm -f fifo && mkfifo fifo
env GLIBC_TUNABLES=glibc.pthread.stack_cache_size=0 "${SEAL[@]}" -j 8 --out-dir sigJ \
    "${INPUTS[@]:0:7}" fifo >"$OUT" 2>"$ERR" &
pid=$!
exec 3>fifo
for i in $(seq 100); do
    [ "$(ls /proc/$pid/task 2>/dev/null | wc -l)" -le 2 ] && break
    sleep 0.1
done
kill -s TERM "$pid"
wait "$pid"
rc=$?
exec 3>&-
check "SIGTERM once 7 of 8 workers are gone: exit 143, outputs of the first 7 only" \
    bash -c '[ '"$rc"' -eq 143 ] && ! ls -A "$1" | grep -qvx "m0[0-6]\.env" ||
        { echo "     exit '"$rc"', left: $(ls -A "$1" | tr "\n" " ")"; false; }' _ sigJ

# A reader gone before the first line: the write raises SIGPIPE in the
# worker that writes it, which blocks the signal; the batch stops there as
# on a SIGPIPE the main thread takes, rather than going on to its end
# unheard. Only the first input's output, placed before its line, is left.
# closed_pipe STREAM CMD...: CMD with STREAM (stdout or stderr) a pipe whose
# reader is closed before CMD starts; exits as a shell says CMD did.
closed_pipe() {
    "$PY" -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[2:], **{sys.argv[1]: w})
sys.exit(128 - p.returncode if p.returncode < 0 else p.returncode)' "$@"
}
for stream in stdout stderr; do
    mkdir "pipe$stream"
    json=""
    [ "$stream" = stdout ] && json=--json
    run closed_pipe "$stream" "${SEAL[@]}" -j 2 $json --out-dir "pipe$stream" "${INPUTS[@]}"
    "${OPEN[@]}" -q -o "pipe$stream.out" "pipe$stream/m00.env" 2>/dev/null
    if [ "$rc" -ne 141 ]; then
        flunk "$stream a closed pipe: dies of SIGPIPE" "$(last_run)"
    elif [ "$(ls -A "pipe$stream" | tr '\n' ' ')" != "m00.env " ]; then
        flunk "$stream a closed pipe: stops at the first line" "left: $(ls -A "pipe$stream" | tr '\n' ' ')
$(last_run)"
    elif ! cmp -s "pipe$stream.out" in/m00 || grep -q "inputs into" "$ERR" "$OUT"; then
        flunk "$stream a closed pipe: the first output whole, no summary" "$(last_run)"
    else
        pass "batch seal -j 2 ${json:+--json }with $stream a closed pipe: exit 141, stops at the first input's line"
    fi
done

# ------------------------------------------------------- progress on a tty

# A FIFO fed slowly (about a second) comes first: the line for the inputs
# placed after it counts files and bytes (shown only past half a second).
mkdir pb
rm -f pfifo && mkfifo pfifo
"$PY" "$HERE/pty_run.py" -- sh -c "\"\$2\" \"\$3\" in/m11 100000 >pfifo & \"\$0\" seal \
    --sign-key \"\$1/signer.pem\" --to \"\$1/alice.pub\" -j 2 --out-dir pb pfifo in/m00 in/m01; \
    s=\$?; wait; exit \$s" "$E" "$K" "$PY" "$HERE/slowcat.py" >"$OUT" 2>"$ERR"
rc=$?
check "progress on a terminal: files and bytes done of the whole" bash -c '[ '"$rc"' -eq 0 ] &&
    grep -Eq "sealing [1-3] of 3 files  [0-9.]+ (B|KiB) of 10.8 KiB" "$1"' _ "$OUT"
check "progress: its line is cleared before the next input's" \
    grep -q $'\r\033\\[Kenvelope: sealed in/m0' "$OUT"

# ---------------------------------------------------------- completion

mkdir -p comp/outs.d && : >comp/list.txt
bt_completes() {
    local want=$1
    shift
    run bash -c 'cd comp && . "$1" || exit 9; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _envelope; printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort' _ "$TOP/cli/envelope.bash-completion" "$@"
    check "completion of '$*': $(echo "$want" | tr '\n' ' ')" bash -c '[ '"$rc"' -eq 0 ] &&
        [ "$(cat "$1")" = "$2" ] || { echo "     exit '"$rc"'; got: $(tr "\n" " " <"$1")"; false; }' \
        _ "$OUT" "$want"
}
bt_completes '--out-dir' envelope seal --out
bt_completes $'--files-from' envelope open --files
bt_completes 'outs.d' envelope seal --out-dir o
bt_completes 'list.txt' envelope open --files-from l
bt_completes '' envelope seal -j ''
bt_completes $'--jobs\n--json' envelope seal --j

# ------------------------------------------------------------------ KMS

# KMS keys against the test server, when this build has a KMS client: one
# TLS connection per worker, and at most one request per message once the
# public keys are cached (Sign to seal; Decrypt to open, the signer's public
# key fetched once).
run env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true "$E" pubkey awskms:///alias/probe
if grep -q "not available in this version" "$ERR"; then
    echo "# KMS batch skipped: this build has no KMS client"
    cd "$W" || return 0
    return 0
fi
cat >"$BT/kms-seed.json" <<JSON
{"keys": [
  {"key_spec": "RSA_4096", "key_usage": "ENCRYPT_DECRYPT",
   "aliases": ["alias/sample-encrypt-decrypt-key"], "private_key_file": "$K/dave.pem"},
  {"key_spec": "ECC_NIST_P521", "key_usage": "SIGN_VERIFY",
   "aliases": ["alias/sample-sign-verify-key"], "private_key_file": "$K/signer.pem"}
]}
JSON
BKMS=$BT/kms
if kms_start "$BKMS" "$BT/kms-seed.json"; then
    kctl() { "$KMSCTL" control "$BKMS" "$@"; }
    # kms_calls: "Op=N ... total=N tls=N" since the last reset.
    kms_calls() {
        kctl GET stats | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
ops = " ".join("%s=%d" % kv for kv in sorted(d["requests"].items()))
print("%s total=%d tls=%d" % (ops, d["requests_total"], d["tls_handshakes"]))'
    }
    mkdir ks ko
    kctl POST reset-stats >/dev/null
    as sender "$E" seal --sign-key awskms:///alias/sample-sign-verify-key --to "$K/dave.pub" \
        -j 2 --out-dir ks "${INPUTS[@]}"
    got=$(kms_calls)
    tls=${got##*tls=}
    if [ "$rc" -ne 0 ]; then
        flunk "KMS batch seal -j 2" "$(last_run)"
    elif [ "${got% tls=*}" != "Sign=12 total=12" ] || [ "$tls" -lt 1 ] || [ "$tls" -gt 2 ]; then
        flunk "KMS batch seal -j 2: one Sign per message, a connection per worker" "calls: $got"
    else
        pass "KMS batch seal -j 2, 12 messages: $got (one Sign each, at most one connection per worker)"
    fi
    kctl POST reset-stats >/dev/null
    as receiver-plus "$E" open --decrypt-key awskms:///alias/sample-encrypt-decrypt-key \
        --verify-key awskms:///alias/sample-sign-verify-key -j 2 --out-dir ko ks/*.env
    got=$(kms_calls)
    tls=${got##*tls=}
    if [ "$rc" -ne 0 ]; then
        flunk "KMS batch open -j 2" "$(last_run)"
    # Until the signer's public key is cached (GetPublicKey), a worker may
    # verify through KMS: once per worker at most.
    elif ! [[ $got =~ ^Decrypt=12\ (GetPublicKey=[12]\ )?(Verify=[12]\ )?total=1[2-6]\ tls=[12]$ ]]; then
        flunk "KMS batch open -j 2: one Decrypt per message, a connection per worker" "calls: $got"
    else
        pass "KMS batch open -j 2, 12 messages: $got (one Decrypt each; the public key, and a Verify before it, once per worker at most)"
    fi
    opened_all "KMS batch open: every message" ko
    "$KMSCTL" stop "$BKMS" >/dev/null 2>&1
fi
cd "$W" || return 0
