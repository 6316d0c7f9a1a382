# Options that cannot both hold, passphrases from the environment and from
# keygen --ask-passphrase, and what a wrong passphrase says.

# refused NAME REGEX [PATH...]: the last run was a usage error (exit 2) whose
# one line matches REGEX and names the command's help, and left no PATH.
refused() { failed "$1" 2 "$2.* \(see 'envelope [a-z]+ --help'\)$" "${@:3}"; }

# One value per option: a second one is an error naming both, never "last
# one wins"; two options that exclude each other are an error naming both.
run "$E" keygen --sign --encrypt -o both.pem
refused "keygen --sign --encrypt: exit 2, names both" \
    "^envelope keygen: --sign and --encrypt exclude each other" both.pem
run "$E" keygen --encrypt --sign -o both.pem
refused "keygen --encrypt --sign: the same message" \
    "^envelope keygen: --sign and --encrypt exclude each other" both.pem
run "$E" keygen --sign -o one.pem -o two.pem
refused "keygen with two -o: exit 2, names both values, writes neither" \
    "^envelope keygen: -o given twice \('one.pem', then 'two.pem'\): give it once" one.pem two.pem
run "$E" keygen --sign -o one.pem --pub one.pub --pub two.pub
refused "keygen with two --pub: exit 2, writes nothing" \
    "^envelope keygen: --pub given twice \('one.pub', then 'two.pub'\): give it once" \
    one.pem one.pub two.pub
run "$E" keygen --encrypt --bits 2048 --bits 4096 -o one.pem
refused "keygen with two --bits: exit 2" \
    "^envelope keygen: --bits given twice \('2048', then '4096'\): give it once" one.pem
run "$E" keygen --sign --passphrase-fd 0 -o one.pem --passphrase-file "$K/passphrase.txt"
refused "keygen --passphrase-fd then --passphrase-file: exit 2, names both" \
    "^envelope keygen: --passphrase-file and --passphrase-fd exclude each other" one.pem
run "$E" keygen --sign -o one.pem --ask-passphrase --passphrase-fd 0
refused "keygen --ask-passphrase with --passphrase-fd: exit 2" \
    "^envelope keygen: --passphrase-fd and --ask-passphrase exclude each other" one.pem
run "$E" keygen --sign --sign --quiet --quiet -o one.pem
check "keygen: a flag given twice says the same thing twice" \
    bash -c '[ '"$rc"' -eq 0 ] && [ -s one.pem ] && ! [ -s "$1" ]' _ "$ERR"
run "$E" pubkey "$K/signer.pem" -o one.pub -o two.pub
refused "pubkey with two -o: exit 2, writes neither" \
    "^envelope pubkey: -o given twice \('one.pub', then 'two.pub'\): give it once" one.pub two.pub
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --format v1 --format compat \
    -o one.enc note.json
refused "seal with two --format: exit 2, names both, writes nothing" \
    "^envelope seal: --format given twice \('v1', then 'compat'\): give it once" one.enc
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -o one.enc -o two.enc note.json
refused "seal with two -o: exit 2" "^envelope seal: -o given twice" one.enc two.enc
run "$E" seal --sign-key "$K/signer.pem" --sign-key "$K/other-signer.pem" --to "$K/alice.pub" \
    -o one.enc note.json
refused "seal with two --sign-key: exit 2" "^envelope seal: --sign-key given twice" one.enc
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --name a --name b -o one.enc note.json
refused "seal with two --name: exit 2" "^envelope seal: --name given twice \('a', then 'b'\)" one.enc
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --created @1 --created @2 \
    -o one.enc note.json
