"""What every section shares: paths, the run's configuration, running and
timing processes, formatting, tables and the report."""

import os
import re
import shlex
import shutil
import subprocess
import threading
import time

from .where import describe, fs_type

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # bench/
ROOT = os.path.dirname(HERE)
KEYS = os.path.join(ROOT, "tests", "keys")
KMSCTL = os.path.join(ROOT, "tests", "kms-server", "kmsctl.sh")

AWS = "/usr/bin/aws"

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
UNITS = {"K": KIB, "M": MIB, "G": GIB}

# Figures measured while designing (docs/DESIGN.md, "Performance targets"), to set ours beside.
DESIGN = {
    "dgst_1g": "1.45-1.60 s",
    "empty": "2.9 ms",
    "crypto_init": "5.6 ms",
    "archive_only": "8.0 ms, 4.8 MiB",
    "curl_only": "17.5 ms, 9.2 MiB",
    "keys_sign_encrypt": "10.9 ms, 5.7 MiB",
    "all_linked": "28 ms, 15 MiB",
    "age_1k": "11.6 / 11.7 ms",
    "age_1k_enc": "11.6 ms",
    "age_1k_dec": "11.7 ms",
    "gpg_1k_seal": "35 ms",
    "cms_1k_seal": "28 ms",
}


class Failure(Exception):
    """A command the benchmark depends on failed: the section stops."""


def parse_size(text):
    m = re.fullmatch(r"(\d+)([KMG]?)", text.strip().upper())
    if not m:
        raise SystemExit(f"bench: bad size {text!r} (use e.g. 1K, 100M, 1G)")
    return int(m.group(1)) * UNITS.get(m.group(2), 1)


def size_name(n):
    for unit, name in ((GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {name}"
    return f"{n} B"


def quick_mode():
    return os.environ.get("BENCH_QUICK", "") not in ("", "0")


def env_sizes():
    """The message sizes of this run: BENCH_SIZES, else the mode's."""
    sizes = os.environ.get("BENCH_SIZES") or ("1K,1M,10M" if quick_mode() else "1K,1M,100M,1G")
    return [parse_size(s) for s in sizes.split(",") if s.strip()]


class Config:
    def __init__(self, build, work, disk, out):
        self.build = os.path.abspath(build)
        self.work = os.path.abspath(work)
        self.disk = os.path.abspath(disk)  # on a disk: the durability rows
        # The bases run.sh made the two directories in, as the report names them.
        self.work_fs = describe(os.path.dirname(self.work))
        self.disk_fs = describe(os.path.dirname(self.disk))
        self.work_on_tmpfs = fs_type(self.work) == "tmpfs"
        self.disk_on_tmpfs = fs_type(self.disk) == "tmpfs"
        self.out = out
        self.cli = os.path.join(self.build, "envelope")
        self.shlib = os.path.join(self.build, "libenvelope.so.1")
        self.bin = os.path.join(self.build, "bench")
        self.quick = quick_mode()
        self.sizes = env_sizes()
        self.skip = {s.strip() for s in os.environ.get("BENCH_SKIP", "").split(",") if s.strip()}
        self.seconds = float(os.environ.get("BENCH_SECONDS") or (1 if self.quick else 3))
        self.speed_seconds = 1 if self.quick else 3
        self.hf_runs = 10 if self.quick else 60
        self.hf_warmup = 2 if self.quick else 5
        self.kms_messages = 1 if self.quick else 5

    def runs(self, size):
        if os.environ.get("BENCH_RUNS"):
            return int(os.environ["BENCH_RUNS"])
        if self.quick:
            return 2
        return 30 if size <= 64 * KIB else 15 if size <= 16 * MIB else 7 if size < GIB else 5

    def peer_runs(self, size):
        if os.environ.get("BENCH_PEER_RUNS"):
            return int(os.environ["BENCH_PEER_RUNS"])
        if self.quick:
            return 1
        return 15 if size <= 64 * KIB else 7 if size <= 16 * MIB else 3


def base_env(cfg, **extra):
    env = dict(os.environ)
    env.update(LC_ALL="C", TMPDIR=os.path.join(cfg.work, "tmp"),
               HOME=os.path.join(cfg.work, "home"))
    env.update(extra)
    return env


def run_timed(argv, env, rss=False, timeout=1800):
    """Runs argv to completion (stdin and stdout /dev/null) and returns its
    wall time in seconds, or with rss=True (wall time, peak RSS in KiB) as
    `/usr/bin/time -f %M` reports it. The wrapper is kept out of the timed
    runs: its fork and exec would add a constant to every small figure. (The
    RSS cannot come from our own wait4: a child forked from Python starts
    with Python's high-water mark, which exec does not reset.)"""
    tmp = env["TMPDIR"]
    tfile = os.path.join(tmp, "time.txt")
    if rss:
        argv = ["/usr/bin/time", "-f", "%M", "-o", tfile] + argv
    err = open(os.path.join(tmp, "stderr.txt"), "w+b")
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=err, env=env)
    # Popen.wait(timeout=...) polls with sleeps that grow to 50 ms, which
    # rounds every short run up to the next poll; a blocking wait with a
    # watchdog timer measures the process itself.
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        rc = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        watchdog.cancel()
    elapsed = time.perf_counter() - t0
    if elapsed >= timeout:
        raise Failure(f"{shlex.join(argv)}: still running after {timeout} s, killed")
    with err:
        if rc != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-6:]
            raise Failure(f"{shlex.join(argv)}: exit status {rc}: " + " | ".join(tail))
    if not rss:
        return elapsed
    with open(tfile) as f:
        return elapsed, int(f.read().strip().splitlines()[-1])


