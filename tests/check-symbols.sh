#!/bin/sh
# The shared library exports exactly the committed list of public symbols.
set -eu
lib=$1; want=$2
got=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' | sort -u)
if [ "$got" != "$(sort -u "$want")" ]; then
    echo "exported symbols differ from $want:"
    printf '%s\n' "$got" | diff -u "$want" - || true
    echo "0 passed, 1 failed"
    exit 1
fi
if printf '%s\n' "$got" | grep -v '^envelope_' >/dev/null; then
    echo "symbols outside envelope_*"; exit 1
fi
echo "symbols: $(printf '%s\n' "$got" | wc -l) exported, all envelope_*"
