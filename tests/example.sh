#!/bin/bash
# The README's C program, as a user meets it: the block under "The C
# library" is docs/example.c byte for byte; it builds with -Wall -Wextra
# -Werror against the build tree and, with pkg-config alone, against a copy
# installed by `make install DESTDIR=...`; both builds seal and open, and a
# wrong key fails with the library's words.
#   bash tests/example.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: example.sh BUILD_DIR}" && pwd)
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
K=$TOP/tests/keys
T=$(mktemp -d "${TMPDIR:-/tmp}/envelope-example.XXXXXX")
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() {
    echo "FAIL $1"
    failed=$((failed + 1))
    [[ -s $T/err ]] && tail -n 8 "$T/err" | sed 's/^/     | /'
}
# A round trip prints the message's name, size and signer, and exits 0.
WANT="message.json: 22 bytes, signed by sha256:a96290fbee4e901d1c818167b3870e845d74d5522d8055692ca6a2840f8165ba"
round_trip() { # DESC PROGRAM [ENV...]
    local desc=$1 prog=$2 out rc
    shift 2
    out=$(env "$@" "$prog" "$K/signer.pem" "$K/alice.pub" "$K/alice.pem" "$K/signer.pub" 2>"$T/err")
    rc=$?
    if [[ $rc -eq 0 && $out == "$WANT" ]]; then ok "$desc"; else
        echo "     exit $rc, stdout: $out" >>"$T/err"
        bad "$desc"
    fi
}

awk '/^## The C library/ {s = 1} s && /^```c$/ {p = 1; next} p && /^```$/ {exit} p' \
    "$TOP/README.md" >"$T/readme.c"
if cmp -s "$T/readme.c" "$TOP/docs/example.c"; then
    ok "README.md's C program is docs/example.c"
else
    diff -u "$TOP/docs/example.c" "$T/readme.c" >"$T/err"
    bad "README.md's C program is docs/example.c"
fi

CFLAGS="-std=c11 -Wall -Wextra -Werror"
# shellcheck disable=SC2086
if cc $CFLAGS -I"$TOP/include" -o "$T/example" "$T/readme.c" "$B/libenvelope.so.1" \
    -Wl,-rpath,"$B" 2>"$T/err"; then
    ok "the program builds with $CFLAGS against the build tree"
    round_trip "it seals and opens with the test keys" "$T/example"
else
    bad "the program builds with $CFLAGS against the build tree"
fi
# A program using a newer call names the version node it needs, so that an
# older library refuses to load it, saying so (libenvelope/libenvelope.map).
if objdump -T "$T/example" >"$T/err" 2>&1 &&
    grep -Eq "\(ENVELOPE_0\.2\) +envelope_seal_simple$" "$T/err" &&
    grep -Eq "\(ENVELOPE_0\) +envelope_open_mem$" "$T/err"; then
    ok "it needs envelope_seal_simple@ENVELOPE_0.2 and envelope_open_mem@ENVELOPE_0"
else
    bad "it needs envelope_seal_simple@ENVELOPE_0.2 and envelope_open_mem@ENVELOPE_0"
fi
out=$("$T/example" "$K/signer.pem" "$K/alice.pub" "$K/bob.pem" "$K/signer.pub" 2>"$T/err")
rc=$?
if [[ $rc -eq 1 && -z $out ]] && grep -q "^example: envelope not addressed to this key (" "$T/err"
then ok "a wrong decrypt key: exit 1, the library's reason, nothing on stdout"; else
    echo "     exit $rc, stdout: $out" >>"$T/err"
    bad "a wrong decrypt key: exit 1, the library's reason, nothing on stdout"
fi

# As a user would: an installed copy, found by pkg-config alone.
ROOT=$T/root
if make -C "$TOP" --no-print-directory -s B="$B" DESTDIR="$ROOT" PREFIX=/usr/local install \
    >"$T/err" 2>&1; then
    ok "make install DESTDIR=... PREFIX=/usr/local"
else
    bad "make install DESTDIR=... PREFIX=/usr/local"
fi
PC=(env PKG_CONFIG_PATH="$ROOT/usr/local/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$ROOT")
flags=$("${PC[@]}" pkg-config --cflags --libs envelope 2>"$T/err")
# (The private requirements add their own directories, under the sysroot.)
if [[ $flags == "-I$ROOT/usr/local/include "* && $flags == *" -L$ROOT/usr/local/lib -lenvelope"* ]]
then
    ok "pkg-config finds the installed copy: $flags"
else
    echo "     pkg-config said: $flags" >>"$T/err"
    bad "pkg-config finds the installed copy"
fi
# shellcheck disable=SC2086
if cc $CFLAGS -o "$T/installed" "$T/readme.c" $flags 2>"$T/err"; then
    ok "the program builds with $CFLAGS and pkg-config's flags alone"
    round_trip "built against the installed copy, it seals and opens" "$T/installed" \
        LD_LIBRARY_PATH="$ROOT/usr/local/lib"
    if LD_LIBRARY_PATH="$ROOT/usr/local/lib" ldd "$T/installed" >"$T/ldd" 2>&1 &&
        grep -q "libenvelope.so.1 => $ROOT/usr/local/lib/libenvelope.so.1" "$T/ldd"; then
        ok "and runs on the installed libenvelope.so.1"
    else
        cp "$T/ldd" "$T/err"
        bad "and runs on the installed libenvelope.so.1"
    fi
else
    bad "the program builds with $CFLAGS and pkg-config's flags alone"
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
