"""What flushing an opened message costs: envelope open -o with its fsync
calls (the file before its link, the directory after) against the same open
with fsync made a no-op (bench/nosync.c), paired runs. The envelope is read
from the work directory; the message is written to the disk directory
(BENCH_DISKDIR): on a tmpfs fsync has nothing to do."""

import os
import statistics

from .common import (base_env, envelope_tool, fmt_ratio, fmt_time, remove, run_timed,
                     size_name, Table)


def durability(cfg, size, sealed, nosync, results):
    env = base_env(cfg)
    off = base_env(cfg, LD_PRELOAD=nosync)
    tool = envelope_tool(cfg)
    out = os.path.join(cfg.disk, os.path.basename(sealed) + ".opened")
    run_timed(tool.open(sealed, out), env)  # warm-up
    remove(out)
    synced, unsynced, ratios = [], [], []
    for _ in range(cfg.runs(size)):
        a = run_timed(tool.open(sealed, out), off)
        remove(out)
        b = run_timed(tool.open(sealed, out), env)
        remove(out)
        unsynced.append(a), synced.append(b), ratios.append(b / a)
    results[size] = {"synced": statistics.median(synced),
                     "unsynced": statistics.median(unsynced),
                     "ratio": statistics.median(ratios), "runs": len(synced)}


def report_durability(rep, cfg, results):
    rep.section("Durability: what fsync costs an open")
    rows = [[size_name(size), fmt_time(r["unsynced"]), fmt_time(r["synced"]),
             fmt_time(r["synced"] - r["unsynced"]), fmt_ratio(r["ratio"]), str(r["runs"])]
            for size, r in sorted(results.items())]
    rep.table(Table(["size", "open, fsync a no-op", "open", "cost", "ratio", "pairs"], rows))
    rep.para("`envelope open -o` flushes the message before linking it into place and the "
             "directory after, so that a power loss cannot leave the name on an empty file. "
             "Each pair runs the same open with fsync made a no-op (bench/nosync.c under "
             "LD_PRELOAD) and then as shipped, reading the envelope from "
             f"{cfg.work_fs} and writing the message to {cfg.disk_fs} (BENCH_DISKDIR); "
             "times are medians, the ratio the median of per-pair ratios.")
