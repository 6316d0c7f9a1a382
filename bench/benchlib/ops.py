"""Per-operation cost in one process: bench/ops.c and bench/evp_floor.c."""

import os
import re

from .common import (KEYS, base_env, capture, fmt_ratio, fmt_us, Table)


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
