#!/usr/bin/python3
"""make bench: libenvelope against openssl and the peer tools, side by side.

Run by bench/run.sh, which makes the work directory and removes it (and
stops anything started in it) on exit:

    bench.py --build BUILD_DIR --work WORK_DIR [--out docs/BENCHMARKS.md]

Everything is measured in one run on one machine, and every comparison is a
ratio of figures taken in that run (DESIGN.md section 9). Sections:

  floors      `openssl speed` (SHA-512, AES-256-GCM, ECDSA P-521, RSA-4096)
  throughput  envelope seal/open against `openssl dgst -sha512`, paired runs
  peers       GnuPG, openssl cms, the tutorial's pipeline with the openssl
              CLI, age: the same files, the same run
  ops         bench/ops.c: seal_mem/open_mem per second in one process
  startup     where the time and memory of a 1 KiB seal and open go
  kms         requests per envelope, envelopes per second, the tutorial's
              `aws kms` commands, against tests/kms-server

Knobs (environment): BENCH_QUICK=1 (1 KiB/1 MiB/10 MiB, 2 runs, short
loops: for developing the benchmark, not for figures), BENCH_SIZES
(e.g. "1K,1M,100M,1G"), BENCH_RUNS and BENCH_PEER_RUNS (runs per size),
BENCH_SECONDS (ops loops), BENCH_SKIP (comma-separated section names).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KEYS = os.path.join(ROOT, "tests", "keys")
KMSCTL = os.path.join(ROOT, "tests", "kms-server", "kmsctl.sh")
AWS = "/usr/bin/aws"

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
UNITS = {"K": KIB, "M": MIB, "G": GIB}

# Figures measured while designing (DESIGN.md section 9), to set ours beside.
DESIGN = {
    "dgst_1g": "1.45-1.60 s",
    "empty": "2.9 ms",
    "crypto_init": "5.6 ms",
    "archive_only": "8.0 ms, 4.8 MiB",
    "curl_only": "17.5 ms, 9.2 MiB",
    "keys_sign_encrypt": "10.9 ms, 5.7 MiB",
    "all_linked": "28 ms, 15 MiB",
    "age_1k": "11.6 / 11.7 ms",
    "gpg_1k_seal": "35 ms",
    "cms_1k_seal": "28 ms",
}


class Failure(Exception):
    """A command the benchmark depends on failed: the section stops."""


# ------------------------------------------------------------------ config

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


class Config:
    def __init__(self, build, work, out):
        self.build = os.path.abspath(build)
        self.work = os.path.abspath(work)
        self.out = out
        self.cli = os.path.join(self.build, "envelope")
        self.shlib = os.path.join(self.build, "libenvelope.so.1")
        self.bin = os.path.join(self.build, "bench")
        self.quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
        sizes = os.environ.get("BENCH_SIZES") or ("1K,1M,10M" if self.quick else "1K,1M,100M,1G")
        self.sizes = [parse_size(s) for s in sizes.split(",") if s.strip()]
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


# --------------------------------------------------------------- processes

def base_env(cfg, **extra):
    env = dict(os.environ)
    env.update(LC_ALL="C", TMPDIR=os.path.join(cfg.work, "tmp"),
               HOME=os.path.join(cfg.work, "home"))
    env.update(extra)
    return env


def run_timed(argv, env, rss=False):
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
    try:
        rc = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    elapsed = time.perf_counter() - t0
    if rc != 0:
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()[-6:]
        raise Failure(f"{shlex.join(argv)}: exit status {rc}: " + " | ".join(tail))
    err.close()
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
        err = (p.stderr or b"").decode(errors="replace").strip()
        raise Failure(f"{shlex.join(argv)}: exit status {p.returncode}: {err[-400:]}")
    return out


def same_file(a, b):
    return subprocess.run(["cmp", "-s", a, b]).returncode == 0


def remove(*paths):
    for p in paths:
        if os.path.isdir(p):
            shutil.rmtree(p, ignore_errors=True)
        elif os.path.lexists(p):
            os.unlink(p)


# ----------------------------------------------------------------- reports

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


# ----------------------------------------------------------------- machine

def machine(cfg):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])

    def version(argv, pattern=None):
        try:
            out = capture(argv, check=False, timeout=30, merge=True).strip()
        except (OSError, subprocess.TimeoutExpired):
            return "not installed"
        first = out.splitlines()[0] if out else "?"
        if pattern:
            m = re.search(pattern, out)
            return m.group(1) if m else first
        return first

    try:
        commit = capture(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).strip()
        dirty = capture(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no",
                         "--", "libenvelope", "cli", "include"]).strip()
        commit += " (with uncommitted changes in the library or CLI)" if dirty else ""
    except (Failure, OSError):
        commit = "unknown"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "os": version(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "openssl": version(["openssl", "version"]),
        "libarchive": version(["pkg-config", "--modversion", "libarchive"]),
        "gnupg": version(["gpg", "--version"], r"gpg \(GnuPG\) (\S+)"),
        "age": version(["age", "--version"]),
        "hyperfine": version(["hyperfine", "--version"]),
        "compiler": version([os.environ.get("CC", "cc"), "--version"]),
        "envelope": version([cfg.cli, "--version"]) + f", commit {commit}",
        "load": "%.2f %.2f %.2f" % os.getloadavg(),
    }


# ------------------------------------------------------------------ floors

def openssl_speed(cfg):
    """Rates from `openssl speed -mr`: bytes/s for the digests and ciphers
    (64 KiB blocks, the envelope's chunk size), operations/s for the keys."""
    s = str(cfg.speed_seconds)
    rates = {}
    for algo, key in (("sha512", "sha512"), ("aes-256-gcm", "aes_gcm")):
        out = capture(["openssl", "speed", "-seconds", s, "-mr", "-bytes", "65536", "-evp", algo],
                      merge=True)
        m = re.search(r"^\+F:\d+:[^:]+:([\d.]+)", out, re.M)
        if not m:
            raise Failure(f"openssl speed {algo}: no +F line")
        rates[key] = float(m.group(1))
    out = capture(["openssl", "speed", "-seconds", s, "-mr", "ecdsap521", "rsa4096"], merge=True)
    m = re.search(r"^\+F2:\d+:4096:([\d.]+):([\d.]+)", out, re.M)
    e = re.search(r"^\+F4:\d+:521:([\d.]+):([\d.]+)", out, re.M)
    if not m or not e:
        raise Failure("openssl speed ecdsap521 rsa4096: no +F2/+F4 lines")
    rates["rsa_private"], rates["rsa_public"] = float(m.group(1)), float(m.group(2))
    rates["ecdsa_sign"], rates["ecdsa_verify"] = float(e.group(1)), float(e.group(2))
    return rates


def report_floors(rep, rates):
    rep.section("Floors: openssl speed, this run")
    rep.table(Table(["operation", "rate", "per operation"], [
        ["SHA-512 (64 KiB blocks)", fmt_rate(rates["sha512"]),
         f"{GIB / rates['sha512']:.2f} s per GiB"],
        ["AES-256-GCM (64 KiB blocks)", fmt_rate(rates["aes_gcm"]),
         f"{GIB / rates['aes_gcm']:.2f} s per GiB"],
        ["ECDSA P-521 sign", f"{rates['ecdsa_sign']:,.0f} /s", fmt_us(1e6 / rates["ecdsa_sign"])],
        ["ECDSA P-521 verify", f"{rates['ecdsa_verify']:,.0f} /s",
         fmt_us(1e6 / rates["ecdsa_verify"])],
        ["RSA-4096 private (stands for OAEP decrypt)", f"{rates['rsa_private']:,.0f} /s",
         fmt_us(1e6 / rates["rsa_private"])],
        ["RSA-4096 public (stands for OAEP encrypt)", f"{rates['rsa_public']:,.0f} /s",
         fmt_us(1e6 / rates["rsa_public"])],
    ]))
    rep.para("OpenSSL 3.0's `speed` reports RSA sign and verify only: the private "
             "operation stands for OAEP decryption, the public one for encryption "
             "(padding costs next to nothing at this size).")


# ------------------------------------------------------------------- build

def cc(cfg, out, sources, flags=(), libs=()):
    argv = [os.environ.get("CC", "cc"), "-std=c11", "-O2", "-Wall", "-Wextra", "-Wshadow",
            "-I" + os.path.join(ROOT, "include"), *flags, "-o", out, *sources, *libs]
    capture(argv)
    return out


def pkg_libs(*pkgs):
    return capture(["pkg-config", "--libs", *pkgs]).split()


def find_shared(soname):
    out = capture(["/sbin/ldconfig", "-p"], check=False)
    m = re.search(r"^\s*" + re.escape(soname) + r" \(libc6,x86-64\) => (\S+)", out, re.M)
    return m.group(1) if m else None


def build_helpers(cfg):
    """Compiles bench/ops.c and the start-up probes into BUILD_DIR/bench."""
    os.makedirs(cfg.bin, exist_ok=True)
    src = lambda name: os.path.join(HERE, "startup", name)
    b = {}
    rpath = ["-Wl,-rpath," + cfg.build]
    b["ops"] = cc(cfg, os.path.join(cfg.bin, "ops"), [os.path.join(HERE, "ops.c")],
                  libs=[cfg.shlib, *rpath])
    b["evp_floor"] = cc(cfg, os.path.join(cfg.bin, "evp_floor"),
                        [os.path.join(HERE, "evp_floor.c")], libs=pkg_libs("libcrypto"))
    b["empty"] = cc(cfg, os.path.join(cfg.bin, "empty"), [src("empty.c")])
    b["crypto_init"] = cc(cfg, os.path.join(cfg.bin, "crypto_init"), [src("crypto_init.c")],
                          libs=pkg_libs("libcrypto"))
    b["envelope_only"] = cc(cfg, os.path.join(cfg.bin, "envelope_only"), [src("envelope_only.c")],
                            libs=[cfg.shlib, *rpath])
    b["envelope_init"] = cc(cfg, os.path.join(cfg.bin, "envelope_init"), [src("envelope_only.c")],
                            flags=["-DINIT"], libs=[cfg.shlib, *rpath, *pkg_libs("libcrypto")])

    # The libarchive calls libenvelope makes, as a table that keeps their
    # code (and only theirs, under --gc-sections) in the static variants.
    syms = sorted(set(re.findall(r"^\s+U (archive_\w+)$",
                                 capture(["nm", "-D", "--undefined-only", cfg.shlib]), re.M)))
    refs = os.path.join(cfg.bin, "tar_refs.c")
    with open(refs, "w") as f:
        f.write("/* Generated by bench/bench.py: the libarchive calls of libenvelope. */\n")
        f.writelines(f"extern void {s}(void);\n" for s in syms)
        f.write("void *const tar_refs[] = {\n")
        f.writelines(f"    (void *){s},\n" for s in syms)
        f.write("    0};\n")
    b["tar_symbols"] = syms
    arch = pkg_libs("libarchive")
    b["archive_only"] = cc(cfg, os.path.join(cfg.bin, "archive_only"),
                           [src("archive_only.c"), refs], flags=["-Wno-pedantic"], libs=arch)
    b["deps_shared"] = cc(cfg, os.path.join(cfg.bin, "deps_shared"), [src("deps.c"), refs],
                          libs=pkg_libs("libcrypto", "json-c", "libarchive"))
    libdir = capture(["pkg-config", "--variable=libdir", "libarchive"]).strip()
    static = os.path.join(libdir, "libarchive.a")
    if os.path.exists(static):
        gc = ["-Wl,--gc-sections", "-Wl,--as-needed"]
        b["tar_static"] = cc(cfg, os.path.join(cfg.bin, "tar_static"),
                             [src("archive_only.c"), refs], libs=[static, *gc, "-lz"])
        b["deps_tar_static"] = cc(cfg, os.path.join(cfg.bin, "deps_tar_static"),
                                  [src("deps.c"), refs],
                                  libs=[static, *gc, *pkg_libs("libcrypto", "json-c"), "-lz"])
        # What libenvelope.so itself would look like with it: a shared
        # object that holds the tar code and hides libarchive's symbols.
        b["tar_so"] = cc(cfg, os.path.join(cfg.bin, "libtaronly.so"), [refs],
                         flags=["-fPIC", "-shared"],
                         libs=[static, "-Wl,--exclude-libs,ALL", *gc, "-Wl,--no-undefined", "-lz"])
    curl = find_shared("libcurl.so.4")
    if curl:
        b["curl_only"] = cc(cfg, os.path.join(cfg.bin, "curl_only"), [src("curl_only.c")],
                            libs=[curl])
    return b


# ------------------------------------------------------------- test files

def make_file(path, size):
    chunk = MIB
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(chunk, left)
            f.write(os.urandom(n))
            left -= n


# ------------------------------------------------------------------- tools

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


def setup_peers(cfg, rep_notes):
    """Keys and certificates for the peers; a peer that cannot run is left
    out with a note saying why."""
    k = lambda name: os.path.join(KEYS, name)
    env = base_env(cfg)
    peers = []
    pdir = os.path.join(cfg.work, "peers")
    os.makedirs(pdir, exist_ok=True)

    # GnuPG: P-521 signing keys, and an ECDH P-521 encryption subkey for the
    # recipient, no passphrase, in a throwaway GNUPGHOME (gpg-agent is
    # stopped by run.sh on exit).
    if shutil.which("gpg"):
        home = os.path.join(cfg.work, "gnupg")
        os.makedirs(home, mode=0o700, exist_ok=True)
        g = ["gpg", "--homedir", home, "--batch", "--quiet"]
        nopass = ["--pinentry-mode", "loopback", "--passphrase", ""]
        try:
            capture(g + nopass + ["--quick-gen-key", "bench sender <sender@bench.invalid>",
                                  "nistp521", "sign", "never"], env=env)
            capture(g + nopass + ["--quick-gen-key", "bench recipient <recipient@bench.invalid>",
                                  "nistp521", "sign", "never"], env=env)
            fpr = re.search(r"^fpr:+([0-9A-F]+):", capture(
                g + ["--with-colons", "--list-keys", "recipient@bench.invalid"], env=env), re.M)
            capture(g + nopass + ["--quick-add-key", fpr.group(1), "nistp521", "encr", "never"],
                    env=env)
            common = g + ["--yes", "--trust-model", "always"]
            peers.append(Tool(
                "GnuPG",
                lambda i, o: common + ["-z", "0", "-u", "sender@bench.invalid", "-r",
                                       "recipient@bench.invalid", "--sign", "--encrypt",
                                       "-o", o, i],
                lambda i, o: common + ["-o", o, "--decrypt", i],
                "gpg --sign --encrypt -z 0; private-key operations run in gpg-agent, "
                "whose memory is not counted"))
        except (Failure, AttributeError) as e:
            rep_notes.append(f"GnuPG left out: key generation failed: {e}")
    else:
        rep_notes.append("GnuPG left out: gpg is not installed (Debian package gnupg).")

    # openssl cms: self-signed certificates for the fixed test keys.
    certs = {}
    for who, key, md in (("signer", "signer.pem", "-sha512"), ("dave", "dave.pem", "-sha256")):
        certs[who] = os.path.join(pdir, who + ".crt")
        capture(["openssl", "req", "-x509", "-new", "-key", k(key), md, "-days", "3650",
                 "-subj", f"/CN=bench {who}", "-out", certs[who]], env=env)
    peers.append(Tool(
        "openssl cms",
        lambda i, o: ["bash", os.path.join(HERE, "peers", "cms-seal.sh"), certs["signer"],
                      k("signer.pem"), certs["dave"], i, o],
        lambda i, o: ["bash", os.path.join(HERE, "peers", "cms-open.sh"), certs["dave"],
                      k("dave.pem"), certs["signer"], i, o],
        "cms -sign | cms -encrypt (AES-256-GCM, RSA-OAEP-SHA-256), -stream"))

    peers.append(Tool(
        "tutorial (openssl CLI)",
        lambda i, o: ["bash", os.path.join(HERE, "peers", "tutorial-seal.sh"), k("signer.pem"),
                      k("dave.pub"), i, o],
        lambda i, o: ["bash", os.path.join(HERE, "peers", "tutorial-open.sh"), k("dave.pem"),
                      k("signer.pub"), i, o],
        "dgst -sign, tar, enc -aes-256-ctr, pkeyutl OAEP-SHA-256; unauthenticated"))

    if shutil.which("age") and shutil.which("age-keygen"):
        identity = os.path.join(pdir, "age.key")
        capture(["age-keygen", "-o", identity], env=env)
        recipient = capture(["age-keygen", "-y", identity], env=env).strip()
        peers.append(Tool(
            "age",
            lambda i, o: ["age", "-r", recipient, "-o", o, i],
            lambda i, o: ["age", "--decrypt", "-i", identity, "-o", o, i],
            "X25519 recipient; encryption only, no signature"))
    else:
        rep_notes.append("age left out: not installed (`apt-get install -y age`).")
    return peers


# -------------------------------------------------------------- throughput

def throughput(cfg, size, path, results):
    """envelope seal and open against `openssl dgst -sha512` of the same file,
    in pairs (dgst, seal, dgst, open) repeated, so that drift cancels in
    each pair's ratio."""
    env = base_env(cfg)
    tool = envelope_tool(cfg)
    sealed = path + ".env"
    scratch = path + ".scratch"
    dgst = ["openssl", "dgst", "-sha512", path]
    # Warm-up, the envelope the open runs reopen, checked once, and the
    # peak RSS (under /usr/bin/time: see run_timed).
    run_timed(dgst, env)
    _, seal_rss = run_timed(tool.seal(path, sealed), env, rss=True)
    _, open_rss = run_timed(tool.open(sealed, scratch), env, rss=True)
    if not same_file(path, scratch):
        raise Failure(f"envelope open of {size_name(size)} differs from the input")
    remove(scratch)
    d_s, d_o, t_s, t_o, r_s, r_o = [], [], [], [], [], []
    for _ in range(cfg.runs(size)):
        a = run_timed(dgst, env)
        b = run_timed(tool.seal(path, scratch), env)
        remove(scratch)
        d_s.append(a), t_s.append(b), r_s.append(b / a)
        a = run_timed(dgst, env)
        b = run_timed(tool.open(sealed, scratch), env)
        remove(scratch)
        d_o.append(a), t_o.append(b), r_o.append(b / a)
    results[size] = {
        "dgst": statistics.median(d_s + d_o),
        "seal": statistics.median(t_s), "open": statistics.median(t_o),
        "seal_ratio": statistics.median(r_s), "open_ratio": statistics.median(r_o),
        "seal_rss": seal_rss, "open_rss": open_rss, "runs": len(t_s),
        "envelope_bytes": os.path.getsize(sealed),
    }
    return sealed


def report_throughput(rep, cfg, results, rates):
    rep.section("Throughput: envelope against openssl dgst -sha512 (whole process)")
    rows = []
    for size, r in sorted(results.items()):
        rows.append([size_name(size), fmt_time(r["dgst"]), fmt_time(r["seal"]),
                     fmt_ratio(r["seal_ratio"]), fmt_time(r["open"]), fmt_ratio(r["open_ratio"]),
                     fmt_kib(r["seal_rss"]), fmt_kib(r["open_rss"]), str(r["runs"])])
    rep.table(Table(["size", "dgst", "seal", "seal/dgst", "open", "open/dgst",
                     "seal peak RSS", "open peak RSS", "pairs"], rows))
    big = max(results) if results else None
    extra = ""
    if big and big >= MIB:
        r = results[big]
        extra = (f" At {size_name(big)}: dgst {fmt_rate(big / r['dgst'])}, seal "
                 f"{fmt_rate(big / r['seal'])}, open {fmt_rate(big / r['open'])}; "
                 f"`openssl speed` in this run: SHA-512 {fmt_rate(rates['sha512'])}, "
                 f"AES-256-GCM {fmt_rate(rates['aes_gcm'])} (one core each)." if rates else "")
    rep.para("Times are medians; each ratio is the median of per-pair ratios, every "
             "envelope run paired with an `openssl dgst -sha512` run on the same message "
             "file just before it. Seal reads the message file and writes the envelope; "
             "open reads the envelope and writes the message (a file beside it). "
             "DESIGN.md's reference for dgst of 1 GiB on the design machine: "
             f"{DESIGN['dgst_1g']}." + extra)
    rep.para("Peak RSS: `/usr/bin/time -f %M` over one seal and one open of each size "
             "(the first, untimed, pair).")


# ------------------------------------------------------------------- peers

def peers_at(cfg, size, path, peers, results):
    """Every tool seals and opens the same file; runs go round-robin over the
    tools (libenvelope included), so that drift hits all alike."""
    env = base_env(cfg)
    tools = [envelope_tool(cfg)] + peers
    sealed, times = {}, {}
    for n, t in enumerate(tools):
        sealed[t.name] = f"{path}.{n}.sealed"
        out = f"{path}.{n}.opened"
        try:
            _, seal_rss = run_timed(t.seal(path, sealed[t.name]), env, rss=True)
            _, open_rss = run_timed(t.open(sealed[t.name], out), env, rss=True)
            if not same_file(path, out):
                raise Failure("opened file differs from the input")
            times[t.name] = {"seal": [], "open": [], "seal_rss": seal_rss, "open_rss": open_rss,
                             "bytes": os.path.getsize(sealed[t.name])}
        except Failure as e:
            times[t.name] = {"error": str(e)}
        remove(out)
    scratch = path + ".scratch"
    for _ in range(cfg.peer_runs(size)):
        for t in tools:
            r = times[t.name]
            if "error" in r:
                continue
            try:
                for what, argv in (("seal", t.seal(path, scratch)),
                                   ("open", t.open(sealed[t.name], scratch))):
                    r[what].append(run_timed(argv, env))
                    remove(scratch)
            except Failure as e:
                r.clear()
                r["error"] = str(e)
                remove(scratch)
    for t in tools:
        remove(sealed[t.name])
        r = times[t.name]
        if "error" not in r:
            r["seal"] = statistics.median(r["seal"])
            r["open"] = statistics.median(r["open"])
    results[size] = times


def report_peers(rep, cfg, results, peers, notes):
    rep.section("Peers: the same files, the same run")
    rows = []
    for size, times in sorted(results.items()):
        env = times.get("libenvelope", {})
        for name, r in times.items():
            if "error" in r:
                rows.append([size_name(size), name, "failed", "", "", "", "", ""])
                continue
            ratio = lambda w: (r[w] / env[w]) if "error" not in env and env.get(w) else None
            rows.append([size_name(size), name, fmt_time(r["seal"]),
                         "1" if name == "libenvelope" else fmt_ratio(ratio("seal")),
                         fmt_time(r["open"]),
                         "1" if name == "libenvelope" else fmt_ratio(ratio("open")),
                         f"{fmt_kib(r['seal_rss'])} / {fmt_kib(r['open_rss'])}",
                         f"{r['bytes'] - size:+,d} B"])
    rep.table(Table(["size", "tool", "seal", "seal peer/env", "open", "open peer/env",
                     "peak RSS seal / open", "overhead"], rows))
    rep.para("Medians of whole-process wall times, runs round-robin over the tools; peak RSS "
             "from `/usr/bin/time -f %M` over the first, untimed, seal and open. "
             "A ratio above 1 means libenvelope is faster. For age, \"seal\" is encryption "
             "and \"open\" decryption: it signs nothing. For the bash pipelines the peak "
             "RSS is that of the largest process. DESIGN.md's 1 KiB references: age "
             f"{DESIGN['age_1k']}, GnuPG seal {DESIGN['gpg_1k_seal']}, openssl cms seal "
             f"{DESIGN['cms_1k_seal']}.")
    failures = [f"{size_name(s)} {n}: {r['error']}" for s, t in sorted(results.items())
                for n, r in t.items() if "error" in r]
    rows = [[t.name, t.note] for t in peers]
    rep.table(Table(["peer", "what runs (see bench/bench.py, bench/peers/)"], rows))
    for n in notes + failures:
        rep.para("Note: " + n)


# --------------------------------------------------------------------- ops

def parse_ops(out):
    return {k: float(v) for k, v in re.findall(r"^\S+?\.(\w+) ([\d.]+)$", out, re.M)}


def ops_section(cfg, b):
    k = lambda name: os.path.join(KEYS, name)
    env = base_env(cfg)
    out = capture([b["ops"], "-t", str(cfg.seconds), "-s", "1024", k("signer.pem"),
                   k("signer.pub"), k("dave.pem"), k("dave.pub")], env=env)
    out += capture([b["evp_floor"], k("signer.pem"), k("dave.pem"), str(cfg.seconds)], env=env)
    return parse_ops(out)


def report_ops(rep, ops, rates):
    rep.section("Per operation, one process: bench/ops.c, 1 KiB messages")
    floor = {"seal": 1e6 / rates["ecdsa_sign"] + 1e6 / rates["rsa_public"],
             "open": 1e6 / rates["rsa_private"] + 1e6 / rates["ecdsa_verify"]}
    evp = {"seal": ops["ecdsa_sign_us"] + ops["oaep_encrypt_us"],
           "open": ops["oaep_decrypt_us"] + ops["ecdsa_verify_us"]}
    rows = []
    for op, what in (("seal", "P-521 sign + RSA-4096 public"),
                     ("open", "RSA-4096 private + P-521 verify")):
        ops[op + "_ratio"] = ops[op + "_us"] / floor[op]
        rows.append([f"envelope_{op}_mem", fmt_us(ops[op + "_us"]),
                     f"{ops[op + '_per_s']:,.0f}", f"{fmt_us(floor[op])} ({what})",
                     fmt_ratio(ops[op + "_ratio"]), fmt_us(evp[op]),
                     fmt_ratio(ops[op + "_us"] / evp[op])])
    rep.table(Table(["operation", "libenvelope", "per second", "openssl speed floor",
                     "ratio", "EVP floor", "ratio"], rows))
    rep.table(Table(["envelope_key_load", "time"], [
        ["signer.pem (P-521 private, PKCS#8 PEM)", fmt_us(ops["load_sign_us"])],
        ["signer.pub (P-521 public, SPKI PEM)", fmt_us(ops["load_verify_us"])],
        ["dave.pem (RSA-4096 private, PKCS#8 PEM)", fmt_us(ops["load_decrypt_us"])],
        ["dave.pub (RSA-4096 public, SPKI PEM)", fmt_us(ops["load_recipient_us"])],
    ]))
    rep.para("Keys are loaded once; each loop seals (or opens) a 1 KiB message in memory "
             "again and again for the time budget. The first ratio, the target's, is the "
             "time per envelope over the public-key operations `openssl speed` timed in this "
             "run. The EVP floor (bench/evp_floor.c) is the same public-key work through EVP "
             "with a fresh context per call, as a library must do it (sign and verify 700 "
             "bytes with SHA-512; OAEP-SHA-256 of a 32-byte key): the gap between the two "
             "floors is OpenSSL's per-call cost, the gap above the EVP floor is "
             "libenvelope's own (symmetric work, the tar, the manifest, allocations).")


# ----------------------------------------------------------------- startup

def hyperfine(cfg, commands, name):
    """commands: [(label, argv)]. Returns {label: median seconds, ...}."""
    jfile = os.path.join(cfg.work, "tmp", name + ".json")
    argv = ["hyperfine", "-N", "--style", "none", "--warmup", str(cfg.hf_warmup),
            "--runs", str(cfg.hf_runs), "--export-json", jfile]
    for label, cmd in commands:
        argv += ["-n", label, shlex.join(cmd)]
    capture(argv, env=base_env(cfg), timeout=1800)
    with open(jfile) as f:
        data = json.load(f)
    return {r["command"]: r for r in data["results"]}


def peak_rss(cfg, argv, runs=5):
    env = base_env(cfg)
    return int(statistics.median(run_timed(argv, env, rss=True)[1] for _ in range(runs)))


def shared_objects(cfg, argv):
    """Shared objects the process initialises (ld.so and libc included; also
    anything it dlopens), from LD_DEBUG=libs."""
    out = capture(argv, env=base_env(cfg, LD_DEBUG="libs"), merge=True)
    return sorted(set(re.findall(r"calling init: (\S+)", out)))


def startup(cfg, b):
    k = lambda name: os.path.join(KEYS, name)
    sdir = os.path.join(cfg.work, "startup")
    os.makedirs(sdir, exist_ok=True)
    msg = os.path.join(sdir, "message.bin")
    make_file(msg, KIB)
    env_file = os.path.join(sdir, "message.env")
    tool = envelope_tool(cfg, "--force")  # hyperfine reruns into the same output
    capture(tool.seal(msg, env_file), env=base_env(cfg))
    cmds = [
        ("empty", [b["empty"]], "empty C program", DESIGN["empty"]),
        ("crypto_init", [b["crypto_init"]], "libcrypto + OPENSSL_init_crypto",
         DESIGN["crypto_init"]),
        ("archive_only", [b["archive_only"]], "libarchive only (shared, as linked now)",
         DESIGN["archive_only"]),
    ]
    if "tar_static" in b:
        cmds.append(("tar_static", [b["tar_static"]],
                     "libarchive.a, tar code only (--gc-sections)", ""))
    if "curl_only" in b:
        cmds.append(("curl_only", [b["curl_only"]], "libcurl only (not linked by libenvelope)",
                     DESIGN["curl_only"]))
    cmds += [
        ("deps_shared", [b["deps_shared"]], "libcrypto (init) + json-c + libarchive, shared", ""),
    ]
    if "deps_tar_static" in b:
        cmds.append(("deps_tar_static", [b["deps_tar_static"]],
                     "libcrypto (init) + json-c + tar-only static libarchive", ""))
    cmds += [
        ("envelope_only", [b["envelope_only"]], "links libenvelope.so, calls nothing", ""),
        ("envelope_init", [b["envelope_init"]], "links libenvelope.so + OPENSSL_init_crypto", ""),
        ("cli_version", [cfg.cli, "--version"], "envelope --version", ""),
        ("cli_pubkey_p521", [cfg.cli, "pubkey", k("signer.pem")],
         "envelope pubkey signer.pem (P-521 key parsing)", ""),
        ("cli_pubkey_rsa", [cfg.cli, "pubkey", k("dave.pem")],
         "envelope pubkey dave.pem (RSA-4096 key parsing)", ""),
        ("seal_1k", tool.seal(msg, os.path.join(sdir, "out.env")),
         "envelope seal, 1 KiB", DESIGN["all_linked"] + " (sign + encrypt, all linked)"),
        ("open_1k", tool.open(env_file, os.path.join(sdir, "out.bin")),
         "envelope open, 1 KiB", ""),
    ]
    hf = hyperfine(cfg, [(c[0], c[1]) for c in cmds], "startup")
    rows = {}
    for label, argv, what, design in cmds:
        r = hf[label]
        rows[label] = {
            "what": what, "design": design, "median": r["median"], "stddev": r["stddev"] or 0,
            "rss": peak_rss(cfg, argv), "libs": shared_objects(cfg, argv),
        }
    return rows


def report_startup(rep, cfg, rows, ops, b):
    rep.section("Start-up: where the time and memory of a 1 KiB seal and open go")
    table = []
    for label, r in rows.items():
        table.append([r["what"], fmt_time(r["median"]), f"±{r['stddev'] * 1e3:.2f} ms",
                      fmt_kib(r["rss"]), str(len(r["libs"])), r["design"] or "-"])
    rep.table(Table(["process", "median", "stddev", "peak RSS", "shared objects",
                     "DESIGN.md (design machine)"], table))
    rep.para(f"hyperfine -N, {cfg.hf_warmup} warm-up and {cfg.hf_runs} timed runs each; peak "
             "RSS is the median of 5 runs under `/usr/bin/time -f %M`; shared objects are "
             "those the dynamic loader initialises (`LD_DEBUG=libs`, ld.so and libc "
             "included, dlopen included). In the breakdowns below, key parsing and the "
             "operation are bench/ops.c's in-process figures, warm (repeated in one "
             "process); what a cold first call costs more lands in \"the rest\".")

    t = lambda label: rows[label]["median"] if label in rows else None
    for op, keys in (("seal", ("load_sign_us", "load_recipient_us")),
                     ("open", ("load_decrypt_us", "load_verify_us"))):
        total = t(f"{op}_1k")
        parts = [
            ("process start (empty program)", t("empty")),
            (f"loading libenvelope and its {len(rows['envelope_only']['libs']) - 3} "
             "libraries", t("envelope_only") - t("empty")),
            ("OpenSSL initialisation", t("envelope_init") - t("envelope_only")),
        ]
        if ops:
            parts += [("parsing the two keys (in-process, bench/ops.c)",
                       sum(ops[k] for k in keys) / 1e6),
                      (f"the {op} itself (in-process, bench/ops.c)", ops[f"{op}_us"] / 1e6)]
        parts.append(("the rest: CLI, files, exit (by difference)",
                      total - sum(p[1] for p in parts)))
        rep.table(Table([f"1 KiB {op}: {fmt_time(total)} in all", "time", "share"],
                        [[n, fmt_time(v) if v >= 0 else f"-{fmt_time(-v)}",
                          f"{100 * v / total:.0f}%"] for n, v in parts]))

    lib = lambda label: set(rows[label]["libs"]) if label in rows else set()
    archive_libs = sorted(os.path.basename(p) for p in lib("archive_only") - lib("empty"))
    d = lambda a, z: (t(a) - t(z), rows[a]["rss"] - rows[z]["rss"])
    text = [f"libarchive as linked now brings {len(archive_libs)} shared objects: "
            + ", ".join(archive_libs) + "."]
    dt, dm = d("archive_only", "empty")
    text.append(f"Loading them costs {fmt_time(dt)} and {dm / 1024:.1f} MiB of RSS over an "
                "empty program (DESIGN.md: " + DESIGN["archive_only"] + " in all).")
    if "tar_static" in rows:
        st = sorted(os.path.basename(p) for p in lib("tar_static") - lib("empty"))
        dt2, dm2 = d("tar_static", "empty")
        text.append("Linked from Debian's libarchive.a with `-Wl,--gc-sections`, keeping only "
                    f"the {len(b['tar_symbols'])} archive_* calls libenvelope makes, it brings "
                    f"{len(st)} ({', '.join(st) or 'none'}) and costs {fmt_time(dt2)}, "
                    f"{dm2 / 1024:.1f} MiB.")
    if "deps_tar_static" in rows:
        dt3, dm3 = d("deps_shared", "deps_tar_static")
        text.append(f"All of libenvelope's dependencies, initialised: {fmt_time(t('deps_shared'))}"
                    f" with libarchive shared, {fmt_time(t('deps_tar_static'))} with the "
                    f"tar-only static libarchive: an estimated {fmt_time(dt3)} and "
                    f"{dm3 / 1024:.1f} MiB saved in every envelope process.")
    if "tar_so" in b:
        needed = re.findall(r"NEEDED.*\[(.+)\]", capture(["readelf", "-d", b["tar_so"]]))
        text.append("A shared object built the way libenvelope.so would be (libarchive.a, "
                    "`-Wl,--exclude-libs,ALL -Wl,--gc-sections`, `--no-undefined`) links; it "
                    f"needs only {', '.join(needed)} and is "
                    f"{os.path.getsize(b['tar_so']) // 1024} KiB.")
    text.append("dlopen would not help: every seal and every open writes or reads the inner "
                "tar, so the libraries would be loaded anyway, only later. What helps is "
                "not loading what the tar format never uses (compression filters, XML for "
                "xar, ACLs, nettle), i.e. a static, tar-only libarchive, or a libarchive built "
                "without those.")
    if "curl_only" in rows:
        dt4, dm4 = d("curl_only", "empty")
        in_lib = any("libcurl" in p for p in lib("seal_1k"))
        text.append(f"libcurl, for comparison: {fmt_time(dt4)} and {dm4 / 1024:.1f} MiB over "
                    f"an empty program ({len(lib('curl_only')) - 2} more shared objects); a "
                    f"local-key seal {'loads it (!)' if in_lib else 'does not load it'}.")
    rep.para(" ".join(text))


# --------------------------------------------------------------------- kms

KMS_SEED = {"keys": [
    {"key_spec": "RSA_4096", "key_usage": "ENCRYPT_DECRYPT",
     "aliases": ["alias/sample-encrypt-decrypt-key"]},
    {"key_spec": "ECC_NIST_P521", "key_usage": "SIGN_VERIFY",
     "aliases": ["alias/sample-sign-verify-key"]},
]}
KMS_SIGN = "alias/sample-sign-verify-key"
KMS_ENC = "alias/sample-encrypt-decrypt-key"


def principal(name):
    with open(os.path.join(ROOT, "tests", "kms-server", "principals.json")) as f:
        for p in json.load(f)["principals"]:
            if p["name"] == name:
                return p["access_key_id"], p["secret_access_key"]
    raise Failure(f"no principal {name} in tests/kms-server/principals.json")


def kms_env(cfg, endpoint, ca, who):
    ak, sk = principal(who)
    env = base_env(cfg, AWS_ACCESS_KEY_ID=ak, AWS_SECRET_ACCESS_KEY=sk,
                   AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
                   AWS_CA_BUNDLE=ca, AWS_ENDPOINT_URL_KMS=endpoint,
                   AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                   AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
    for v in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        env.pop(v, None)
    return env


def library_has_kms(cfg):
    """False while `envelope pubkey awskms://...` answers that KMS keys are not
    available in this version (nothing listens on the endpoint it is given)."""
    env = base_env(cfg, AWS_ENDPOINT_URL_KMS="http://127.0.0.1:9", AWS_REGION="us-east-1",
                   AWS_ACCESS_KEY_ID="AKIAPROBE", AWS_SECRET_ACCESS_KEY="probe",
                   AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    try:
        out = capture([cfg.cli, "pubkey", "awskms:///alias/x"], env=env, check=False,
                      timeout=60, merge=True)
    except subprocess.TimeoutExpired:
        return True
    return "not available in this version" not in out


def kms_stats(state):
    return json.loads(capture(["bash", KMSCTL, "control", state, "GET", "stats"]))


def kms_reset(state):
    capture(["bash", KMSCTL, "control", state, "POST", "reset-stats"])


def kms_section(cfg, b):
    res = {"library": library_has_kms(cfg)}
    if not os.access(AWS, os.X_OK):
        res["aws_error"] = f"{AWS} not found (Debian package awscli)"
    state = os.path.join(cfg.work, "kms")
    os.makedirs(state, exist_ok=True)
    seed = os.path.join(state, "seed.json")
    with open(seed, "w") as f:
        json.dump(KMS_SEED, f)
    endpoint = capture(["bash", KMSCTL, "start", state, "--seed", seed],
                       env=base_env(cfg, KMS_SERVER_MAX_LIFETIME="1800"), timeout=120).strip()
    ca = os.path.join(state, "ca.pem")
    try:
        if "aws_error" not in res:
            kms_tutorial(cfg, state, endpoint, ca, res)
        if res["library"]:
            kms_envelope(cfg, b, state, endpoint, ca, res)
        else:
            kms_envelope_stub(res)
    finally:
        capture(["bash", KMSCTL, "stop", state], check=False)
    return res


def kms_tutorial(cfg, state, endpoint, ca, res):
    """The tutorial's sender with the AWS CLI (DESIGN.md section 2): sign,
    tar -czf, encrypt; the message is the tutorial's (KMS Encrypt takes at
    most 446 bytes, so nothing bigger fits)."""
    env = kms_env(cfg, endpoint, ca, "sender")
    msg = os.path.join(ROOT, "tests", "kms-server", "message.json")
    wdir = os.path.join(cfg.work, "kms-aws")
    os.makedirs(wdir, exist_ok=True)
    argv = ["bash", os.path.join(HERE, "peers", "aws-tutorial-seal.sh"), AWS, KMS_SIGN, KMS_ENC,
            msg, os.path.join(wdir, "message.enc")]
    run_timed(argv, env)  # warm-up: Python's byte-code caches
    kms_reset(state)
    times = [run_timed(argv, env) for _ in range(cfg.kms_messages)]
    stats = kms_stats(state)
    res["aws_seal"] = statistics.median(times)
    res["aws_requests"] = stats["requests_total"] / len(times)
    res["aws_ops"] = stats["requests"]


def kms_envelope(cfg, b, state, endpoint, ca, res):
    """libenvelope with KMS keys: requests per seal and per open (from the
    server's counters), and envelopes per second sealed by one process."""
    ref = lambda alias: "awskms:///" + alias
    msg = os.path.join(ROOT, "tests", "kms-server", "message.json")
    wdir = os.path.join(cfg.work, "kms-env")
    os.makedirs(wdir, exist_ok=True)
    env_file = os.path.join(wdir, "message.env")
    # Whole process, one envelope: every call the CLI makes, cache or not.
    send = kms_env(cfg, endpoint, ca, "sender-plus")
    recv = kms_env(cfg, endpoint, ca, "receiver-plus")
    kms_reset(state)
    res["cli_seal_s"] = run_timed([cfg.cli, "seal", "-q", "--sign-key", ref(KMS_SIGN), "--to",
                                   ref(KMS_ENC), "-o", env_file, msg], send)
    res["cli_seal_ops"] = kms_stats(state)["requests"]
    kms_reset(state)
    res["cli_open_s"] = run_timed([cfg.cli, "open", "-q", "--decrypt-key", ref(KMS_ENC),
                                   "--verify-key", ref(KMS_SIGN), "-o", env_file + ".out",
                                   env_file], recv)
    res["cli_open_ops"] = kms_stats(state)["requests"]
    # One process, public keys cached: the difference between 11 and 1
    # envelopes, over 10. The whole-privilege principal does both sides.
    both = kms_env(cfg, endpoint, ca, "admin")
    keys = [ref(KMS_SIGN), ref(KMS_SIGN), ref(KMS_ENC), ref(KMS_ENC)]
    for op in ("seal", "open"):
        counts = []
        for n in (1, 11):
            kms_reset(state)
            capture([b["ops"], "-n", str(n), "-p", op, *keys], env=both)
            counts.append(kms_stats(state)["requests_total"])
        res[f"{op}_requests_cached"] = (counts[1] - counts[0]) / 10
    kms_reset(state)
    out = parse_ops(capture([b["ops"], "-t", str(cfg.seconds), "-p", "seal", *keys], env=both))
    res["seal_per_s"] = out["seal_per_s"]
    res["connections"] = kms_stats(state).get("connections")


def kms_envelope_stub(res):
    # ------------------------------------------------------------------
    # STUB: needs the KMS client. While the library answers "KMS keys are
    # not available in this version", nothing of libenvelope can be
    # measured against the KMS server; kms_envelope() above runs instead
    # as soon as `envelope pubkey awskms://...` stops saying so.
    # ------------------------------------------------------------------
    res["stub"] = ("this build of libenvelope does not load awskms:// "
                   "keys yet (`envelope pubkey awskms:///alias/x`: \"not available in this "
                   "version\").")


def report_kms(rep, res):
    rep.section("KMS: against tests/kms-server")
    rows = []
    if "aws_seal" in res:
        ops = ", ".join(f"{k} {v}" for k, v in sorted(res["aws_ops"].items()))
        rows.append(["tutorial, `aws kms` commands: sign, tar -czf, encrypt",
                     fmt_time(res["aws_seal"]), f"{res['aws_requests']:.1f} ({ops})"])
    elif "aws_error" in res:
        rows.append(["tutorial, `aws kms` commands", "not run: " + res["aws_error"], ""])
    if "stub" in res:
        rows.append(["libenvelope: requests per seal and open, envelopes per second",
                     "NEEDS THE KMS CLIENT", "-"])
    else:
        fmt_ops = lambda d: ", ".join(f"{k} {v}" for k, v in sorted(d.items()))
        rows.append(["envelope seal, whole process (public keys fetched)",
                     fmt_time(res["cli_seal_s"]), fmt_ops(res["cli_seal_ops"])])
        rows.append(["envelope open, whole process", fmt_time(res["cli_open_s"]),
                     fmt_ops(res["cli_open_ops"])])
        rows.append(["seal in one process, public keys cached", "-",
                     f"{res['seal_requests_cached']:.1f} per seal"])
        rows.append(["open in one process, public keys cached", "-",
                     f"{res['open_requests_cached']:.1f} per open"])
        rows.append(["batch sealing, one process (bench/ops.c)",
                     f"{res['seal_per_s']:.1f} envelopes/s "
                     f"({fmt_time(1 / res['seal_per_s'])} each)",
                     f"{res.get('connections')} connection(s)"])
        if "aws_seal" in res:
            res["batch_ratio"] = res["aws_seal"] * res["seal_per_s"]
            rows.append(["batch sealing: per message, aws commands / libenvelope",
                         fmt_ratio(res["batch_ratio"]), ""])
    rep.table(Table(["what", "time", "KMS requests"], rows))
    if "stub" in res:
        rep.para("**Needs the KMS client:** " + res["stub"] + " The tutorial's `aws kms` "
                 "figure above is the baseline the library's figures will be set against "
                 "(`kms_envelope()` in bench/bench.py).")
    rep.para("The server is the suite's loopback KMS (Python, HTTPS, SigV4 checked), so "
             "absolute times include its latency; the request counts are what matters. The "
             "tutorial's message (tests/kms-server/message.json) is used throughout: its "
             "flow cannot encrypt more than 446 bytes of tar.gz.")


# ----------------------------------------------------------------- targets

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
            "; ".join(f"{n} {a:.2f}x / {b:.2f}x" for n, a, b in rs) or "-",
            None if worst is None else worst > 1)
    else:
        row("whole process at 1 KiB faster than age, GnuPG and openssl cms", "-", None)
    for size in (100 * MIB, GIB):
        names = ["GnuPG", "openssl cms", "tutorial (openssl CLI)"]
        rs = peer_ratios(size, names) if size in peers else []
        worst = min((min(a, b) for _, a, b in rs), default=None)
        row(f"at {size_name(size)} ≥2x faster than GnuPG, openssl cms, the tutorial "
            "pipeline, both directions",
            "; ".join(f"{n} {a:.2f}x / {b:.2f}x" for n, a, b in rs) or "not in this run",
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


# -------------------------------------------------------------------- main

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
        "`startup`, `throughput`, `peers`, `kms`), `BENCH_TMPDIR` (where the test files go: "
        "about 3 GiB free for the 1 GiB size), `BENCH_OUT` (this file). The run prints every "
        "table as it goes and rewrites this file at the end; the test files, keys, GnuPG "
        "home and KMS server live in one temporary directory that is removed on exit.")


def method_text():
    return (
        "* Test files are random bytes (nothing compresses), made fresh in each run and "
        "read from the page cache; outputs go to the same directory.\n"
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
    ap.add_argument("--build", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    args = ap.parse_args()
    cfg = Config(args.build, args.work, args.out)
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
          f"{', '.join(size_name(s) for s in cfg.sizes)}; work in {cfg.work}", flush=True)
    rates = attempt("floors", openssl_speed, cfg)
    b = attempt("build", build_helpers, cfg)
    ops = attempt("ops", ops_section, cfg, b) if b else None
    st = attempt("startup", startup, cfg, b) if b else None
    peer_notes = []
    peers = attempt("peers", setup_peers, cfg, peer_notes) if "peers" not in cfg.skip else None
    tp, pr = {}, {}
    for size in cfg.sizes:
        path = os.path.join(cfg.work, "data", f"message-{size_name(size).replace(' ', '')}.bin")
        print(f"\n-- {size_name(size)}", flush=True)
        make_file(path, size)
        attempt("throughput", throughput, cfg, size, path, tp)
        if peers is not None:
            attempt("peers", peers_at, cfg, size, path, peers, pr)
        remove(path, path + ".env")
    kms = attempt("kms", kms_section, cfg, b) if b else None
    ended = datetime.datetime.now(datetime.timezone.utc)

    if rates:
        report_floors(rep, rates)
    if tp:
        report_throughput(rep, cfg, tp, rates)
    if pr:
        report_peers(rep, cfg, pr, peers or [], peer_notes)
    if ops and rates:
        report_ops(rep, ops, rates)
    if st:
        report_startup(rep, cfg, st, ops, b)
    if kms:
        report_kms(rep, kms)
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
              "bench/bench.py, not this file.")
    if os.getloadavg()[0] > 0.5:
        head.para("**Warning:** the machine was not idle during this run; the figures may "
                  "be skewed.")
    head.section("Machine")
    head.table(Table(["", "this run"], [
        ["CPU", f"{info['cpu']}, {info['nproc']} online (nproc)"],
        ["memory", info["memory"]], ["kernel", info["kernel"]], ["system", info["os"]],
        ["OpenSSL", info["openssl"]], ["libarchive", info["libarchive"]],
        ["GnuPG", info["gnupg"]], ["age", info["age"]], ["hyperfine", info["hyperfine"]],
        ["compiler", info["compiler"]], ["libenvelope", info["envelope"]]]))
    head.para("DESIGN.md section 9's reference figures were measured on a 2 vCPU AMD EPYC "
              "under Debian 12; compare ratios, not absolute times, with them.")
    head.section("Where we stand")
    head.table(Table(["target (DESIGN.md section 9, the issue)", "this run", "status"],
                     targets(cfg, tp, pr, ops, kms)))
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
