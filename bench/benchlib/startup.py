"""Where the time and memory of a 1 KiB seal and open go."""

import json
import os
import re
import shlex
import statistics

from .common import (DESIGN, KEYS, KIB, base_env, capture, envelope_tool, Failure, fmt_kib,
                     fmt_time, fmt_us, make_file, run_timed, Table)


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


# DESIGN.md's 1 KiB figures for the peers: (seal, open).
PEER_DESIGN = {"age": ("age_1k_enc", "age_1k_dec"), "GnuPG": ("gpg_1k_seal", None),
               "openssl cms": ("cms_1k_seal", None)}


def startup(cfg, b, peers):
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
    for i, peer in enumerate(peers or []):
        sealed = os.path.join(sdir, f"peer{i}.sealed")
        try:
            capture(peer.seal(msg, sealed), env=base_env(cfg))
        except Failure:
            continue  # the peers section says why
        design = [DESIGN[d] if d else "" for d in PEER_DESIGN.get(peer.name, (None, None))]
        cmds += [
            (f"peer{i}_seal", peer.seal(msg, os.path.join(sdir, f"peer{i}.out.sealed")),
             f"{peer.name}, seal 1 KiB", design[0]),
            (f"peer{i}_open", peer.open(sealed, os.path.join(sdir, f"peer{i}.out.bin")),
             f"{peer.name}, open 1 KiB", design[1]),
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
    cold = [(name, t(label) - t("cli_version"), warm) for name, label, warm in (
        ("P-521 private key", "cli_pubkey_p521", "load_sign_us"),
        ("RSA-4096 private key", "cli_pubkey_rsa", "load_decrypt_us"))]
    warm = lambda w: f" (warm, in-process: {fmt_us(ops[w])})" if ops else ""
    rep.para("Key parsing cold, one key per process: `envelope pubkey KEY` over "
             "`envelope --version` (it also writes the public key): "
             + "; ".join(f"{name} {fmt_time(c)}{warm(w)}" for name, c, w in cold) + ".")

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
