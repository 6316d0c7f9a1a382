#!/usr/bin/python3
"""make bench: libenvelope against openssl and the peer tools, side by side.

Run by bench/run.sh, which makes the work directory (on a tmpfs where there
is one) and the disk directory and removes them (and stops anything started
in them) on exit:

    bench.py --pick-dirs      (prints the two bases, BENCH_TMPDIR, BENCH_DISKDIR)
    bench.py --build BUILD_DIR --work WORK_DIR --disk DISK_DIR [--out docs/BENCHMARKS.md]

Everything is measured in one run on one machine, and every comparison is a
ratio of figures taken in that run (docs/DESIGN.md, "Performance targets").
Sections:

  floors      `openssl speed` (SHA-512, AES-256-GCM, ECDSA P-521, RSA-4096)
  throughput  envelope seal/open against `openssl dgst -sha512`, paired runs
  durability  envelope open -o with and without its fsync calls, paired runs,
              writing to the disk directory
  peers       GnuPG, openssl cms, the tutorial's pipeline with the openssl
              CLI, age: the same files, the same run
  ops         bench/ops.c: seal_mem/open_mem per second in one process
  startup     where the time and memory of a 1 KiB seal and open go
  kms         requests per envelope, envelopes per second, the tutorial's
              `aws kms` commands, against tests/kms-server
  batch       envelope seal/open --out-dir over 1 KiB messages, -j 1 and
              -j 2, against the public-key floor and one-shot peers; the
              flushes' cost on the disk directory; KMS requests per message
              and TLS handshakes (BENCH_SKIP=batch_kms leaves the KMS part out)

Knobs (environment): BENCH_QUICK=1 (1 KiB/1 MiB/10 MiB, 2 runs, short
loops: for developing the benchmark, not for figures), BENCH_SIZES
(e.g. "1K,1M,100M,1G"), BENCH_RUNS and BENCH_PEER_RUNS (runs per size),
BENCH_SECONDS (ops loops), BENCH_SKIP (comma-separated section names),
BENCH_TMPDIR (where the work directory goes: default /dev/shm if it is a
tmpfs with room, else $TMPDIR, else /tmp), BENCH_DISKDIR (where the
durability rows write: default /var/tmp if it is not a tmpfs, else $TMPDIR,
else /tmp).
"""

import argparse
import datetime
import os
import signal
import subprocess
import sys

sys.dont_write_bytecode = True  # nothing of the run stays in the tree

from benchlib.common import (GIB, KIB, MIB, ROOT, Config, Failure, Report, Table, env_sizes,
                             fmt_kib, fmt_ratio, remove, size_name, make_file)
from benchlib.batch import batch_section, batch_targets, report_batch
from benchlib.build import build_helpers
from benchlib.durability import durability, report_durability
from benchlib.floors import machine, openssl_speed, report_floors
from benchlib.kms import kms_section, report_kms
from benchlib.ops import ops_section, report_ops
from benchlib.peers import peers_at, report_peers, setup_peers
from benchlib.startup import report_startup, startup, startup_targets
from benchlib.throughput import report_throughput, throughput
from benchlib.where import pick_diskdir, pick_tmpdir


