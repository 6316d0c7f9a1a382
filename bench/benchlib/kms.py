"""KMS: requests per envelope and envelopes per second against the suite's
server (tests/kms-server), and the tutorial's `aws kms` commands."""

import json
import os
import statistics
import subprocess

from .common import (AWS, HERE, KMSCTL, ROOT, base_env, capture, Failure, fmt_ratio, fmt_time,
                     run_timed, Table)
from .ops import parse_ops

# The tutorial's keys (docs/DESIGN.md, "The tutorial it grew from"), made by the server at start.
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


def kms_requests(state):
    """The operations of the calls since the last reset, in order."""
    log = json.loads(capture(["bash", KMSCTL, "control", state, "GET", "requests"]))
    log = log if isinstance(log, list) else log.get("requests", [])
    return [r["op"] for r in sorted(log, key=lambda r: r["seq"])]


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
            if "aws_seal" in res:
                res["batch_ratio"] = res["aws_seal"] * res["seal_per_s"]
        else:
            kms_envelope_stub(res)
    finally:
        capture(["bash", KMSCTL, "stop", state], check=False)
    return res


def kms_tutorial(cfg, state, endpoint, ca, res):
    """The tutorial's sender with the AWS CLI (docs/DESIGN.md, "The tutorial it grew from"): sign,
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
    # Whole process: every call one CLI run makes (median time of a few).
    send = kms_env(cfg, endpoint, ca, "sender-plus")
    recv = kms_env(cfg, endpoint, ca, "receiver-plus")
    seal = [cfg.cli, "seal", "-q", "--force", "--sign-key", ref(KMS_SIGN), "--to", ref(KMS_ENC),
            "-o", env_file, msg]
    open_ = [cfg.cli, "open", "-q", "--force", "--decrypt-key", ref(KMS_ENC), "--verify-key",
             ref(KMS_SIGN), "-o", env_file + ".out", env_file]
    for op, argv, env in (("seal", seal, send), ("open", open_, recv)):
        kms_reset(state)
        run_timed(argv, env)
        stats = kms_stats(state)
        res[f"cli_{op}_ops"] = stats["requests"]
        res[f"cli_{op}_tls"] = stats.get("tls_handshakes")
        res[f"cli_{op}_s"] = statistics.median(
            run_timed(argv, env) for _ in range(cfg.kms_messages))
    # One process, public keys cached: the calls of 13 envelopes less those
    # of 3, over 10 (the library may fetch a public key on the way, once).
    both = kms_env(cfg, endpoint, ca, "admin")
    keys = [ref(KMS_SIGN), ref(KMS_SIGN), ref(KMS_ENC), ref(KMS_ENC)]
    for op in ("seal", "open"):
        counts = []
        for n in (3, 13):
            kms_reset(state)
            capture([b["ops"], "-n", str(n), "-p", op, *keys], env=both)
            counts.append(kms_stats(state)["requests"])
            if n == 3:
                res[f"{op}_first3"] = kms_requests(state)
        ops = {k: (counts[1].get(k, 0) - counts[0].get(k, 0)) / 10 for k in counts[1]}
        res[f"{op}_ops_cached"] = {k: v for k, v in ops.items() if v}
        res[f"{op}_requests_cached"] = sum(ops.values())
    kms_reset(state)
    out = parse_ops(capture([b["ops"], "-t", str(cfg.seconds), "-p", "seal", *keys], env=both))
    stats = kms_stats(state)
    res["seal_per_s"] = out["seal_per_s"]
    res["batch_tls"] = stats.get("tls_handshakes")


def kms_envelope_stub(res):
    # ------------------------------------------------------------------
    # STUB, for a build without the KMS client (it answers "KMS keys are
    # not available in this version"): nothing of libenvelope can be
    # measured against the server then, and the report says so.
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
        calls = lambda d: ", ".join(f"{k} {v:g}" for k, v in sorted(d.items())) or "none"
        for op in ("seal", "open"):
            rows.append([f"envelope {op}, whole process", fmt_time(res[f"cli_{op}_s"]),
                         f"{calls(res[f'cli_{op}_ops'])}; "
                         f"{res[f'cli_{op}_tls']} TLS handshake(s)"])
        for op in ("seal", "open"):
            rows.append([f"{op} in one process, public keys cached (bench/ops.c)", "-",
                         f"{res[f'{op}_requests_cached']:g} per {op}: "
                         f"{calls(res[f'{op}_ops_cached'])}"])
        rows.append(["batch sealing, one process (bench/ops.c)",
                     f"{res['seal_per_s']:.1f} envelopes/s "
                     f"({fmt_time(1 / res['seal_per_s'])} each)",
                     f"{res['batch_tls']} TLS handshake(s) in all"])
        if "batch_ratio" in res:
            rows.append(["batch sealing: time per message, aws commands / libenvelope",
                         fmt_ratio(res["batch_ratio"]), ""])
    rep.table(Table(["what", "time", "KMS requests"], rows))
    if "seal_first3" in res:
        rep.para("The calls of the first three envelopes one process seals: "
                 f"{', '.join(res['seal_first3'])}; the same for opens, the first calls being "
                 "those of the one seal that makes the envelope: "
                 f"{', '.join(res['open_first3'])}. The steady-state figures above are the "
                 "calls of 13 envelopes less those of 3, over 10.")
    if "stub" in res:
        rep.para("**Needs the KMS client:** " + res["stub"] + " The tutorial's `aws kms` "
                 "figure above is the baseline the library's figures will be set against "
                 "(`kms_envelope()` in bench/benchlib/kms.py).")
    rep.para("The server is the suite's loopback KMS (Python, HTTPS, SigV4 checked), so "
             "absolute times include its latency; the request counts are what matters. The "
             "tutorial's message (tests/kms-server/message.json) is used throughout: its "
             "flow cannot encrypt more than 446 bytes of tar.gz.")