def capture(argv, env=None, check=True, timeout=600, merge=False):
    p = subprocess.run(argv, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                       env=env, timeout=timeout, stdin=subprocess.DEVNULL)
    out = p.stdout.decode(errors="replace")
    if check and p.returncode != 0:
        err = (p.stderr or p.stdout or b"").decode(errors="replace").strip().splitlines()
        raise Failure(f"{shlex.join(argv)}: exit status {p.returncode}: " + " | ".join(err[-4:]))
    return out


def same_file(a, b):
    return subprocess.run(["cmp", "-s", a, b]).returncode == 0


def remove(*paths):
    for p in paths:
        if os.path.isdir(p):
            shutil.rmtree(p, ignore_errors=True)
        elif os.path.lexists(p):
            os.unlink(p)


def make_file(path, size):
    chunk = MIB
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(chunk, left)
            f.write(os.urandom(n))
            left -= n


def fmt_time(s):
    if s is None:
        return "-"
    if s >= 10:
        return f"{s:.1f} s"
    if s >= 1:
        return f"{s:.2f} s"
    ms = s * 1e3
    return f"{ms:.0f} ms" if ms >= 100 else f"{ms:.1f} ms" if ms >= 10 else f"{ms:.2f} ms"


def fmt_us(us):
    return f"{us / 1e3:.2f} ms" if us >= 1000 else f"{us:.0f} µs"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def fmt_kib(k):
    return "-" if k is None else f"{k / 1024:.1f} MiB"


def fmt_rate(bytes_per_s):
    return f"{bytes_per_s / 1e6:,.0f} MB/s"


class Table:
    def __init__(self, headers, rows, title=None):
        self.headers, self.rows, self.title = headers, rows, title

    def text(self):
        cells = [self.headers] + [[str(c) for c in r] for r in self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.headers))]
        line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
        out = [line(self.headers), "  ".join("-" * w for w in widths)]
        out += [line(r) for r in cells[1:]]
        return "\n".join(out)

    def markdown(self):
        esc = lambda c: str(c).replace("|", "\\|")
        out = ["| " + " | ".join(self.headers) + " |",
               "|" + "|".join(" --- " for _ in self.headers) + "|"]
        out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in self.rows]
        return "\n".join(out)


class Report:
    """The document, built section by section; each piece is also printed."""

    def __init__(self):
        self.parts = []  # (kind, payload)

    def section(self, title):
        self.parts.append(("h2", title))
        print(f"\n== {title}", flush=True)

    def para(self, text):
        self.parts.append(("p", text))
        print(text, flush=True)

    def table(self, table):
        self.parts.append(("table", table))
        print(table.text(), flush=True)

    def code(self, text):
        self.parts.append(("code", text))
        print(text, flush=True)

    def markdown(self):
        out = []
        for kind, x in self.parts:
            if kind == "h2":
                out.append(f"## {x}")
            elif kind == "p":
                out.append(x)
            elif kind == "table":
                out.append(x.markdown())
            elif kind == "code":
                out.append("```\n" + x.rstrip("\n") + "\n```")
        return "\n\n".join(out) + "\n"


class Tool:
    """One way to seal and open: argv builders over (input, output)."""

    def __init__(self, name, seal, open_, note=""):
        self.name, self.seal, self.open, self.note = name, seal, open_, note


def envelope_tool(cfg, *options):
    """The envelope CLI with the fixed keys; options go before the operand."""
    k = lambda name: os.path.join(KEYS, name)
    return Tool(
        "libenvelope",
        lambda i, o: [cfg.cli, "seal", "-q", "--sign-key", k("signer.pem"), "--to", k("dave.pub"),
                      "-o", o, *options, i],
        lambda i, o: [cfg.cli, "open", "-q", "--decrypt-key", k("dave.pem"), "--verify-key",
                      k("signer.pub"), "-o", o, *options, i])
