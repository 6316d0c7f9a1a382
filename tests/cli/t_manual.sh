# The manual page renders, without warnings, with the sections it promises.

MAN=$TOP/cli/envelope.1
if command -v groff >/dev/null && command -v man >/dev/null; then
    run groff -man -ww -z "$MAN"
    check "envelope.1: groff finds nothing to warn about" bash -c '[ '"$rc"' -eq 0 ] && ! [ -s "$1" ]' _ "$ERR"
    run env MANWIDTH=80 man -l "$MAN"
    check "envelope.1: man -l renders every section" bash -c '[ '"$rc"' -eq 0 ] && for s in NAME SYNOPSIS \
        DESCRIPTION COMMANDS OPTIONS "KEY REFERENCES" SECURITY "EXIT STATUS" ENVIRONMENT EXAMPLES; do
        grep -qx "$s" "$1" || exit 1; done' _ "$OUT"
    check "envelope.1: examples with awskms:/// and awskms://HOST:PORT/, openssl and sha512sum" \
        bash -c 'grep -q "awskms:///alias/" "$1" && grep -q "awskms://[a-z.]*:[0-9]*/" "$1" &&
        grep -q "openssl dgst -sha512 -verify" "$1" && grep -q "sha512sum message.json" "$1" &&
        grep -q "trust anchor" "$1"' _ "$OUT"
else
    echo "# manual checks skipped: no groff/man"
fi

# 'help COMMAND' is 'COMMAND --help', byte for byte; 'help' alone is the
# general usage; -V and version are --version.
for sub in keygen pubkey seal open verify inspect; do
    run "$E" "$sub" --help
    cp "$OUT" want.help
    run "$E" help "$sub"
    check "help $sub: exit 0, the same text as $sub --help on stdout, nothing on stderr" \
        bash -c '[ '"$rc"' -eq 0 ] && [ -s "$1" ] && cmp -s "$1" want.help && ! [ -s "$2" ] ||
        { echo "     exit '"$rc"'; $(diff want.help "$1" | head -5)"; false; }' _ "$OUT" "$ERR"
done
run "$E" --help
cp "$OUT" want.help
run "$E" help
check "help alone: exit 0, the text of --help" bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" want.help &&
    head -1 "$1" | grep -q "^usage: envelope COMMAND" || { echo "     exit '"$rc"'"; false; }' _ "$OUT"
run "$E" help bogus
failed "help bogus: exit 2, the unknown command named" 2 "^envelope: unknown command 'bogus' \(see 'envelope --help'\)$"
run "$E" help seal open
failed "help with two commands: exit 2" 2 "^envelope: help takes one command"
run "$E" --version
cp "$OUT" want.version
for v in -V version; do
    run "$E" "$v"
    check "$v: exit 0, the line of --version" bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" want.version &&
        grep -Eq "^envelope [0-9.]+ \(library [0-9.]+\)$" "$1" || { echo "     exit '"$rc"': $(cat "$1")"; false; }' _ "$OUT"
done
