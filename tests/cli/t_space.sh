# Room for a message: open's default maximum size (4 GiB), the size the
# inner archive states against the free space where the message goes (a
# 1 MiB tmpfs), and a disk that fills during a write (the no_space.c shim).

SP=$T/space
# Under `make asan` the shims come before the ASan runtime: allowed here.
SP_ASAN=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
mkdir "$SP" "$SP/full"
"$PY" "$HERE/forge_sizes.py" "$K" "$SP" 2>"$ERR" ||
    flunk "forge_sizes.py makes the envelopes" "$(cat "$ERR")"
FULL=$SP/no_space.so
cc -shared -fPIC -o "$FULL" "$HERE/no_space.c" -ldl 2>"$ERR" ||
    flunk "the no-space shim builds" "$(cat "$ERR")"
SP_NOTMP=$SP/no_tmpfile.so
cc -shared -fPIC -o "$SP_NOTMP" "$HERE/no_tmpfile.c" -ldl 2>"$ERR" ||
    flunk "the no-O_TMPFILE shim builds" "$(cat "$ERR")"
head -c 5000 /dev/urandom >"$SP/msg"
"$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -q -o "$SP/msg.enc" "$SP/msg"
open_sp() { run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" "$@"; }
HINT=': --max-size N raises the limit \(default 4G\); --max-size unlimited lifts it$'

# The default maximum, decided from the tar header before any data.
open_sp -o "$SP/5g.out" "$SP/states-5g.env"
failed "a message stated as 5 GiB, no --max-size: exit 1, the size, the limit, the option" 1 \
    "^envelope: $SP/states-5g.env: message larger than allowed \(message of 5368709120 bytes; the limit is 4294967296\)$HINT" \
    "$SP/5g.out"
open_sp --max-size 2G -o "$SP/5g.out" "$SP/states-5g.env"
failed "--max-size 2G, 5 GiB stated: the limit given is the one named" 1 \
    "\(message of 5368709120 bytes; the limit is 2147483648\)$HINT" "$SP/5g.out"
open_sp --max-size unlimted -o "$SP/5g.out" "$SP/states-5g.env"
failed "--max-size unlimted (a typo): exit 2" 2 \
    "^envelope open: --max-size 'unlimted': a size like 512, 10M or 2G, or 'unlimited'" "$SP/5g.out"

# free_space_checks MNT: MNT is a fresh 1 MiB tmpfs.
free_space_checks() {
    local mnt=$1 free='has [0-9]+ bytes free$'

    open_sp --max-size unlimited -o "$mnt/5g.out" "$SP/states-5g.env"
    failed "--max-size unlimited lifts the limit; 5 GiB stated, 1 MiB free: exit 4, both numbers" 4 \
        "^envelope: $SP/states-5g.env: not enough space: the message states 5368709120 bytes; the file system holding $mnt/5g.out $free"
    check "  ... and nothing left on the tmpfs" [ "$(entries "$mnt")" -eq 0 ]
    open_sp -o "$mnt/3m.out" "$SP/states-3m.env"
    failed "3 MiB stated, 1 MiB free (O_TMPFILE): exit 4 before any data" 4 \
        "not enough space: the message states 3145728 bytes; the file system holding $mnt/3m.out $free"
    run env ASAN_OPTIONS="$SP_ASAN" LD_PRELOAD="$SP_NOTMP" "$E" open \
        --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o "$mnt/3m.out" "$SP/states-3m.env"
    failed "3 MiB stated, 1 MiB free, no O_TMPFILE (spooled): exit 4" 4 \
        "the message states 3145728 bytes; the file system holding $mnt/3m.out $free"
    open_sp --extract "$mnt/3m.dir" "$SP/states-3m.env"
    failed "3 MiB stated, --extract into 1 MiB: exit 4" 4 \
        "the message states 3145728 bytes; the file system holding $mnt/3m.dir $free"
    run env TMPDIR="$mnt" "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" \
        -o - "$SP/states-3m.env"
    failed "3 MiB stated, \$TMPDIR with 1 MiB for the spool: exit 4, names \$TMPDIR" 4 \
        "the message states 3145728 bytes; the file system holding $mnt $free"
    check "  ... and nothing left on the tmpfs" [ "$(entries "$mnt")" -eq 0 ]
    head -c $((600 * 1024)) /dev/urandom >"$SP/600k"
    "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -q -o "$SP/600k.enc" "$SP/600k"
    run env TMPDIR="$mnt" sh -c 'exec "$@" >"$0"' "$mnt/600k.out" "$E" open \
        --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" "$SP/600k.enc"
    check "600 KiB, spool and standard output on one 1 MiB file system: exit 4, counted twice" \
        bash -c '[ "$1" -eq 4 ] && [ ! -s "$2" ] &&
            grep -Eq "states 614400 bytes \(twice: spool and output\); the file system holding the output has" "$3"' \
        _ "$rc" "$mnt/600k.out" "$ERR"
    rm -f "$mnt/600k.out"
    open_sp -o "$mnt/msg.out" "$SP/msg.enc"
    check "a message that fits opens into the tmpfs" bash -c '[ "$1" -eq 0 ] && cmp -s "$2" "$3"' \
        _ "$rc" "$mnt/msg.out" "$SP/msg"
}

MNT=$SP/mnt
mkdir "$MNT"
if mount -t tmpfs -o size=1m tmpfs "$MNT" 2>"$ERR"; then
    trap 'umount "$MNT"; cleanup' EXIT
    free_space_checks "$MNT"
    umount "$MNT" && trap cleanup EXIT
else
    echo "skip the free-space checks: mounting a tmpfs needs root ($(head -c 200 "$ERR"))"
fi

# full_run ERRNO CMD...: runs CMD with every write under $SP/full failing.
full_run() {
    local err=$1
    shift
    run env ASAN_OPTIONS="$SP_ASAN" NO_SPACE_UNDER="$SP/full" NO_SPACE_ERRNO="$err" \
        LD_PRELOAD="${SP_PRELOAD:-} $FULL" "$@"
}
NOSPACE="no space left on the device holding $SP/full"
full_run 28 "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" \
    -o "$SP/full/msg.out" "$SP/msg.enc"
failed "open -o on a full disk (ENOSPC): exit 4, says so, names OUT" 4 \
    "^envelope: $SP/msg.enc: $NOSPACE/msg.out$"
check "  ... and nothing left" [ "$(entries "$SP/full")" -eq 0 ]
full_run 122 "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" \
    -o "$SP/full/msg.out" "$SP/msg.enc"
failed "open -o over quota (EDQUOT): the same" 4 "^envelope: $SP/msg.enc: $NOSPACE/msg.out$"
SP_PRELOAD=$SP_NOTMP full_run 28 "$E" open --decrypt-key "$K/alice.pem" \
    --verify-key "$K/signer.pub" -o "$SP/full/msg.out" "$SP/msg.enc"
failed "open -o on a full disk without O_TMPFILE (released from the spool): names OUT" 4 \
    "^envelope: $SP/msg.enc: $NOSPACE/msg.out$"
check "  ... and nothing left" [ "$(entries "$SP/full")" -eq 0 ]
full_run 28 "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" \
    --extract "$SP/full/dir" "$SP/msg.enc"
failed "open --extract on a full disk: names DIR" 4 "^envelope: $SP/msg.enc: $NOSPACE/dir$"
check "  ... and nothing left" [ "$(entries "$SP/full")" -eq 0 ]
full_run 28 env TMPDIR="$SP/full" "$E" open --decrypt-key "$K/alice.pem" \
    --verify-key "$K/signer.pub" "$SP/msg.enc"
failed "open to stdout, \$TMPDIR full: names \$TMPDIR" 4 "^envelope: $SP/msg.enc: $NOSPACE$"
full_run 28 "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -o "$SP/full/msg.enc" \
    "$SP/msg"
failed "seal -o on a full disk: names OUT" 4 "^envelope: .*: $NOSPACE/msg.enc$"
check "  ... and nothing left" [ "$(entries "$SP/full")" -eq 0 ]
full_run 28 env TMPDIR="$SP/full" sh -c 'cat "$4" | "$0" seal --sign-key "$1" --to "$2" -o "$3"' \
    "$E" "$K/signer.pem" "$K/alice.pub" "$SP/piped.enc" "$SP/msg"
failed "seal from a pipe, \$TMPDIR full (the input's spool): names \$TMPDIR" 4 \
    "^envelope: .*: $NOSPACE$" "$SP/piped.enc"
full_run 28 "$E" keygen --sign -o "$SP/full/k.pem"
failed "keygen -o on a full disk: names the key file" 4 \
    "^envelope: $NOSPACE/k.pem$"
check "  ... and nothing left" [ "$(entries "$SP/full")" -eq 0 ]
