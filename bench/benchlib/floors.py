"""The machine, and `openssl speed`: the floors every ratio divides by."""

import os
import platform
import re
import subprocess

from .common import (GIB, ROOT, capture, Failure, fmt_rate, fmt_us, Table)


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