def targets(cfg, tp, peers, ops, kms):
    rows = []

    def row(target, measured, ok):
        rows.append([target, measured, "not measured" if ok is None else "met" if ok else
                     "NOT MET"])

    big = max(tp) if tp else None
    if big:
        r = tp[big]
        note = "" if big >= GIB else f" (largest size in this run: {size_name(big)})"
        worst = max(r["seal_ratio"], r["open_ratio"])
        row("seal and open of 1 GiB in ≤1.1x the time of openssl dgst -sha512",
            f"seal {fmt_ratio(r['seal_ratio'])}, open {fmt_ratio(r['open_ratio'])}" + note,
            worst <= 1.1 if big >= GIB else None)
        peak = max(max(x["seal_rss"], x["open_rss"]) for x in tp.values())
        row("peak RSS ≤16 MiB at every size",
            f"largest {fmt_kib(peak)} (sizes up to {size_name(big)})", peak <= 16 * 1024)
    else:
        row("seal and open of 1 GiB in ≤1.1x openssl dgst -sha512", "-", None)
        row("peak RSS ≤16 MiB at every size", "-", None)
    if ops and "seal_ratio" in ops:
        row("per operation in one process within 1.2x of the openssl speed floor",
            f"seal {fmt_ratio(ops['seal_ratio'])}, open {fmt_ratio(ops['open_ratio'])}",
            max(ops["seal_ratio"], ops["open_ratio"]) <= 1.2)
    else:
        row("per operation in one process within 1.2x of the openssl speed floor", "-", None)

    def peer_ratios(size, names):
        t = peers.get(size, {})
        env = t.get("libenvelope", {})
        out = []
        for n in names:
            r = t.get(n)
            if not r or "error" in r or "error" in env:
                continue
            out.append((n, r["seal"] / env["seal"], r["open"] / env["open"]))
        return out

    small = [s for s in peers if s <= KIB]
    if small:
        rs = peer_ratios(small[0], ["age", "GnuPG", "openssl cms"])
        worst = min((min(a, b) for _, a, b in rs), default=None)
        row("whole process at 1 KiB faster than age, GnuPG and openssl cms",
            "; ".join(f"{n}: seal {a:.2f}x, open {b:.2f}x" for n, a, b in rs) or "-",
            None if worst is None else worst > 1)
    else:
        row("whole process at 1 KiB faster than age, GnuPG and openssl cms", "-", None)
    for size in (100 * MIB, GIB):
        names = ["GnuPG", "openssl cms", "tutorial (openssl CLI)"]
        rs = peer_ratios(size, names) if size in peers else []
        worst = min((min(a, b) for _, a, b in rs), default=None)
        row(f"at {size_name(size)} ≥2x faster than GnuPG, openssl cms, the tutorial "
            "pipeline, both directions",
            "; ".join(f"{n}: seal {a:.2f}x, open {b:.2f}x" for n, a, b in rs) or "not in this run",
            None if worst is None else worst >= 2)
    if kms and "stub" not in kms and "seal_requests_cached" in kms:
        worst = max(kms["seal_requests_cached"], kms["open_requests_cached"])
        row("KMS: ≤2 requests per seal and per open once public keys are cached",
            f"seal {kms['seal_requests_cached']:.1f}, open {kms['open_requests_cached']:.1f}",
            worst <= 2)
        if "batch_ratio" in kms:
            row("batch sealing ≥20x faster per message than the tutorial's aws commands",
                fmt_ratio(kms["batch_ratio"]), kms["batch_ratio"] >= 20)
        else:
            row("batch sealing ≥20x faster per message than the tutorial's aws commands",
                "aws baseline not run", None)
    else:
        why = "needs the KMS client" if kms and "stub" in kms else "not in this run"
        row("KMS: ≤2 requests per seal and per open once public keys are cached", why, None)
        row("batch sealing ≥20x faster per message than the tutorial's aws commands", why, None)
    return rows


def reproduce_text(cfg):
    return (
        "On a quiet machine (nothing else compiling or testing: the figures are ratios "
        "taken in one run, but a busy second core still skews the two-thread pipeline):\n\n"
        "```sh\n"
        "apt-get install -y age gnupg hyperfine time openssl tar awscli \\\n"
        "    python3-botocore python3-cryptography   # plus the build dependencies (make deps)\n"
        "make bench                  # builds, then runs bench/run.sh BUILD_DIR\n"
        "BENCH_QUICK=1 make bench    # 1 KiB/1 MiB/10 MiB, 2 runs: checks the benchmark runs\n"
        "```\n\n"
        "`bench/run.sh BUILD_DIR` does the same on an existing build. Knobs: `BENCH_SIZES` "
        "(e.g. `1K,1M,100M,1G`), `BENCH_RUNS` and `BENCH_PEER_RUNS` (runs per size), "
        "`BENCH_SECONDS` (per-operation loops), `BENCH_SKIP` (any of `floors`, `ops`, "
        "`startup`, `throughput`, `durability`, `peers`, `kms`, `batch`, `batch_kms`), "
        "`BENCH_OUT` (this file). The run prints every table as it goes and rewrites this "
        "file at the end.\n\n"
        "Two directories, each a fresh temporary directory removed on exit (also on INT and "
        "TERM): the test files, outputs, keys, GnuPG home and KMS server live under "
        "`BENCH_TMPDIR`, by default `/dev/shm` when it is a writable tmpfs with room for "
        "8 times the largest size plus 256 MiB (about 8.3 GiB with 1 GiB; in memory too), else "
        "`$TMPDIR`, else `/tmp`: every ratio is measured with outputs on a tmpfs, so that no "
        "disk's write-back skews it. The durability rows (open -o, and the batch's flushes) "
        "write under `BENCH_DISKDIR`, by default `/var/tmp` when it is not a tmpfs, else "
        "`$TMPDIR`, else `/tmp`: what fsync costs on a disk, in rows of their own.")