refused "seal with two --created: exit 2" "^envelope seal: --created given twice" one.enc
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --to "$K/bob.pub" -o two-to.enc note.json
check "seal: --to may come several times" bash -c '[ '"$rc"' -eq 0 ] && [ -s two-to.enc ]'
OPEN=(open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub")
run "$E" "${OPEN[@]}" -o one.out -o two.out note.enc
refused "open with two -o: exit 2, writes neither" \
    "^envelope open: -o given twice \('one.out', then 'two.out'\)" one.out two.out
run "$E" "${OPEN[@]}" --extract one.dir --extract two.dir note.enc
refused "open with two --extract: exit 2" "^envelope open: --extract given twice" one.dir two.dir
run "$E" "${OPEN[@]}" --extract one.dir -o one.out note.enc
refused "open --extract then -o: exit 2, names both" \
    "^envelope open: -o and --extract exclude each other" one.dir one.out
run "$E" "${OPEN[@]}" --max-age 1d --max-age 2d -o one.out note.enc
refused "open with two --max-age: exit 2" "^envelope open: --max-age given twice" one.out
run "$E" "${OPEN[@]}" --max-size 1M --max-size 2M -o one.out note.enc
refused "open with two --max-size: exit 2" "^envelope open: --max-size given twice" one.out
run "$E" "${OPEN[@]}" --verify-key "$K/other-signer.pub" -o one.out note.enc
check "open: --verify-key may come several times" bash -c '[ '"$rc"' -eq 0 ] && cmp -s one.out note.json'
rm -f one.out one.pem two-to.enc

# ENVELOPE_PASSPHRASE_FILE and ENVELOPE_PASSPHRASE_FD stand for the options;
# the options win. An empty variable is unset.
PASS=$K/passphrase.txt
echo "not the passphrase" >wrong-pass.txt
ENC=$K/alice-encrypted.pem
ENVELOPE_PASSPHRASE_FILE=$PASS notty "$E" pubkey "$ENC"
check "ENVELOPE_PASSPHRASE_FILE opens an encrypted key" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" "$2"' _ "$OUT" "$K/alice.pub"
ENVELOPE_PASSPHRASE_FD=3 notty "$E" pubkey "$ENC" 3<"$PASS"
check "ENVELOPE_PASSPHRASE_FD opens an encrypted key" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" "$2"' _ "$OUT" "$K/alice.pub"
ENVELOPE_PASSPHRASE_FILE=$PASS notty "$E" open --decrypt-key "$ENC" \
    --verify-key "$K/signer.pub" -o env.out note.enc
check "ENVELOPE_PASSPHRASE_FILE serves open" bash -c '[ '"$rc"' -eq 0 ] && cmp -s env.out note.json'
ENVELOPE_PASSPHRASE_FILE=wrong-pass.txt notty "$E" pubkey --passphrase-file "$PASS" "$ENC"
check "--passphrase-file wins over ENVELOPE_PASSPHRASE_FILE" bash -c '[ '"$rc"' -eq 0 ]'
ENVELOPE_PASSPHRASE_FILE=$PASS notty "$E" pubkey --passphrase-file wrong-pass.txt "$ENC"
failed "--passphrase-file wins: its wrong passphrase is refused, exit 3" 3 \
    "^envelope: pubkey .*alice-encrypted.pem: wrong passphrase for .*alice-encrypted.pem$"
ENVELOPE_PASSPHRASE_FILE=wrong-pass.txt notty "$E" pubkey --passphrase-fd 3 "$ENC" 3<"$PASS"
check "--passphrase-fd wins over ENVELOPE_PASSPHRASE_FILE" bash -c '[ '"$rc"' -eq 0 ]'
ENVELOPE_PASSPHRASE_FILE= notty "$E" pubkey "$ENC"
failed "an empty ENVELOPE_PASSPHRASE_FILE is unset: no terminal, exit 3" 3 \
    "there is no terminal to ask on: use --passphrase-file or --passphrase-fd$"
ENVELOPE_PASSPHRASE_FILE=missing.txt notty "$E" pubkey "$ENC" -o env.pub
failed "ENVELOPE_PASSPHRASE_FILE missing: exit 3, names the variable, writes nothing" 3 \
    "^envelope: pubkey .*alice-encrypted.pem: ENVELOPE_PASSPHRASE_FILE missing.txt: No such file or directory$" \
    env.pub
ENVELOPE_PASSPHRASE_FD=9 notty "$E" pubkey "$ENC" -o env.pub
refused "ENVELOPE_PASSPHRASE_FD not open: exit 2" \
    "^envelope pubkey: ENVELOPE_PASSPHRASE_FD 9: descriptor not open" env.pub
ENVELOPE_PASSPHRASE_FD=three notty "$E" pubkey "$ENC" -o env.pub
refused "ENVELOPE_PASSPHRASE_FD not a number: exit 2" \
    "^envelope pubkey: ENVELOPE_PASSPHRASE_FD 'three': a descriptor number" env.pub
ENVELOPE_PASSPHRASE_FILE=$PASS ENVELOPE_PASSPHRASE_FD=0 notty "$E" pubkey "$ENC" -o env.pub
refused "both variables: exit 2, names both" \
    "^envelope pubkey: ENVELOPE_PASSPHRASE_FILE and ENVELOPE_PASSPHRASE_FD exclude each other" env.pub
ENVELOPE_PASSPHRASE_FILE=$PASS run "$E" keygen --sign -o env.pem
check "keygen with ENVELOPE_PASSPHRASE_FILE: the new key is encrypted under it" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -q "BEGIN ENCRYPTED PRIVATE KEY" env.pem &&
    openssl pkey -in env.pem -passin file:"$1" -noout' _ "$PASS"
rm -f env.out env.pem

# A wrong passphrase names the key, in every command that loads one.
notty "$E" seal --sign-key "$ENC" --to "$K/alice.pub" --passphrase-file wrong-pass.txt -o wp.enc note.json
failed "seal: a wrong passphrase for an encrypted key: exit 3, no envelope" 3 \
    "^envelope: --sign-key .*alice-encrypted.pem: wrong passphrase for .*alice-encrypted.pem$" wp.enc
notty "$E" open --decrypt-key "file:$ENC" --verify-key "$K/signer.pub" --passphrase-file wrong-pass.txt \
    -o wp.out note.enc
failed "open: a wrong passphrase (file: reference): exit 3, the path named, no output" 3 \
    "^envelope: --decrypt-key file:.*alice-encrypted.pem: wrong passphrase for /.*alice-encrypted.pem$" wp.out

# keygen --ask-passphrase: asked twice on the terminal, echo off.
ASK="$PY $HERE/pty_run.py"
run $ASK --answer "Passphrase for the new key asked.pem: " "tr0ub4dor&3" \
    --answer "The same passphrase again: " "tr0ub4dor&3" -- "$E" keygen --sign --ask-passphrase -o asked.pem
echo "tr0ub4dor&3" >asked-pass.txt
check "keygen --ask-passphrase: asked twice, the key encrypted under it" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$(grep -c "Passphrase for the new key asked.pem: " "$1")" -eq 1 ] &&
    [ "$(grep -c "The same passphrase again: " "$1")" -eq 1 ] && grep -q "BEGIN ENCRYPTED PRIVATE KEY" asked.pem &&
    openssl pkey -in asked.pem -passin file:asked-pass.txt -noout' _ "$OUT"
check "keygen --ask-passphrase: the passphrase is not echoed" bash -c '! grep -q "tr0ub4dor" "$1"' _ "$OUT"
run $ASK --answer "Passphrase for the new key differ.pem: " "tr0ub4dor&3" \
    --answer "The same passphrase again: " "tr0ub4dor&4" -- "$E" keygen --sign --ask-passphrase -o differ.pem
check "keygen --ask-passphrase, two different passphrases: exit 2, no key" \
    bash -c '[ '"$rc"' -eq 2 ] && grep -q "^envelope: differ.pem: the two passphrases differ; nothing written" "$1" &&
    ! [ -e differ.pem ]' _ "$OUT"
run $ASK --answer "Passphrase for the new key none.pem: " "" -- "$E" keygen --sign --ask-passphrase -o none.pem
check "keygen --ask-passphrase, nothing typed: exit 2, no key, asked once" \
    bash -c '[ '"$rc"' -eq 2 ] && grep -q "^envelope: none.pem: no passphrase entered" "$1" &&
    ! grep -q "The same passphrase again" "$1" && ! [ -e none.pem ]' _ "$OUT"
ENVELOPE_PASSPHRASE_FILE=$PASS notty "$E" keygen --sign --ask-passphrase -o noterm.pem
failed "keygen --ask-passphrase with no terminal: exit 2, the option wins over the variable" 2 \
    "^envelope: noterm.pem: --ask-passphrase needs a terminal: use --passphrase-file or --passphrase-fd$" \
    noterm.pem
rm -f asked.pem asked-pass.txt wrong-pass.txt

# Said in --help and in the manual.
run "$E" keygen --help
check "keygen --help: --ask-passphrase, the variables, the short fingerprint" \
    bash -c 'grep -q -- "--ask-passphrase asks for the passphrase twice" "$1" &&
    grep -q "ENVELOPE_PASSPHRASE_FILE or ENVELOPE_PASSPHRASE_FD" "$1" && grep -q "(e47b-4ca1-c04a-b8db)" "$1"' _ "$OUT"
for sub in pubkey seal open; do
    run "$E" "$sub" --help
    check "$sub --help: names the passphrase variables" grep -q "ENVELOPE_PASSPHRASE_FILE or ENVELOPE_PASSPHRASE_FD" "$OUT"
done
if command -v man >/dev/null; then
    run env MANWIDTH=80 man -l "$TOP/cli/envelope.1"
    check "envelope.1: the variables, that the options win, and options given twice" \
        bash -c 'grep -q "^       ENVELOPE_PASSPHRASE_FD N" "$1" && words=$(tr -s " \n" "  " <"$1") &&
        grep -q "The options win" <<<"$words" && grep -q "usage error (exit 2) naming both" <<<"$words" &&
        grep -q "wrong passphrase for KEY" <<<"$words"' _ "$OUT"
fi
