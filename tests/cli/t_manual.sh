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

# The bash completion script: sourced in a bash of its own, asked as bash
# asks (COMP_WORDS, COMP_CWORD), COMPREPLY printed one word a line, sorted.
COMPLETION=$TOP/cli/envelope.bash-completion
completes() {
    local want=$1
    shift
    run bash -c 'cd comp && . "$1" || exit 9; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _envelope; printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort' _ "$COMPLETION" "$@"
    check "completion of '$*': $(echo "$want" | tr '\n' ' ')" bash -c '[ '"$rc"' -eq 0 ] &&
        [ "$(cat "$1")" = "$2" ] || { echo "     exit '"$rc"'; got: $(tr "\n" " " <"$1")"; false; }' \
        _ "$OUT" "$want"
}
mkdir -p comp/keys.d && : >comp/alice.pub && : >comp/alice.pem && : >comp/note.json
completes $'seal' envelope se
completes $'keygen' envelope help k
completes $'inspect\nkeygen\nopen\npubkey\nseal\nverify' envelope help ''
completes $'--sign-key' envelope seal --sig
completes $'--decrypt-key' envelope open --verify-key x.pub --d
completes $'--max-age\n--max-size\n--max-skew' envelope open --max-
completes '-V' envelope -V
completes $'verify\nversion' envelope ver
completes $'alice.pem\nalice.pub' envelope seal --to ali
completes $'keys.d' envelope open --extract k
completes $'keys.d' envelope verify ''
completes $'note.json' envelope inspect n
completes $'2048\n3072\n4096' envelope keygen --encrypt --bits ''
completes '' envelope seal --name ''
# awskms:// references are the user's: no file names (bash splits at ':').
completes '' envelope seal --to awskms ':' '//'
completes '' envelope seal --to awskms ':'
completes '' envelope open --decrypt-key awskms://

# make install puts the script where bash-completion looks, under DESTDIR
# and PREFIX; uninstall takes it away. install-completion is the step of
# make install that needs no build (a make run inside another one, as in
# make check, must not pass its variables on).
NOMAKE=(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$TOP")
run "${NOMAKE[@]}" -n install DESTDIR="$W/dest" PREFIX=/opt/env
check "make install: installs the completion script under DESTDIR and PREFIX" bash -c '[ '"$rc"' -eq 0 ] &&
    grep -q "install -m 0644 cli/envelope.bash-completion $1/opt/env/share/bash-completion/completions/envelope" "$2" ||
    { echo "     exit '"$rc"'; $(grep completion "$2")"; false; }' _ "$W/dest" "$OUT"
run "${NOMAKE[@]}" install-completion DESTDIR="$W/dest" PREFIX=/opt/env
check "make install-completion DESTDIR=... PREFIX=/opt/env: the script, 0644, same bytes" bash -c '[ '"$rc"' -eq 0 ] &&
    f=$1/opt/env/share/bash-completion/completions/envelope && cmp -s "$f" "$2" &&
    [ "$(stat -c %a "$f")" = 644 ] || { echo "     exit '"$rc"'; $(tail -3 "$3")"; false; }' \
    _ "$W/dest" "$COMPLETION" "$ERR"
run "${NOMAKE[@]}" uninstall DESTDIR="$W/dest" PREFIX=/opt/env
check "make uninstall: the completion script is gone" bash -c '[ '"$rc"' -eq 0 ] &&
    ! [ -e "$1/opt/env/share/bash-completion/completions/envelope" ]' _ "$W/dest"
