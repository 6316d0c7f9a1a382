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
