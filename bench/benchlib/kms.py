"""KMS: requests per envelope and envelopes per second against the suite's
server (tests/kms-server), and the tutorial's `aws kms` commands."""

import json
import os
import statistics
import subprocess

from .common import (AWS, HERE, KMSCTL, ROOT, base_env, capture, Failure, fmt_ratio,
                     fmt_time, run_timed, Table)
from .ops import parse_ops

# The tutorial's keys (DESIGN.md section 2), made by the server at start.
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
