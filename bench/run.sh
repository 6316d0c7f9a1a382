#!/usr/bin/env bash
# make bench: throughput, latency and memory of libenvelope against openssl
# and the peer tools, side by side, in one run; prints the tables and writes
# docs/BENCHMARKS.md. Not a test: nothing here passes or fails on a time.
#
#   bench/run.sh BUILD_DIR            (after `make B=BUILD_DIR all`)
#   BENCH_QUICK=1 bench/run.sh BUILD_DIR
#
# The knobs (BENCH_SIZES, BENCH_RUNS, ...) are described in bench/bench.py
# and docs/BENCHMARKS.md. Test files (up to 1 GiB each), outputs, keys, the
# GnuPG home and the KMS server live in one temporary directory under
# BENCH_TMPDIR (default: /dev/shm if it is a tmpfs with room, else $TMPDIR,
# else /tmp), so that the ratios are measured on a tmpfs; the durability rows
# write to a second one under BENCH_DISKDIR (default: /var/tmp if it is not a
# tmpfs, else $TMPDIR, else /tmp). Both are removed on exit.
set -euo pipefail

build=${1:?usage: bench/run.sh BUILD_DIR}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=$(cd "$build" && pwd)

if [[ ! -x $build/envelope || ! -e $build/libenvelope.so.1 ]]; then
    echo "bench: no envelope in $build: run 'make B=$build all' first" >&2
    exit 2
fi
missing=()
for tool in /usr/bin/python3 /usr/bin/time openssl hyperfine cc nm readelf pkg-config tar \
    base64 cmp; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "bench: missing ${missing[*]} (Debian: apt-get install -y hyperfine time openssl" \
        "gcc binutils pkg-config tar coreutils diffutils python3)" >&2
    exit 2
fi
# Optional: each peer that is missing is left out with a note in the report.
for tool in gpg age /usr/bin/aws; do
    command -v "$tool" >/dev/null ||
        echo "bench: $tool not installed: its comparison will be left out" >&2
done

bases=$(/usr/bin/python3 -B bench/bench.py --pick-dirs)
{ read -r tmpbase && read -r diskbase; } <<<"$bases"
work= disk=
cleanup() {
    if [[ -n $work && -d $work/gnupg ]]; then
        gpgconf --homedir "$work/gnupg" --kill all >/dev/null 2>&1 || true
    fi
    if [[ -n $work && -d $work/kms ]]; then
        bash tests/kms-server/kmsctl.sh stop "$work/kms" >/dev/null 2>&1 || true
    fi
    [[ -z $work ]] || rm -rf "$work"
    [[ -z $disk ]] || rm -rf "$disk"
}
trap cleanup EXIT
work=$(mktemp -d "$tmpbase/envbench.XXXXXX")
disk=$(mktemp -d "$diskbase/envbench-disk.XXXXXX")

# In the background, so that INT and TERM reach this shell at once: they are
# passed on as TERM, on which the orchestrator stops what it runs and exits;
# then the EXIT trap cleans up.
/usr/bin/python3 -B bench/bench.py --build "$build" --work "$work" --disk "$disk" \
    --out "${BENCH_OUT:-$root/docs/BENCHMARKS.md}" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
status=0
while :; do
    wait "$pid" && status=0 || status=$?
    kill -0 "$pid" 2>/dev/null || break
done
exit "$status"