def method_text():
    return (
        "* Test files are random bytes (nothing compresses), made fresh in each run and "
        "read from the page cache; outputs go to the same directory (BENCH_TMPDIR, a tmpfs "
        "where there is one), except in the durability rows, which write to BENCH_DISKDIR.\n"
        "* Keys: tests/keys/signer.pem (P-521) signs, tests/keys/dave.pem (RSA-4096) "
        "receives; GnuPG uses fresh P-521 keys (ECDSA, ECDH subkey), age a fresh X25519 "
        "identity; openssl cms uses self-signed certificates over the fixed keys.\n"
        "* Every whole-process time is wall time from spawning to reaping the process "
        "(Python's `time.perf_counter`), stdout to /dev/null. Medians throughout.\n"
        "* Every opened file is compared with the original once per tool and size before "
        "the timed runs.\n"
        "* Peak RSS counts one process: gpg-agent's work for GnuPG is not in it; for bash "
        "pipelines it is the largest process of the pipeline, not their sum.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pick-dirs", action="store_true",
                    help="print where the work and the disk directories go, one a line")
    ap.add_argument("--build")
    ap.add_argument("--work")
    ap.add_argument("--disk")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    args = ap.parse_args()
    if args.pick_dirs:
        print(pick_tmpdir(env_sizes()))
        print(pick_diskdir())
        return 0
    if not (args.build and args.work and args.disk):
        ap.error("--build, --work and --disk are required")
    cfg = Config(args.build, args.work, args.disk, args.out)
    for d in ("tmp", "home", "data"):
        os.makedirs(os.path.join(cfg.work, d), exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    rep = Report()
    failures = []
    started = datetime.datetime.now(datetime.timezone.utc)
    info = machine(cfg)

    def attempt(name, fn, *a):
        if name in cfg.skip:
            print(f"\n== {name}: skipped (BENCH_SKIP)", flush=True)
            return None
        try:
            return fn(*a)
        except (Failure, subprocess.TimeoutExpired, OSError, KeyError) as e:
            failures.append(f"{name}: {e}")
            print(f"\n!! {name} failed: {e}", file=sys.stderr, flush=True)
            return None

    print(f"bench: {'QUICK mode, ' if cfg.quick else ''}sizes "
          f"{', '.join(size_name(s) for s in cfg.sizes)}; work in {cfg.work} "
          f"({cfg.work_fs}), durability rows in {cfg.disk} ({cfg.disk_fs})", flush=True)
    rates = attempt("floors", openssl_speed, cfg)
    b = attempt("build", build_helpers, cfg)
    ops = attempt("ops", ops_section, cfg, b) if b else None
    peer_notes = []
    peers = attempt("peers", setup_peers, cfg, peer_notes)
    st = attempt("startup", startup, cfg, b, peers) if b else None
    tp, pr, dur = {}, {}, {}
    for size in cfg.sizes:
        path = os.path.join(cfg.work, "data", f"message-{size_name(size).replace(' ', '')}.bin")
        print(f"\n-- {size_name(size)}", flush=True)
        make_file(path, size)
        sealed = attempt("throughput", throughput, cfg, size, path, tp)
        if sealed and b and "nosync" in b:
            attempt("durability", durability, cfg, size, sealed, b["nosync"], dur)
        if peers is not None:
            attempt("peers", peers_at, cfg, size, path, peers, pr)
        remove(path, path + ".env")
    kms = attempt("kms", kms_section, cfg, b) if b else None
    bt = attempt("batch", batch_section, cfg, b, peers, rates)
    ended = datetime.datetime.now(datetime.timezone.utc)

    if rates:
        report_floors(rep, rates)
    if tp:
        report_throughput(rep, cfg, tp, rates)
    if dur:
        report_durability(rep, cfg, dur)
    if pr:
        report_peers(rep, cfg, pr, peers or [], peer_notes)
    if ops and rates:
        report_ops(rep, ops, rates)
    if st:
        report_startup(rep, cfg, st, ops, b, rates)
    if kms:
        report_kms(rep, kms)
    if bt:
        report_batch(rep, cfg, bt)
    rep.section("How to reproduce")
    rep.para(reproduce_text(cfg))
    rep.section("Method")
    rep.para(method_text())

    # The document opens with the run, the machine and where we stand.
    head = Report()
    head.parts.append(("p", "# Benchmarks"))
    mode = ("**quick mode**: small sizes and 1-2 runs, to check that the benchmark works; "
            "not figures to quote" if cfg.quick else "full")
    head.para(f"Results of one `make bench` run ({mode}), {started:%Y-%m-%d %H:%M} to "
              f"{ended:%H:%M} UTC. Load average at the start {info['load']}, at the end "
              f"{'%.2f %.2f %.2f' % os.getloadavg()}. Regenerated by every run: edit "
              "bench/ (bench/README.md), not this file.")
    head.para(f"Outputs on {cfg.work_fs} (BENCH_TMPDIR); the durability rows write to "
              f"{cfg.disk_fs} (BENCH_DISKDIR).")
    if os.getloadavg()[0] > 0.5:
        head.para("**Warning:** the machine was not idle during this run; the figures may "
                  "be skewed.")
    if not cfg.work_on_tmpfs:
        head.para(f"**Warning:** the ratios were NOT measured on tmpfs: the outputs went to "
                  f"{cfg.work_fs}, whose write-back is in every figure; set BENCH_TMPDIR to "
                  "a tmpfs.")
    if cfg.disk_on_tmpfs:
        head.para(f"**Warning:** the durability rows wrote to {cfg.disk_fs}, not a disk: "
                  "they do not show what fsync costs; set BENCH_DISKDIR to a directory on "
                  "a disk.")
    head.section("Machine")
    head.table(Table(["", "this run"], [
        ["CPU", f"{info['cpu']}, {info['nproc']} online (nproc)"],
        ["memory", info["memory"]], ["kernel", info["kernel"]], ["system", info["os"]],
        ["OpenSSL", info["openssl"]], ["libarchive", info["libarchive"]],
        ["GnuPG", info["gnupg"]], ["age", info["age"]], ["hyperfine", info["hyperfine"]],
        ["compiler", info["compiler"]], ["libenvelope", info["envelope"]]]))
    head.para('The reference figures of docs/DESIGN.md, "Performance targets", were measured '
              "on a 2 vCPU AMD EPYC under Debian 12; compare ratios, not absolute times, "
              "with them.")
    head.section("Where we stand")
    head.para("Peer ratios are the peer's time over libenvelope's: above 1, libenvelope is "
              "faster. Ratios against floors are libenvelope's time over the floor's.")
    head.table(Table(['target (docs/DESIGN.md, "Performance targets")', "this run", "status"],
                     targets(cfg, tp, pr, ops, kms) + startup_targets(st, rates) +
                     batch_targets(bt)))
    if failures:
        head.para("**Sections that failed in this run:**\n\n" +
                  "\n".join(f"* {f}" for f in failures))

    os.makedirs(os.path.dirname(os.path.abspath(cfg.out)), exist_ok=True)
    with open(cfg.out, "w") as f:
        f.write(head.markdown() + "\n" + rep.markdown())
    print(f"\nbench: wrote {os.path.relpath(cfg.out, ROOT)}", flush=True)
    if failures:
        print("bench: some sections failed:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0



if __name__ == "__main__":
    sys.exit(main())
