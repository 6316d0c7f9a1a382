"""envelope seal and open against `openssl dgst -sha512`, paired runs."""

import os
import statistics

from .common import (DESIGN, MIB, base_env, envelope_tool, Failure, fmt_kib, fmt_rate, fmt_ratio,
                     fmt_time, remove, run_timed, same_file, size_name, Table)


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
