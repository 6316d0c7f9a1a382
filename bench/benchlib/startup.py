"""Where the time and memory of a 1 KiB seal and open go."""

import json
import os
import re
import shlex
import shutil
import statistics

from .common import (DESIGN, KEYS, KIB, base_env, capture, envelope_tool, Failure, fmt_kib,
                     fmt_time, fmt_us, make_file, run_timed, Table)


def hyperfine(cfg, commands, name, runs=None):
    """commands: [(label, argv)]. Returns {label: hyperfine's result}."""
    jfile = os.path.join(cfg.work, "tmp", name + ".json")
    argv = ["hyperfine", "-N", "--style", "none", "--warmup", str(cfg.hf_warmup),
            "--runs", str(runs or cfg.hf_runs), "--export-json", jfile]
    for label, cmd in commands:
        argv += ["-n", label, shlex.join(cmd)]
    capture(argv, env=base_env(cfg), timeout=1800)
    with open(jfile) as f:
        data = json.load(f)
    return {r["command"]: r for r in data["results"]}


ROUNDS = 3
PART_ROUNDS = 5


def interleaved(cfg, commands, name, rounds=ROUNDS):
    """The same commands in `rounds` hyperfine runs one after the other, so
    that a slow spell of the machine falls on all of them: {label: median
    seconds over every run of every round}."""
    times = {label: [] for label, _ in commands}
    for i in range(rounds):
        hf = hyperfine(cfg, commands, f"{name}{i}", runs=max(cfg.hf_runs // rounds, 3))
        for label in times:
            times[label] += hf[label]["times"]
    return {label: statistics.median(t) for label, t in times.items()}


def instructions(cfg, argv):
    """Instructions the process executes (valgrind's callgrind, all of
    them, the dynamic loader's included): a count that a busy machine does
    not change, unlike a time. None without valgrind."""
    if not shutil.which("valgrind"):
        return None
    out = capture(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
                  env=base_env(cfg), merge=True, timeout=600)
    m = re.search(r"Collected : (\d+)", out)
    return int(m.group(1)) if m else None


def peak_rss(cfg, argv, runs=5):
    env = base_env(cfg)
    return int(statistics.median(run_timed(argv, env, rss=True)[1] for _ in range(runs)))


def shared_objects(cfg, argv):
    """Shared objects the process initialises (ld.so and libc included; also
    anything it dlopens), from LD_DEBUG=libs."""
    out = capture(argv, env=base_env(cfg, LD_DEBUG="libs"), merge=True)
    return sorted(set(re.findall(r"calling init: (\S+)", out)))


# bench/startup/parts.c's steps: (step, what it adds, the step it adds to).
PARTS = [
    ("none", "libcrypto linked, never called", None),
    ("noconf", "OPENSSL_init_crypto without the configuration file", "none"),
    ("conf", "the configuration file (openssl.cnf) loaded", "noconf"),
    ("atexit", "OpenSSL's clean-up at exit left on (the CLI turns it off)", "conf"),
    ("decode", "first key decode: OSSL_DECODER narrowed to DER, PrivateKeyInfo, EC "
     "(libenvelope's way)", "conf"),
    ("decode_any", "first key decode: an OSSL_DECODER that tries everything", "conf"),
    ("encode", "first i2d_PUBKEY after a decode: OpenSSL's encoders (libenvelope's "
     "fingerprint before key_spki.c)", "decode"),
    ("rand", "first random bytes: the DRBG's set-up, with the first cipher fetch", "conf"),
    ("thread", "a thread started and joined (the hasher's; only for large messages)", "conf"),
]

# The one-shot comparison: whole processes, 1 KiB, the same file, in rounds.
ONESHOT = ["seal_1k", "open_1k"]

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
        ("archive_only", [b["archive_only"]], "libarchive only (shared, as compat loads it)",
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
    cmds += [(f"part_{step}", [b["parts"], step, k("signer.pem")], f"parts.c {step}: {what}", "")
             for step, what, _ in PARTS]
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
    counted = {"cli_version", "seal_1k", "open_1k"}
    for label, argv, what, design in cmds:
        r = hf[label]
        rows[label] = {
            "what": what, "design": design, "median": r["median"], "stddev": r["stddev"] or 0,
            "rss": peak_rss(cfg, argv), "libs": shared_objects(cfg, argv),
            "ir": instructions(cfg, argv) if label in counted or label.startswith("part_")
            else None,
        }
    # The parts are differences of a few hundred microseconds: their medians
    # come from rounds too, so that one slow spell cannot make a part.
    parts = [c for c in cmds if c[0].startswith("part_")]
    for label, median in interleaved(cfg, [(c[0], c[1]) for c in parts], "parts",
                                     rounds=PART_ROUNDS).items():
        rows[label]["median"] = median
    # The one-shot comparison again, in rounds, beside the peers that seal
    # and open (the tutorial's pipeline aside: it is not a tool).
    pick = [c for c in cmds if c[0] in ONESHOT or
            (c[0].startswith("peer") and not c[2].startswith("tutorial"))]
    oneshot = interleaved(cfg, [(c[0], c[1]) for c in pick], "oneshot")
    return {"rows": rows, "oneshot": oneshot, "names": {c[0]: c[2] for c in pick}}


def floors_ms(rates):
    """The public-key floors of a seal and an open from `openssl speed`, ms."""
    return {"seal": 1e3 / rates["ecdsa_sign"] + 1e3 / rates["rsa_public"],
            "open": 1e3 / rates["rsa_private"] + 1e3 / rates["ecdsa_verify"]}


def fmt_ir(n):
    return "-" if n is None else f"{n / 1e6:.1f} M"


def startup_targets(st, rates):
    """The one-shot targets' rows for "Where we stand": [target, this run, status]."""
    seal_t = "one-shot 1 KiB seal, whole process, faster than `age -r` on the same file"
    open_t = "one-shot 1 KiB open, whole process, within the public-key floor + 5 ms"
    if not st:
        return [[seal_t, "not in this run", "not measured"],
                [open_t, "not in this run", "not measured"]]
    o, names = st["oneshot"], st["names"]
    age = next((label for label, what in names.items() if what == "age, seal 1 KiB"), None)
    rows = []
    if age:
        fast = lambda label: f"{o[age] / o[label]:.2f}x" if label in o else "-"
        rows.append([seal_t, f"age/envelope {fast('seal_1k')}",
                     "met" if o[age] > o["seal_1k"] else "NOT MET"])
    else:
        rows.append([seal_t, "age not installed", "not measured"])
    if rates:
        floor = floors_ms(rates)["open"]
        over = lambda label: f"{o[label] * 1e3 - floor:+.1f} ms" if label in o else "-"
        rows.append([open_t, f"floor {floor:.1f} ms, envelope {over('open_1k')}",
                     "met" if o["open_1k"] * 1e3 - floor <= 5 else "NOT MET"])
    else:
        rows.append([open_t, "no openssl speed floor in this run", "not measured"])
    return rows


def report_oneshot(rep, cfg, st, rates):
    o, names = st["oneshot"], st["names"]
    rows = []
    for op in ("seal", "open"):
        ref = o.get(f"{op}_1k")
        for label, what in names.items():
            if label.endswith(op + "_1k") or label.endswith("_" + op):
                rows.append([what, fmt_time(o[label]),
                             "1" if label == f"{op}_1k" else f"{o[label] / ref:.2f}"])
        if rates:
            floor = floors_ms(rates)[op] / 1e3
            what = ("P-521 sign + RSA-4096 public" if op == "seal" else
                    "RSA-4096 private + P-521 verify")
            rows.append([f"public-key floor, {op} ({what}, openssl speed)", fmt_time(floor),
                         f"{floor / ref:.2f}"])
    rep.table(Table(["one-shot, 1 KiB, whole process", "median",
                     "time over envelope's"], rows))
    rep.para(f"The same file; {ROUNDS} hyperfine runs one after the other over these "
             f"commands ({max(cfg.hf_runs // ROUNDS, 3)} timed runs each per round), medians "
             "over all "
             "rounds, so that a slow spell of the machine falls on all of them. age "
             "encrypts only (no signature); GnuPG signs with P-521 and encrypts to an ECDH "
             "P-521 subkey; openssl cms signs and encrypts with the same keys as "
             "libenvelope. The public-key floor is the private-key and public-key "
             "operations alone, from `openssl speed` in this run.")


def report_parts(rep, rows):
    t = lambda step: rows[f"part_{step}"]
    table = []
    for step, what, base in PARTS:
        if base is None:
            table.append([what, fmt_time(t(step)["median"]), "(base)", fmt_ir(t(step)["ir"]),
                          "(base)"])
            continue
        dt = t(step)["median"] - t(base)["median"]
        ir = t(step)["ir"], t(base)["ir"]
        table.append([what, fmt_time(t(step)["median"]),
                      f"{dt * 1e3:+.2f} ms", fmt_ir(ir[0]),
                      "-" if None in ir else f"{(ir[0] - ir[1]) / 1e6:+.2f} M"])
    rep.table(Table(["start-up part (bench/startup/parts.c)", "process", "part: time",
                     "instructions", "part: instructions"], table))
    rep.para("Each step of bench/startup/parts.c adds one part to the step before it "
             f"(see its header); its time is the median of {PART_ROUNDS} hyperfine rounds "
             "over all the steps; a part's cost is the difference of the two medians, and "
             "of the two instruction counts (valgrind --tool=callgrind, every instruction "
             "of the process: a count a loaded machine does not change, where a time "
             "difference of a few hundred microseconds can drown in noise). The counts "
             "leave out the kernel's work (mapping files, page faults), which the times "
             "include; and under valgrind OpenSSL runs without AVX-512, so the counts of "
             "whole seals and opens above overstate their public-key work.")


def report_startup(rep, cfg, st, ops, b, rates=None):
    rows = {label: r for label, r in st["rows"].items() if not label.startswith("part_")}
    rep.section("Start-up: where the time and memory of a 1 KiB seal and open go")
    report_oneshot(rep, cfg, st, rates)
    table = []
    for label, r in rows.items():
        table.append([r["what"], fmt_time(r["median"]), f"±{r['stddev'] * 1e3:.2f} ms",
                      fmt_ir(r["ir"]), fmt_kib(r["rss"]), str(len(r["libs"])),
                      r["design"] or "-"])
    rep.table(Table(["process", "median", "stddev", "instructions", "peak RSS",
                     "shared objects", "DESIGN.md (design machine)"], table))
    rep.para(f"hyperfine -N, {cfg.hf_warmup} warm-up and {cfg.hf_runs} timed runs each; peak "
             "RSS is the median of 5 runs under `/usr/bin/time -f %M`; shared objects are "
             "those the dynamic loader initialises (`LD_DEBUG=libs`, ld.so and libc "
             "included, dlopen included); instructions from valgrind's callgrind, where "
             "installed. In the breakdowns below, key parsing and the "
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
    text = [f"libarchive, which only the compat format loads, brings {len(archive_libs)} "
            "shared objects: "
            + ", ".join(archive_libs) + "."]
    dt, dm = d("archive_only", "empty")
    text.append(f"Loading them costs {fmt_time(dt)} and {dm / 1024:.1f} MiB of RSS over an "
                "empty program (DESIGN.md: " + DESIGN["archive_only"] + " in all).")
    if "tar_static" in rows:
        kept = sorted(os.path.basename(p) for p in lib("tar_static") - lib("empty"))
        dt2, dm2 = d("tar_static", "empty")
        text.append("Linked from Debian's libarchive.a with `-Wl,--gc-sections`, keeping only "
                    f"the {len(b['tar_symbols'])} archive_* calls the compat format makes, it "
                    "brings "
                    f"{len(kept)} ({', '.join(kept) or 'none'}) and costs {fmt_time(dt2)}, "
                    f"{dm2 / 1024:.1f} MiB.")
    if "deps_tar_static" in rows:
        dt3, dm3 = d("deps_shared", "deps_tar_static")
        text.append(f"libcrypto (initialised), json-c and libarchive: {fmt_time(t('deps_shared'))}"
                    f" with libarchive shared, {fmt_time(t('deps_tar_static'))} with the "
                    f"tar-only static libarchive, {fmt_time(dt3)} and {dm3 / 1024:.1f} MiB "
                    "apart: what libarchive's unused parts cost a process that loads it.")
    in_lib = lambda label: any("libarchive" in p for p in lib(label))
    text.append("v1 seal and open never load libarchive: the inner archive is read and written "
                "by the library's own strict code (docs/FORMAT.md, \"Inner archive\"); the "
                "compat format loads the system's shared libarchive at its first use "
                "(pipeline/archive_dl.c), so that it receives the distribution's security "
                "updates. In this run, a 1 KiB seal "
                f"{'loads it' if in_lib('seal_1k') else 'does not load it'} and a 1 KiB open "
                f"{'loads it' if in_lib('open_1k') else 'does not load it'}.")
    if "curl_only" in rows:
        dt4, dm4 = d("curl_only", "empty")
        in_lib = any("libcurl" in p for p in lib("seal_1k"))
        text.append(f"libcurl, for comparison: {fmt_time(dt4)} and {dm4 / 1024:.1f} MiB over "
                    f"an empty program ({len(lib('curl_only')) - 2} more shared objects); a "
                    f"local-key seal {'loads it (!)' if in_lib else 'does not load it'}.")
    rep.para(" ".join(text))
    report_parts(rep, st["rows"])
    report_choices(rep, st["rows"])


def report_choices(rep, rows):
    """What the parts above led to, with this run's figures."""
    t = lambda label: rows[label]["median"]
    ir = lambda label: rows[label]["ir"]
    dt = lambda a, z: f"{(t(a) - t(z)) * 1e3:.2f} ms"
    di = lambda a, z: "" if None in (ir(a), ir(z)) else f", {(ir(a) - ir(z)) / 1e6:.1f} M instructions"
    text = [
        "**What was cut, and what was kept.** Kept: every check. "
        "*Key decoding*: libenvelope names the input type, structure and key type to "
        "OSSL_DECODER for the common encodings (key_decode.c); a decoder that tries "
        f"everything would cost {dt('part_decode_any', 'part_decode')} more"
        f"{di('part_decode_any', 'part_decode')} per process. "
        "*Fingerprints*: the SPKI DER that a fingerprint hashes is assembled from the key's "
        "parameters for named P-521 and RSA keys (key_spki.c), byte for byte what "
        "i2d_PUBKEY writes (test_key_spki); OpenSSL's encoders, whose first use cost "
        f"{dt('part_encode', 'part_decode')}{di('part_encode', 'part_decode')}, are no "
        "longer touched by a seal or an open. "
        "*Exit*: the CLI asks OpenSSL for no clean-up at exit (a process's memory goes "
        "with it; with a seal's state the clean-up is about 1.4 M instructions).",
        "*OpenSSL's configuration* costs "
        f"{dt('part_conf', 'part_noconf')}{di('part_conf', 'part_noconf')} and is kept, in "
        "the library and in the CLI. The library never initialises OpenSSL itself: in a host "
        "application the host's configuration, providers and properties apply, as they must "
        "(a FIPS provider, a system policy). The CLI, an application of its own, reads the "
        "system's configuration (or `OPENSSL_CONF`) at OpenSSL's first use like any OpenSSL "
        "program, so that system policy applies to it too (tests/cli part `startup` checks "
        "it).",
        "*Not cut*: the random generator's set-up "
        f"({dt('part_rand', 'part_conf')}{di('part_rand', 'part_conf')}: every seal needs "
        "fresh randomness, and its first cipher fetch is one the payload needs anyway); "
        f"the thread ({dt('part_thread', 'part_conf')}, started only for large messages) "
        "costs next to nothing; a local-key process never loads libcurl.",
    ]
    age = next((label for label, r in rows.items() if r["what"] == "age, seal 1 KiB"), None)
    if age:
        text.append(
            "*Against age*: age is one static Go binary; an OpenSSL 3 program pays more "
            "before any work. Linking libcrypto and loading its configuration takes "
            f"{fmt_time(t('part_conf'))} ({t('part_conf') / t(age):.2f}x of age's whole 1 KiB "
            "seal, "
            f"{fmt_time(t(age))}), and the first key decode and the random generator's "
            f"set-up {dt('part_decode', 'part_conf')} and {dt('part_rand', 'part_conf')} "
            "more, each filling OpenSSL's method stores from the default provider on first "
            "use. One measured cut remains: keys decoded from their fields with "
            "EVP_PKEY_fromdata, without OSSL_DECODER at all (a prototype saved 2.9 M "
            "instructions, about 0.3 ms, per process), at the price of a parser of key files "
            "of libenvelope's own.")
    text.append(
        "*libarchive*: loaded with dlopen by the compat format alone, at its first use, and "
        "never linked: a v1 process maps none of it, and the compat reader, which parses what "
        "a sender chose, gets the distribution's libarchive security updates the day they "
        "ship, with no rebuild of libenvelope. A distribution packager keeps libarchive as a "
        "run-time dependency of libenvelope: compat envelopes need it. Batch mode pays the "
        "start-up once for all its inputs either way.")
    rep.para("\n\n".join(text))
