"""Batch mode: a directory of 1 KiB messages sealed and opened by one
`envelope seal|open --out-dir` process with -j 1 and -j 2, per message
against the public-key floor of `openssl speed` in the same run; the same
messages one process each (envelope, age, GnuPG, openssl cms), side by
side; the cost of the flushes on a disk (BENCH_DISKDIR) as rows of their
own, the other rows writing to the work directory (a tmpfs where there is
one); and, against the KMS test server, requests and TLS handshakes per
batch."""

import json
import os
import statistics

from .common import (KEYS, KMSCTL, base_env, capture, envelope_tool, Failure, fmt_kib,
                     fmt_ratio, fmt_time, make_file, remove, run_timed, same_file, Table)
from .kms import KMS_ENC, KMS_SEED, KMS_SIGN, kms_env, kms_reset, kms_stats, library_has_kms

KIB = 1024


def k(name):
    return os.path.join(KEYS, name)


def batch_argv(cfg, op, jobs, listing, out):
    """One batch process over the names in listing (--files-from)."""
    if op == "seal":
        keys = ["--sign-key", k("signer.pem"), "--to", k("dave.pub")]
    else:
        keys = ["--decrypt-key", k("dave.pem"), "--verify-key", k("signer.pub")]
    return [cfg.cli, op, "-q", "--force", "-j", str(jobs), *keys, "--out-dir", out,
            "--files-from", listing]


def write_list(path, names):
    with open(path, "w") as f:
        f.write("".join(n + "\n" for n in names))


def setup(cfg, n):
    """n messages of 1 KiB, and the directories and lists for both ways;
    disk_sealed and disk_opened take the outputs of the durability rows."""
    d = os.path.join(cfg.work, "batch")
    remove(d, os.path.join(cfg.disk, "batch"))
    dirs = {w: os.path.join(d, w) for w in ("in", "sealed", "opened", "scratch")}
    dirs.update({f"disk_{w}": os.path.join(cfg.disk, "batch", w) for w in ("sealed", "opened")})
    for p in dirs.values():
        os.makedirs(p)
    msgs = [os.path.join(dirs["in"], f"m{i:05d}") for i in range(n)]
    for m in msgs:
        make_file(m, KIB)
    lists = {"seal": os.path.join(d, "seal.list"), "open": os.path.join(d, "open.list")}
    write_list(lists["seal"], msgs)
    write_list(lists["open"], [os.path.join(dirs["sealed"], os.path.basename(m) + ".env")
                               for m in msgs])
    return dirs, msgs, lists


def check_round_trip(cfg, env, dirs, msgs, lists):
    for op, out in (("seal", dirs["sealed"]), ("open", dirs["opened"])):
        run_timed(batch_argv(cfg, op, 2, lists[op], out), env)
    for m in msgs:
        if not same_file(m, os.path.join(dirs["opened"], os.path.basename(m))):
            raise Failure(f"batch open: {m} differs from what was sealed")


def timed_batches(cfg, env, nosync, dirs, lists, runs, res):
    """Paired runs, round-robin: -j 1 and -j 2 writing to the work directory;
    -j 2 writing to the disk directory, as shipped and with fsync a no-op.
    Every variant reads the same inputs from the work directory."""
    work = {"seal": dirs["sealed"], "open": dirs["opened"]}
    variants = [("j1", 1, env, work), ("j2", 2, env, work)]
    if nosync:
        disk = {"seal": dirs["disk_sealed"], "open": dirs["disk_opened"]}
        variants += [("j2_disk", 2, env, disk),
                     ("j2_disk_nosync", 2, dict(env, LD_PRELOAD=nosync), disk)]
    times = {f"{op}_{v}": [] for op in ("seal", "open") for v, _, _, _ in variants}
    for _ in range(runs):
        for v, jobs, e, outs in variants:
            for op in ("seal", "open"):
                argv = batch_argv(cfg, op, jobs, lists[op], outs[op])
                times[f"{op}_{v}"].append(run_timed(argv, e))
    for key, t in times.items():
        res[key] = statistics.median(t)
    for op, out in (("seal", dirs["sealed"]), ("open", dirs["opened"])):
        _, res[f"{op}_rss"] = run_timed(batch_argv(cfg, op, 2, lists[op], out), env, rss=True)


