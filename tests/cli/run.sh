#!/bin/bash
# The envelope command line, end to end: every subcommand and exit code,
# files and modes, terminals (under a pseudo-terminal), the progress bar,
# atomic outputs, signals, offline verification and the tutorial's session.
# usage: tests/cli/run.sh BUILD_DIR     (uses BUILD_DIR/envelope; builds nothing)
# Prints one line per check and ends with "N passed, M failed"; exits
# non-zero if any check failed.
set -u
if [ $# -ne 1 ] || [ ! -x "$1/envelope" ]; then
    echo "usage: $0 BUILD_DIR (with BUILD_DIR/envelope built)" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
E=$(cd "$1" && pwd)/envelope
K=$TOP/tests/keys
PY=/usr/bin/python3
# Passphrases come from the options the tests give, never from the caller.
unset ENVELOPE_PASSPHRASE_FILE ENVELOPE_PASSPHRASE_FD
T=$(mktemp -d "${TMPDIR:-/tmp}/envelope-cli.XXXXXX")
W=$T/w
mkdir "$W" && cd "$W" || exit 2

. "$HERE/lib.sh"
trap cleanup EXIT
for part in keys keyfiles seal_open startup options limits space verify names inputs outputs2 process signals durability terminal tutorial matrix manual messages json armor batch; do
    section "$part"
    . "$HERE/t_$part.sh"
done
summary
