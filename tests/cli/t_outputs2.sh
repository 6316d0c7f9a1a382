# What -o may name, and outputs that must not meet: two outputs that are one
# file, or an output that is an input, are a usage error before anything is
# written; keygen writes both keys or neither; a descriptor path is written
# through its descriptor; a character device or one's own FIFO is written
# into, never replaced; a block device, a socket, someone else's FIFO and a
# directory are refused. Devices are private nodes made with mknod in $T.

OSEAL=(seal --sign-key "$K/signer.pem" --to "$K/alice.pub")
OOPEN=(open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub")
O2=$T/outputs2
mkdir "$O2" && cd "$O2" || exit 2
echo "the only copy" >msg
cp msg msg.orig
"$E" "${OSEAL[@]}" -q -o msg.env msg || flunk "outputs2: sealing the test message"
cp msg.env msg.env.orig

# kept NAME FILE COPY: FILE still holds what COPY holds.
kept() {
    if cmp -s "$2" "$3"; then pass "$1"; else flunk "$1" "$2 changed
$(last_run)"; fi
}
# kind_is NAME PATH KIND: PATH is still a KIND (stat's words).
kind_is() {
    local got
    got=$(stat -c %F "$2" 2>&1)
    if [ "$got" = "$3" ]; then pass "$1"; else flunk "$1" "$2 is '$got', want '$3'"; fi
}
# no_temporaries NAME: nothing but what the tests made is in the directory.
no_temporaries() {
    local extra
    extra=$(ls -A | grep -E '\.(tmp|[A-Za-z0-9]{6})$' || true)
    if [ -z "$extra" ]; then pass "$1"; else flunk "$1" "left: $extra"; fi
}
# fifo_run FIFO CMD...: runs CMD (as run does) with FIFO opened for reading
# before, so that CMD's open of it never waits; what CMD wrote into the FIFO
# is then in fifo.got. Messages here are far below a pipe's buffer.
fifo_run() {
    rc=$("$PY" - "$OUT" "$ERR" "$@" <<'PYEOF'
import os, subprocess, sys
out, err, fifo, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
r = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
with open(out, "wb") as o, open(err, "wb") as e:
    code = subprocess.run(cmd, stdout=o, stderr=e).returncode
got = b""
while True:
    try:
        chunk = os.read(r, 65536)
    except BlockingIOError:
        break
    if not chunk:
        break
    got += chunk
open("fifo.got", "wb").write(got)
print(code)
PYEOF
)
}

# --- two outputs that are one file, an output that is an input (exit 2)

run "$E" keygen --sign -o k.pem --pub k.pem --force
failed "keygen -o k.pem --pub k.pem --force: a usage error, no key written" 2 \
    "keygen: -o k.pem and --pub k.pem are the same file" k.pem
run "$E" keygen --sign -o new.pem --pub ./new.pem
failed "keygen -o new.pem --pub ./new.pem: one name spelt twice is a usage error" 2 \
    "-o new.pem and --pub ./new.pem are the same file" new.pem
"$E" keygen -q --sign -o k.pem --pub k.pub || flunk "outputs2: keygen k.pem"
cp k.pem k.pem.orig
ln k.pem k.hard
ln -s k.pem k.link
run "$E" keygen --sign -o k.pem --pub k.hard --force
failed "keygen -o k.pem --pub HARDLINK-TO-k.pem --force: usage error" 2 \
    "-o k.pem and --pub k.hard are the same file"
kept "... and the private key is untouched" k.pem k.pem.orig
run "$E" keygen --sign -o k.link --pub k.pem --force
failed "keygen -o SYMLINK-TO-k.pem --pub k.pem --force: usage error" 2 \
    "-o k.link and --pub k.pem are the same file"
kept "... and the private key is untouched" k.pem k.pem.orig
cp "$K/passphrase.txt" pw
run "$E" keygen --sign -o pw --passphrase-file pw --force
failed "keygen -o pw --passphrase-file pw --force: usage error" 2 \
    "-o pw and --passphrase-file pw are the same file"
kept "... and the passphrase file is untouched" pw "$K/passphrase.txt"
run "$E" pubkey k.pem -o k.pem --force
failed "pubkey k.pem -o k.pem --force: usage error" 2 "-o k.pem and KEYREF k.pem are the same file"
kept "... and the private key is untouched" k.pem k.pem.orig
run "$E" pubkey file:k.pem -o k.hard --force
failed "pubkey file:k.pem -o HARDLINK --force: usage error" 2 \
    "-o k.hard and KEYREF k.pem are the same file"
kept "... and the private key is untouched" k.pem k.pem.orig

run "$E" "${OSEAL[@]}" --force -o msg msg
failed "seal --force -o msg msg: usage error" 2 "seal: -o msg and IN msg are the same file"
kept "... and the message is untouched" msg msg.orig
"$E" "${OSEAL[@]}" --force -o msg <msg >"$OUT" 2>"$ERR"
rc=$?
failed "seal --force -o msg <msg: usage error" 2 "seal: -o msg and stdin are the same file"
kept "... and the message is untouched" msg msg.orig
"$E" "${OSEAL[@]}" --force -o msg - <msg >"$OUT" 2>"$ERR"
rc=$?
failed "seal --force -o msg - <msg: usage error" 2 "seal: -o msg and stdin are the same file"
kept "... and the message is untouched" msg msg.orig
"$E" "${OOPEN[@]}" msg.env >>msg.env 2>"$ERR"
rc=$?
: >"$OUT"
failed "open X >>X (stdout is the input): usage error" 2 \
    "open: stdout and IN msg.env are the same file"
kept "... and the envelope is untouched" msg.env msg.env.orig
cp k.pem sign.pem
run "$E" seal --sign-key sign.pem --to "$K/alice.pub" --force -o sign.pem msg
failed "seal --sign-key sign.pem -o sign.pem --force: usage error" 2 \
    "-o sign.pem and --sign-key sign.pem are the same file"
kept "... and the key is untouched" sign.pem k.pem.orig
run "$E" "${OOPEN[@]}" --force -o msg.env msg.env
failed "open --force -o X X: usage error" 2 "open: -o msg.env and IN msg.env are the same file"
kept "... and the envelope is untouched" msg.env msg.env.orig
cp "$K/alice.pem" dk.pem
run "$E" open --decrypt-key dk.pem --verify-key "$K/signer.pub" --force -o dk.pem msg.env
failed "open -o KEY --decrypt-key KEY --force: usage error" 2 \
    "-o dk.pem and --decrypt-key dk.pem are the same file"
kept "... and the key is untouched" dk.pem "$K/alice.pem"

# --- keygen writes both keys or neither

run "$E" keygen --sign -o a.pem --pub nodir/a.pub
failed "keygen -o a.pem --pub nodir/a.pub: fails, leaves no a.pem" 4 \
    "nodir/a.pub: No such file or directory" a.pem
no_temporaries "... and no temporary file"
run "$E" keygen --sign -o a.pem --pub a.pub
succeeded "... and the re-run with a good --pub succeeds (no 'already exists')" "written to a.pem"
run "$E" keygen --sign -o nodir/b.pem --pub b.pub
failed "keygen -o nodir/b.pem --pub b.pub: fails, leaves no b.pub" 4 \
    "nodir/b.pem: No such file or directory" b.pub
mkdir ro && chmod 0500 ro
if [ "$(id -u)" -ne 0 ]; then
    run "$E" keygen --sign -o c.pem --pub ro/c.pub
    failed "keygen --pub in a read-only directory: fails, leaves no c.pem" 4 \
        "ro/c.pub: Permission denied" c.pem
fi

# --- what -o names

if [ "$(id -u)" -eq 0 ] && mknod null c 1 3 2>/dev/null && mknod blk b 7 0 2>/dev/null; then
    run "$E" "${OOPEN[@]}" --force -o null msg.env
    succeeded "open -o CHARDEV --force: written into" "into null"
    kind_is "... and it is still a character device" null "character special file"
    no_temporaries "... and no temporary file beside it"
    run "$E" "${OOPEN[@]}" -o null msg.env
    succeeded "open -o CHARDEV without --force: no 'already exists'" "into null"
    run "$E" "${OSEAL[@]}" --force -o null msg
    succeeded "seal -o CHARDEV --force: written into"
    kind_is "... and it is still a character device" null "character special file"
    run "$E" keygen --sign -o d.pem --pub null --force
    succeeded "keygen --pub CHARDEV --force: the private key written" "written to d.pem"
    kind_is "... and it is still a character device" null "character special file"
    run "$E" pubkey d.pem -o null
    succeeded "pubkey -o CHARDEV: written into"
    ln -s null null.link
    run "$E" "${OOPEN[@]}" --force -o null.link msg.env
    succeeded "open -o LINK-TO-CHARDEV --force: written into the device" "into null.link"
    kind_is "... and the link is still a link" null.link "symbolic link"

    for force in "" --force; do
        run "$E" "${OOPEN[@]}" $force -o blk msg.env
        failed "open -o BLOCKDEV $force: refused" 4 "blk: is a block device"
        run "$E" "${OSEAL[@]}" $force -o blk msg
        failed "seal -o BLOCKDEV $force: refused" 4 "blk: is a block device"
        run "$E" keygen --sign -o e.pem --pub blk $force
        failed "keygen --pub BLOCKDEV $force: refused, no private key" 4 \
            "blk: is a block device" e.pem
    done
    kind_is "... and it is still a block device" blk "block special file"

    mkfifo theirs && chown nobody theirs
    for force in "" --force; do
        run "$E" "${OOPEN[@]}" $force -o theirs msg.env
        failed "open -o FIFO-OF-ANOTHER $force: refused" 4 \
            "theirs: is a named pipe owned by someone else"
        run "$E" "${OSEAL[@]}" $force -o theirs msg
        failed "seal -o FIFO-OF-ANOTHER $force: refused" 4 \
            "theirs: is a named pipe owned by someone else"
    done
    kind_is "... and it is still a FIFO" theirs "fifo"
else
    echo "# device and foreign-FIFO checks skipped: they need mknod and chown (root)"
fi

"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock
for force in "" --force; do
    run "$E" "${OOPEN[@]}" $force -o sock msg.env
    failed "open -o SOCKET $force: refused" 4 "sock: is a socket"
    run "$E" pubkey k.pem $force -o sock
    failed "pubkey -o SOCKET $force: refused" 4 "sock: is a socket"
done
kind_is "... and it is still a socket" sock "socket"

mkdir adir
for force in "" --force; do
    run "$E" "${OOPEN[@]}" $force -o adir no-such-input.env
    failed "open -o DIR $force: 'is a directory' before the input is opened" 4 \
        "^envelope: adir: is a directory$"
    run "$E" "${OSEAL[@]}" $force -o adir no-such-input
    failed "seal -o DIR $force: 'is a directory' before the input is opened" 4 \
        "^envelope: adir: is a directory$"
done
run "$E" keygen --sign -o adir --force
failed "keygen -o DIR --force: is a directory" 4 "adir: is a directory"
[ "$(entries adir)" -eq 0 ] && pass "... and the directory is still empty" ||
    flunk "... and the directory is still empty" "$(ls -A adir)"

mkfifo mine
fifo_run mine "$E" "${OOPEN[@]}" -o mine msg.env
succeeded "open -o OWN-FIFO: written into, no --force" "into mine"
kept "... the FIFO's reader got the message" fifo.got msg
kind_is "... and it is still a FIFO" mine "fifo"
fifo_run mine "$E" open --decrypt-key "$K/bob.pem" --verify-key "$K/signer.pub" --force \
    -o mine msg.env
failed "open -o OWN-FIFO with the wrong key: rejected" 1 "not addressed to the --decrypt-key"
check "... and nothing was written into the FIFO" test ! -s fifo.got
fifo_run mine "$E" "${OSEAL[@]}" --force -o mine msg
succeeded "seal -o OWN-FIFO --force: written into"
"$E" "${OOPEN[@]}" -q -o - <fifo.got >fifo.opened 2>"$ERR"
kept "... and the envelope read from it opens" fifo.opened msg

# With no reader on the FIFO, open(2) of it waits: fifo_late.py sees when.
# fate_is NAME WANT: fifo_late.py said WANT.
fate_is() {
    if [ "$fate" = "$2" ]; then pass "$1"; else flunk "$1" "fate '$fate', want '$2'
$(tail_of stderr "$ERR")"; fi
}
mkfifo late
fate=$("$PY" "$HERE/fifo_late.py" late --read late.got "$E" "${OOPEN[@]}" -o late msg.env \
    2>"$ERR")
if [ "$fate" = unobservable ]; then
    echo "# FIFO opening order checks skipped: /proc/PID/syscall of the command needs root"
else
    fate_is "open -o FIFO, no reader: opened once verified, the message written" \
        "opened; exit 0"
    kept "... and the reader got the message" late.got msg
    fate=$("$PY" "$HERE/fifo_late.py" late --read late.got "$E" open --decrypt-key \
        "$K/bob.pem" --verify-key "$K/signer.pub" -o late msg.env 2>"$ERR")
    fate_is "open -o FIFO, no reader, wrong key: rejected without opening the FIFO" "exit 1"
    fate=$("$PY" "$HERE/fifo_late.py" late SIGTERM "$E" "${OOPEN[@]}" -o late msg.env 2>"$ERR")
    fate_is "open -o FIFO, SIGTERM while it waits for a reader: dies of it" "opened; signal 15"
    check "... and says nothing" test ! -s "$ERR"
    kind_is "... and it is still a FIFO" late "fifo"
fi

run "$E" "${OOPEN[@]}" -o /dev/stdout msg.env
succeeded "open -o /dev/stdout: written through the descriptor"
kept "... the message on stdout" "$OUT" msg
"$E" "${OOPEN[@]}" -o /dev/fd/5 msg.env 5>fd5.out >"$OUT" 2>"$ERR"
rc=$?
succeeded "open -o /dev/fd/5 (5>FILE): written through the descriptor"
kept "... the message in FILE" fd5.out msg
"$E" "${OSEAL[@]}" -o /proc/self/fd/6 msg 6>fd6.env >"$OUT" 2>"$ERR"
rc=$?
succeeded "seal -o /proc/self/fd/6: written through the descriptor"
run "$E" "${OOPEN[@]}" -q fd6.env
kept "... and that envelope opens" "$OUT" msg
run "$E" "${OOPEN[@]}" -o /dev/fd/9 msg.env
failed "open -o /dev/fd/9 (not open): refused" 4 "/dev/fd/9: descriptor 9 is not open"
run "$E" keygen --sign -o /dev/stdout
failed "keygen -o /dev/stdout: a usage error, as -o -" 2 "a private key is never written to stdout"
run "$E" pubkey k.pem -o /dev/stdin </dev/null
failed "pubkey -o /dev/stdin (read-only): refused" 4 "descriptor 0 is not open for writing"

cd "$W" || exit 2