def one_shots(cfg, env, peers, dirs, msgs, count, res):
    """The same messages, one process each, for each tool."""
    tools = [envelope_tool(cfg)] + [p for p in peers if p.name in ("age", "GnuPG", "openssl cms")]
    scratch = dirs["scratch"]
    res["one_shot"] = {}
    for t in tools:
        r = {"seal": [], "open": []}
        try:
            for i, m in enumerate(msgs[:count]):
                sealed = os.path.join(scratch, f"{i}.sealed")
                opened = os.path.join(scratch, f"{i}.opened")
                r["seal"].append(run_timed(t.seal(m, sealed), env))
                r["open"].append(run_timed(t.open(sealed, opened), env))
                if i == 0 and not same_file(m, opened):
                    raise Failure("opened file differs from the input")
                remove(sealed, opened)
            res["one_shot"][t.name] = {w: statistics.median(v) for w, v in r.items()}
        except Failure as e:
            res["one_shot"][t.name] = {"error": str(e)}


def kms_batches(cfg, dirs, msgs, res):
    """Requests and TLS handshakes of one -j 2 batch each way, public keys
    not cached at the start (each process loads its keys once)."""
    if not library_has_kms(cfg):
        res["kms_error"] = "this build has no KMS client"
        return
    state = os.path.join(cfg.work, "kms-batch")
    os.makedirs(state, exist_ok=True)
    seed = os.path.join(state, "seed.json")
    with open(seed, "w") as f:
        json.dump(KMS_SEED, f)
    endpoint = capture(["bash", KMSCTL, "start", state, "--seed", seed],
                       env=base_env(cfg, KMS_SERVER_MAX_LIFETIME="1800"), timeout=120).strip()
    ca = os.path.join(state, "ca.pem")
    ref = lambda alias: "awskms:///" + alias
    n = len(msgs)
    sealed = os.path.join(dirs["scratch"], "kms-sealed")
    opened = os.path.join(dirs["scratch"], "kms-opened")
    os.makedirs(sealed)
    os.makedirs(opened)
    listing = os.path.join(dirs["scratch"], "kms.list")
    write_list(listing, [os.path.join(sealed, os.path.basename(m) + ".env") for m in msgs])
    seal = [cfg.cli, "seal", "-q", "-j", "2", "--sign-key", ref(KMS_SIGN), "--to", ref(KMS_ENC),
            "--out-dir", sealed, *msgs]
    open_ = [cfg.cli, "open", "-q", "-j", "2", "--decrypt-key", ref(KMS_ENC), "--verify-key",
             ref(KMS_SIGN), "--out-dir", opened, "--files-from", listing]
    try:
        for op, argv, who in (("seal", seal, "sender-plus"), ("open", open_, "receiver-plus")):
            kms_reset(state)
            res[f"kms_{op}_s"] = run_timed(argv, kms_env(cfg, endpoint, ca, who))
            stats = kms_stats(state)
            res[f"kms_{op}_ops"] = stats["requests"]
            res[f"kms_{op}_per_msg"] = stats["requests_total"] / n
            res[f"kms_{op}_tls"] = stats.get("tls_handshakes")
        res["kms_n"] = n
    finally:
        capture(["bash", KMSCTL, "stop", state], check=False)


def batch_section(cfg, b, peers, rates):
    n = 64 if cfg.quick else 400
    res = {"n": n}
    env = base_env(cfg)
    dirs, msgs, lists = setup(cfg, n)
    check_round_trip(cfg, env, dirs, msgs, lists)
    timed_batches(cfg, env, (b or {}).get("nosync"), dirs, lists, 2 if cfg.quick else 7, res)
    one_shots(cfg, env, peers or [], dirs, msgs, 5 if cfg.quick else 20, res)
    if "batch_kms" not in cfg.skip:
        try:
            kms_batches(cfg, dirs, msgs[:16 if cfg.quick else 100], res)
        except Failure as e:
            res["kms_error"] = str(e)
    if rates:
        res["floor_seal"] = 1 / rates["ecdsa_sign"] + 1 / rates["rsa_public"]
        res["floor_open"] = 1 / rates["rsa_private"] + 1 / rates["ecdsa_verify"]
    remove(os.path.join(cfg.work, "batch"), os.path.join(cfg.disk, "batch"))
    return res


def per_msg(res, key):
    return res[key] / res["n"]


