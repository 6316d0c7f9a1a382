"""GnuPG, openssl cms, the tutorial's pipeline and age on the same files."""

import os
import re
import shutil
import statistics

from .common import (DESIGN, HERE, KEYS, base_env, capture, envelope_tool, Failure, fmt_kib,
                     fmt_ratio, fmt_time, remove, run_timed, same_file, size_name, Table, Tool)


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
    rep.table(Table(["peer", "what runs (bench/benchlib/peers.py, bench/peers/)"], rows))
    for n in notes + failures:
        rep.para("Note: " + n)
