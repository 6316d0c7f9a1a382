# Terminals, under a pseudo-terminal (pty_run.py): the refusal to write an
# envelope to one, the passphrase prompt, and the progress bar.

PTY="$PY $HERE/pty_run.py"
# pty CMD...: runs CMD on a terminal; the transcript goes to $OUT.
pty() { run $PTY "$@"; }

pty -- "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" note.json
check "seal to a terminal: exit 2, says why, writes no envelope" bash -c '[ '"$rc"' -eq 2 ] &&
    grep -q "^envelope seal: will not write an envelope to a terminal; use -o OUT, redirect stdout, or --armor for text" "$1" &&
    [ "$(wc -l <"$1")" -eq 1 ] && ! grep -q ENV "$1"' _ "$OUT"
pty -- "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -o - note.json
check "seal -o - to a terminal: exit 2 too" bash -c '[ '"$rc"' -eq 2 ] && grep -q "will not write an envelope to a terminal" "$1"' _ "$OUT"
pty -- "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --force -o /dev/tty note.json
check "seal -o /dev/tty --force: exit 2, the terminal named, no envelope" bash -c '[ '"$rc"' -eq 2 ] &&
    grep -q "^envelope seal: will not write an envelope to a terminal (/dev/tty)" "$1" &&
    [ "$(wc -l <"$1")" -eq 1 ]' _ "$OUT"
rm -f tty.pub
pty -- "$E" keygen --sign -o /dev/tty --pub tty.pub
check "keygen -o /dev/tty: exit 2, no key shown, no public key written" bash -c '[ '"$rc"' -eq 2 ] &&
    grep -q "^envelope keygen: -o /dev/tty is a terminal: a private key is never shown" "$1" &&
    [ "$(wc -l <"$1")" -eq 1 ] && ! [ -e tty.pub ]' _ "$OUT"
pty -- "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o /dev/tty note.enc
check "open -o /dev/tty: written into the terminal, no --force" bash -c '[ '"$rc"' -eq 0 ] &&
    grep -q "{\"hello\":\"world\"}" "$1" && grep -q "into /dev/tty" "$1"' _ "$OUT"
pty -- "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" note.enc
check "open to a terminal: the text is shown" bash -c '[ '"$rc"' -eq 0 ] &&
    grep -q "{\"hello\":\"world\"}" "$1" && grep -q "envelope: verified \"note.json\"" "$1"' _ "$OUT"
pty -- "$E" inspect
check "inspect reading a terminal: exit 2" bash -c '[ '"$rc"' -eq 2 ] && grep -q "will not read an envelope from a terminal" "$1"' _ "$OUT"

# The passphrase prompt, on the terminal, echo off.
PASSPHRASE=$(head -1 "$K/passphrase.txt")
rm -f prompted.out
pty --answer "Passphrase for " "$PASSPHRASE" -- \
    "$E" open --decrypt-key "$K/alice-encrypted.pem" --verify-key "$K/signer.pub" -o prompted.out note.enc
check "passphrase prompt: asked once, on the terminal; opens" bash -c '[ '"$rc"' -eq 0 ] &&
    [ "$(grep -c "Passphrase for .*alice-encrypted.pem: " "$1")" -eq 1 ] && cmp -s prompted.out note.json' _ "$OUT"
check "passphrase prompt: the passphrase is not echoed" bash -c '! grep -q "$2" "$1"' _ "$OUT" "$PASSPHRASE"
pty --answer "Passphrase for " "not the passphrase" -- \
    "$E" open --decrypt-key "$K/alice-encrypted.pem" --verify-key "$K/signer.pub" -o wrong.out note.enc
check "passphrase prompt, a wrong passphrase: exit 3, no output" bash -c '[ '"$rc"' -eq 3 ] &&
    grep -q "^envelope: --decrypt-key .*alice-encrypted.pem: wrong passphrase for .*alice-encrypted.pem.$" "$1" && ! [ -e wrong.out ]' _ "$OUT"

# The progress bar: a slow pipe makes opening (and sealing) last ~1.5 s.
head -c 8M /dev/urandom >big.bin
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -o big.enc big.bin
RATE=6000000
SLOW="$PY $HERE/slowcat.py"
bar_shown() { grep -Eq "$2 +[0-9.]+%  [0-9.]+ (KiB|MiB) of 8.0 MiB  [0-9.]+ (KiB|MiB)/s  ETA [0-9]+s" "$1"; }
pty -- sh -c "$SLOW big.enc $RATE | \"\$0\" open --decrypt-key \"\$1/alice.pem\" --verify-key \"\$1/signer.pub\" -o big.out" "$E" "$K"
check "progress bar on a terminal while opening: percent, bytes, rate, ETA" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s big.out big.bin && '"$(declare -f bar_shown)"'; bar_shown "$1" opening' _ "$OUT"
check "progress bar: its line is cleared before the result" grep -q $'\r\033\\[Kenvelope: verified "big.bin"' "$OUT"
pty -- sh -c "\"\$0\" seal --sign-key \"\$1/signer.pem\" --to \"\$1/alice.pub\" big.bin | $SLOW - $RATE >/dev/null" "$E" "$K"
check "progress bar on a terminal while sealing" \
    bash -c '[ '"$rc"' -eq 0 ] && '"$(declare -f bar_shown)"'; bar_shown "$1" sealing' _ "$OUT"
rm -f big.out
run sh -c "$SLOW big.enc $RATE | \"\$0\" open --decrypt-key \"\$1/alice.pem\" --verify-key \"\$1/signer.pub\" -o big.out" "$E" "$K"
check "no progress bar when stderr is a pipe: only the result line" bash -c '[ '"$rc"' -eq 0 ] &&
    [ "$(wc -l <"$1")" -eq 1 ] && ! grep -q $'"'"'\r'"'"' "$1" && grep -q "^envelope: verified \"big.bin\"" "$1"' _ "$ERR"
rm -f big.out
pty -- sh -c "$SLOW big.enc $RATE | \"\$0\" open --quiet --decrypt-key \"\$1/alice.pem\" --verify-key \"\$1/signer.pub\" -o big.out" "$E" "$K"
check "no progress bar with --quiet, even on a terminal: nothing said" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s big.out big.bin && ! [ -s "$1" ]' _ "$OUT"
rm -f big.bin big.enc big.out