def batch_targets(res):
    """Rows for the document's table of targets."""
    rows = []
    if not res:
        return [["batch, 1 KiB, 2 workers: per message ≤0.75x the public-key floor",
                 "not in this run", "not measured"],
                ["batch -j 2 ≥1.7x -j 1", "not in this run", "not measured"]]
    if "floor_seal" in res:
        s = per_msg(res, "seal_j2") / res["floor_seal"]
        o = per_msg(res, "open_j2") / res["floor_open"]
        rows.append(["batch, 1 KiB, 2 workers: per message ≤0.75x the public-key floor",
                     f"seal {fmt_ratio(s)}, open {fmt_ratio(o)}",
                     "met" if max(s, o) <= 0.75 else "NOT MET"])
    s = res["seal_j1"] / res["seal_j2"]
    o = res["open_j1"] / res["open_j2"]
    rows.append(["batch -j 2 ≥1.7x -j 1", f"seal {s:.2f}x, open {o:.2f}x",
                 "met" if min(s, o) >= 1.7 else "NOT MET"])
    peak = max(res["seal_rss"], res["open_rss"])
    rows.append(["batch peak RSS ≤16 MiB + 4 MiB per worker (2 workers: 24 MiB)",
                 fmt_kib(peak), "met" if peak <= 24 * 1024 else "NOT MET"])
    if "kms_n" in res:
        worst = max(res["kms_seal_per_msg"], res["kms_open_per_msg"])
        tls = max(res["kms_seal_tls"] or 0, res["kms_open_tls"] or 0)
        rows.append(["KMS batch: ≤1 request per message once public keys are cached, "
                     "one TLS connection per worker",
                     f"seal {res['kms_seal_per_msg']:.2f}, open {res['kms_open_per_msg']:.2f} "
                     f"per message (first calls included); {tls} handshakes at most",
                     "met" if worst <= 1 + 4 / res["kms_n"] and tls <= 2 else "NOT MET"])
    return rows


def report_batch(rep, cfg, res):
    n = res["n"]
    rep.section("Batch mode: many 1 KiB messages, one process")
    rows = []
    for op in ("seal", "open"):
        floor = res.get(f"floor_{op}")
        for v, what in (("j1", "-j 1"), ("j2", "-j 2"), ("j2_disk", "-j 2, on disk"),
                        ("j2_disk_nosync", "-j 2, on disk, fsync a no-op")):
            if f"{op}_{v}" not in res:
                continue
            each = per_msg(res, f"{op}_{v}")
            rows.append([f"envelope {op} --out-dir, {what}", fmt_time(res[f"{op}_{v}"]),
                         fmt_time(each), fmt_ratio(each / floor) if floor else "-"])
        if floor:
            rows.append([f"public-key floor of one {op} (openssl speed)", "-", fmt_time(floor),
                         "1.00x"])
    rep.table(Table([f"{n} messages of 1 KiB", "whole batch", "per message",
                     "over the floor"], rows))
    rep.para(f"The -j 1 and -j 2 rows write to {cfg.work_fs} (BENCH_TMPDIR), the rows "
             f"\"on disk\" to {cfg.disk_fs} (BENCH_DISKDIR); all read the same inputs "
             f"from {cfg.work_fs}.")
    if "seal_j2_disk_nosync" in res:
        seal = res["seal_j2_disk"] / res["seal_j2_disk_nosync"]
        open_ = res["open_j2_disk"] / res["open_j2_disk_nosync"]
        rep.para("Durability: every output is flushed, then named, and the directory flushed "
                 "once per batch; on disk, the row with fsync made a no-op (bench/nosync.c) "
                 f"gives its cost: seal {fmt_ratio(seal)}, open {fmt_ratio(open_)} of the time "
                 f"without it, on {cfg.disk_fs} (BENCH_DISKDIR).")
    rep.para(f"Peak RSS of a -j 2 batch: seal {fmt_kib(res['seal_rss'])}, open "
             f"{fmt_kib(res['open_rss'])}.")
    rows = []
    for name, r in res.get("one_shot", {}).items():
        if "error" in r:
            rows.append([name, "failed: " + r["error"], ""])
        else:
            rows.append([f"{name}, one process per message", fmt_time(r["seal"]),
                         fmt_time(r["open"])])
    for op_v, what in (("j2", "envelope --out-dir -j 2, per message"),):
        rows.append([what, fmt_time(per_msg(res, f"seal_{op_v}")),
                     fmt_time(per_msg(res, f"open_{op_v}"))])
    rep.table(Table(["1 KiB, side by side", "seal", "open"], rows))
    rep.para("age encrypts without signing; GnuPG and openssl cms sign and encrypt, as "
             "envelope does. Peers have no batch mode: one process per message is what a "
             "script over many files pays with them.")
    if "kms_n" in res:
        calls = lambda d: ", ".join(f"{k} {v}" for k, v in sorted(d.items())) or "none"
        rows = [[f"envelope {op} --out-dir -j 2, {res['kms_n']} messages",
                 fmt_time(res[f"kms_{op}_s"]), f"{res[f'kms_{op}_per_msg']:.2f}",
                 calls(res[f"kms_{op}_ops"]), str(res[f"kms_{op}_tls"])]
                for op in ("seal", "open")]
        rep.table(Table(["KMS keys, against tests/kms-server", "whole batch",
                         "requests per message", "requests", "TLS handshakes"], rows))
    elif "kms_error" in res:
        rep.para(f"KMS batch not measured: {res['kms_error']}.")
