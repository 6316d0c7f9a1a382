# Inputs whose size fstat does not tell: procfs says 0 bytes, sysfs 4096.
# The envelope holds what reading them gives. (Files that change size while
# they are sealed: tests/unit/test_input.c, which can change them between
# two reads.)

SEAL_TO_ALICE=(seal --sign-key "$K/signer.pem" --to "$K/alice.pub")
OPEN_AS_ALICE=(open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub")

# sealed_as_read NAME PATH: PATH sealed then opened gives what cat gives.
sealed_as_read() {
    local name=$1 path=$2
    rm -f pseudo.env pseudo.out
    run "$E" "${SEAL_TO_ALICE[@]}" -o pseudo.env "$path"
    if [ "$rc" -ne 0 ]; then
        flunk "$name" "seal: exit $rc; stderr: $(cat "$ERR")"
        return
    fi
    run "$E" "${OPEN_AS_ALICE[@]}" -o pseudo.out pseudo.env
    cat "$path" >pseudo.cat
    if [ "$rc" -ne 0 ]; then
        flunk "$name" "open: exit $rc; stderr: $(cat "$ERR")"
    elif ! [ -s pseudo.out ] || ! cmp -s pseudo.out pseudo.cat; then
        flunk "$name" "opened $(wc -c <pseudo.out) bytes: $(head -c 80 pseudo.out | cat -v); cat gives $(wc -c <pseudo.cat)"
    else
        pass "$name"
    fi
}

sealed_as_read "seal /proc/sys/kernel/ostype (fstat: 0 bytes): opens to what cat gives" \
    /proc/sys/kernel/ostype
sealed_as_read "seal /sys/devices/system/cpu/online (fstat: 4096 bytes): opens to what cat gives" \
    /sys/devices/system/cpu/online

run "$E" "${SEAL_TO_ALICE[@]}" -o status.env /proc/self/status
run "$E" "${OPEN_AS_ALICE[@]}" status.env
check "seal /proc/self/status: not empty, one whole read of it" bash -c '[ '"$rc"' -eq 0 ] &&
    head -1 "$1" | grep -q "^Name:" && grep -q "^Pid:" "$1" ||
    { echo "exit '"$rc"'; stdout: $(head -c 200 "$1")"; false; }' _ "$OUT"
