"""Unit tests of the KMS test server over raw, botocore-signed HTTP.

Run with:  /usr/bin/python3 -m pytest -q tests/kms-server
"""

import base64
import calendar
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kmsclient import KMSClient, load_principals  # noqa: E402

PY = sys.executable
P = load_principals()
ACCOUNT = "111122223333"
SIGN_ALIAS = "alias/sample-sign-verify-key"
ENC_ALIAS = "alias/sample-encrypt-decrypt-key"


def b64(b):
    return base64.b64encode(b).decode()


def unb64(s):
    return base64.b64decode(s)


# What the server does in its own threads (a handshake that failed, a call
# still sleeping on a delay) happens apart from the client's answer: wait for
# it, bounded generously for a loaded machine.
WAIT_SECONDS = 60


def wait_for(what, probe, done):
    """Polls probe() until done(value); returns the value. Fails, showing
    the last value seen, after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail("waited %d s for %s; last saw %r"
                        % (WAIT_SECONDS, what, value))
        time.sleep(0.05)


# ----------------------------------------------------------------- fixtures

def start_server(tmp, *extra):
    state = os.path.join(tmp, "state")
    proc = subprocess.Popen(
        [PY, os.path.join(HERE, "kms_server.py"), "--state-dir", state,
         "--max-lifetime", "600"] + list(extra),
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "log"), "w"))
    ep_file = os.path.join(state, "endpoint")
    deadline = time.monotonic() + WAIT_SECONDS
    while not os.path.exists(ep_file):  # written atomically once listening
        if proc.poll() is not None:
            raise RuntimeError("server exited with status %d during start: %s"
                               % (proc.returncode,
                                  open(os.path.join(tmp, "log")).read()))
        if time.monotonic() > deadline:
            stop_server(proc)
            raise RuntimeError("no %s after %d s: %s"
                               % (ep_file, WAIT_SECONDS,
                                  open(os.path.join(tmp, "log")).read()))
        time.sleep(0.05)
    with open(ep_file) as f:
        ep = f.read().strip()
    return proc, state, ep


def stop_server(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Server:
    def __init__(self, proc, state, ep):
        self.proc, self.state, self.endpoint = proc, state, ep
        self.ca = os.path.join(state, "ca.pem") \
            if ep.startswith("https") else None

    def client(self, principal="admin", **kw):
        return KMSClient(self.endpoint, ca=self.ca, principal=principal, **kw)

    def control(self, method, name, obj=None):
        status, out = KMSClient(self.endpoint, ca=self.ca).control(
            method, name, obj)
        assert status == 200, out
        return out

    def stats(self):
        return self.control("GET", "stats")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("kms"))
    proc, state, ep = start_server(tmp)
    yield Server(proc, state, ep)
    stop_server(proc)
    assert proc.returncode == 0
    assert not os.path.exists(os.path.join(state, "endpoint"))


@pytest.fixture(autouse=True)
def _reset(request):
    if "server" in request.fixturenames:
        request.getfixturevalue("server").control("POST", "reset")
    yield


@pytest.fixture(scope="session")
def keys(server):
    """The tutorial's keys (RSA_2048 here, for speed) plus a few others,
    made through the control API."""
    out = server.control("POST", "keys", {"keys": [
        {"key_spec": "ECC_NIST_P521", "key_usage": "SIGN_VERIFY",
         "aliases": [SIGN_ALIAS]},
        {"key_spec": "RSA_2048", "key_usage": "ENCRYPT_DECRYPT",
         "aliases": [ENC_ALIAS]},
        {"key_spec": "RSA_2048", "key_usage": "ENCRYPT_DECRYPT",
         "aliases": ["alias/other-rsa"]},
        {"key_spec": "SYMMETRIC_DEFAULT", "aliases": ["alias/sym"]},
        {"key_spec": "SYMMETRIC_DEFAULT", "aliases": ["alias/sym2"]},
        {"key_spec": "RSA_2048", "key_usage": "SIGN_VERIFY",
         "aliases": ["alias/rsa-sign"]},
        {"key_spec": "ECC_NIST_P256", "aliases": ["alias/p256"]},
    ], "private": True})
    names = ["sign", "enc", "other", "sym", "sym2", "rsasign", "p256"]
    return {n: k for n, k in zip(names, out["keys"])}


def arn(key_id, region="us-east-1"):
    return "arn:aws:kms:%s:%s:key/%s" % (region, ACCOUNT, key_id)


def err(r, type_, status=400):
    assert r.status == status, r
    assert r.error == type_, r
    assert r.headers.get("Content-Type") == "application/x-amz-json-1.1"
    return r.json.get("message")


def ok(r):
    assert r.status == 200, r
    assert r.headers.get("Content-Type") == "application/x-amz-json-1.1"
    return r.json


# ------------------------------------------------------------------ SigV4

def test_signed_request_accepted(server, keys):
    out = ok(server.client().call("ListAliases", {}))
    names = {a["AliasName"] for a in out["Aliases"]}
    assert {SIGN_ALIAS, ENC_ALIAS} <= names
    assert out["Truncated"] is False


def test_wrong_secret(server, keys):
    r = server.client().call("ListAliases", {}, secret_key="not-the-secret")
    msg = err(r, "InvalidSignatureException")
    assert msg.startswith("The request signature we calculated does not "
                          "match the signature you provided.")


def test_unknown_access_key(server):
    r = server.client().call("ListAliases", {},
                             access_key="AKIAUNKNOWN000000000")
    assert err(r, "UnrecognizedClientException") == \
        "The security token included in the request is invalid."


@pytest.mark.parametrize("offset,text", [
    (-301 - 30, "Signature expired: "),
    (+301 + 30, "Signature not yet current: "),
])
def test_date_out_of_window(server, offset, text):
    r = server.client().call("ListAliases", {}, date_offset=offset)
    msg = err(r, "InvalidSignatureException")
    assert msg.startswith(text)
    assert "5 min." in msg


def test_date_within_window(server):
    for off in (-240, 240):
        ok(server.client().call("ListAliases", {}, date_offset=off))


def test_server_clock_offset(server):
    server.control("POST", "clock", {"offset_seconds": 3600})
    r = server.client().call("ListAliases", {})
    assert "Signature expired" in err(r, "InvalidSignatureException")
    ok(server.client().call("ListAliases", {}, date_offset=3600))


def test_session_token_required(server):
    c = server.client("session")
    ok(c.call("ListAliases", {}))
    r = c.call("ListAliases", {}, token=False)
    assert err(r, "UnrecognizedClientException") == \
        "The security token included in the request is invalid."
    r = c.call("ListAliases", {}, token="not-the-token")
    err(r, "UnrecognizedClientException")


def test_token_for_long_term_key_refused(server):
    r = server.client("admin").call("ListAliases", {}, token="some-token")
    err(r, "UnrecognizedClientException")


def test_tampered_body(server, keys):
    c = server.client()
    headers, body = c.sign("Encrypt", {"KeyId": "alias/sym",
                                       "Plaintext": b64(b"AAAA")})
    body = body.replace(b64(b"AAAA").encode(), b64(b"BBBB").encode())
    r = c.send(headers, body)
    err(r, "InvalidSignatureException")


def test_tampered_body_with_payload_hash_header(server, keys):
    c = server.client()
    params = {"KeyId": "alias/sym", "Plaintext": b64(b"AAAA")}
    body = json.dumps(params).encode()
    sha = hashlib.sha256(body).hexdigest()
    headers, _ = c.sign("Encrypt", body=body,
                        headers={"X-Amz-Content-SHA256": sha})
    ok(c.send(headers, body))
    bad = body.replace(b64(b"AAAA").encode(), b64(b"BBBB").encode())
    msg = err(c.send(headers, bad), "InvalidSignatureException")
    assert "x-amz-content-sha256" in msg


def test_changed_signed_header(server, keys):
    c = server.client()
    headers, body = c.sign("DescribeKey", {"KeyId": "alias/sym"})
    headers["X-Amz-Target"] = "TrentService.GetPublicKey"
    err(c.send(headers, body), "InvalidSignatureException")


def test_unsigned_amz_header(server):
    c = server.client()
    headers, body = c.sign("ListAliases", {})
    headers["X-Amz-Meta-Extra"] = "1"
    msg = err(c.send(headers, body), "InvalidSignatureException")
    assert "x-amz-meta-extra" in msg


def test_signed_header_missing(server):
    c = server.client()
    headers, body = c.sign("ListAliases", {}, headers={"X-Amz-Meta-A": "1"})
    del headers["X-Amz-Meta-A"]
    err(c.send(headers, body), "InvalidSignatureException")


def test_missing_authorization(server):
    c = server.client()
    headers, body = c.sign("ListAliases", {})
    del headers["Authorization"]
    assert err(c.send(headers, body), "MissingAuthenticationTokenException") \
        == "Missing Authentication Token"


def test_wrong_service_in_scope(server):
    r = server.client().call("ListAliases", {}, service="s3")
    assert "kms" in err(r, "InvalidSignatureException")


def test_minimal_signed_headers_like_libcurl(server):
    """libcurl's CURLOPT_AWS_SIGV4 signs content-type, host, x-amz-date and
    the x-amz-* headers it was given, and sends no x-amz-content-sha256."""
    c = server.client()
    headers, body = c.sign("ListAliases", {})
    assert "X-Amz-Content-SHA256" not in headers
    signed = headers["Authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert signed == "content-type;host;x-amz-date;x-amz-target"
    ok(c.send(headers, body))


def test_unsigned_user_agent_allowed(server):
    c = server.client()
    headers, body = c.sign("ListAliases", {})
    headers["User-Agent"] = "libenvelope/0 test"
    ok(c.send(headers, body))


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl binary")
def test_curl_aws_sigv4(server, keys):
    p = P["session"]
    out = subprocess.run(
        ["curl", "-sS", "--cacert", server.ca,
         "--aws-sigv4", "aws:amz:eu-west-1:kms",
         "--user", "%s:%s" % (p["access_key_id"], p["secret_access_key"]),
         "-H", "X-Amz-Target: TrentService.GetPublicKey",
         "-H", "X-Amz-Security-Token: " + p["session_token"],
         "-H", "Content-Type: application/x-amz-json-1.1",
         "-d", json.dumps({"KeyId": keys["sign"]["KeyId"]}),
         server.endpoint + "/"], capture_output=True, check=True)
    res = json.loads(out.stdout)
    assert res["KeyId"] == arn(keys["sign"]["KeyId"], "eu-west-1")


def test_unknown_operation(server):
    err(server.client().call("ReEncrypt", {}), "UnknownOperationException")


def test_bad_json_body(server):
    c = server.client()
    headers, body = c.sign("ListAliases", body=b"{not json")
    err(c.send(headers, body), "SerializationException")


# ------------------------------------------------------------- key admin

def test_create_key_shapes(server):
    c = server.client()
    md = ok(c.call("CreateKey", {"KeySpec": "ECC_NIST_P521",
                                 "KeyUsage": "SIGN_VERIFY",
                                 "Description": "d"}))["KeyMetadata"]
    assert md["AWSAccountId"] == ACCOUNT
    assert md["Arn"] == arn(md["KeyId"])
    assert md["KeySpec"] == md["CustomerMasterKeySpec"] == "ECC_NIST_P521"
    assert md["KeyUsage"] == "SIGN_VERIFY"
    assert md["KeyState"] == "Enabled" and md["Enabled"] is True
    assert md["SigningAlgorithms"] == ["ECDSA_SHA_512"]
    assert "EncryptionAlgorithms" not in md
    assert md["Description"] == "d"
    assert isinstance(md["CreationDate"], float)
    md = ok(c.call("CreateKey", {"CustomerMasterKeySpec": "RSA_2048",
                                 "KeyUsage": "ENCRYPT_DECRYPT"}))["KeyMetadata"]
    assert md["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1",
                                          "RSAES_OAEP_SHA_256"]
    md = ok(c.call("CreateKey", {}))["KeyMetadata"]
    assert md["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert md["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]


def test_create_key_errors(server):
    c = server.client()
    err(c.call("CreateKey", {"KeySpec": "ECC_NIST_P521",
                             "KeyUsage": "ENCRYPT_DECRYPT"}),
        "ValidationException")
    err(c.call("CreateKey", {"KeySpec": "RSA_2048",
                             "CustomerMasterKeySpec": "RSA_2048"}),
        "ValidationException")
    err(c.call("CreateKey", {"KeySpec": "RSA_1024"}), "ValidationException")
    r = server.client("sender").call("CreateKey", {})
    msg = err(r, "AccessDeniedException")
    assert msg == ("User: arn:aws:iam::111122223333:user/sender is not "
                   "authorized to perform: kms:CreateKey on resource: * "
                   "because no identity-based policy allows the "
                   "kms:CreateKey action")


def test_aliases(server):
    c = server.client()
    kid = ok(c.call("CreateKey", {"KeySpec": "ECC_NIST_P256",
                                  "KeyUsage": "SIGN_VERIFY"}))[
        "KeyMetadata"]["KeyId"]
    r = c.call("CreateAlias", {"AliasName": "alias/t-aliases",
                               "TargetKeyId": kid})
    assert r.status == 200 and r.body == b""
    err(c.call("CreateAlias", {"AliasName": "alias/t-aliases",
                               "TargetKeyId": kid}), "AlreadyExistsException")
    err(c.call("CreateAlias", {"AliasName": "t-no-prefix",
                               "TargetKeyId": kid}), "ValidationException")
    err(c.call("CreateAlias", {"AliasName": "alias/aws/x",
                               "TargetKeyId": kid}),
        "InvalidAliasNameException")
    err(c.call("CreateAlias", {"AliasName": "alias/t-x",
                               "TargetKeyId": "alias/t-aliases"}),
        "ValidationException")
    out = ok(c.call("ListAliases", {"KeyId": kid}))
    assert [a["AliasName"] for a in out["Aliases"]] == ["alias/t-aliases"]
    a = out["Aliases"][0]
    assert a["AliasArn"] == "arn:aws:kms:us-east-1:%s:alias/t-aliases" % ACCOUNT
    assert a["TargetKeyId"] == kid
    # Every KeyId form resolves to the key and answers the key ARN.
    for ref in (kid, arn(kid), "alias/t-aliases", a["AliasArn"]):
        md = ok(c.call("DescribeKey", {"KeyId": ref}))["KeyMetadata"]
        assert md["KeyId"] == kid and md["Arn"] == arn(kid)
    ok(c.call("DeleteAlias", {"AliasName": "alias/t-aliases"}))
    err(c.call("DescribeKey", {"KeyId": "alias/t-aliases"}),
        "NotFoundException")


def test_list_aliases_paging(server, keys):
    c = server.client()
    seen, marker = [], None
    while True:
        p = {"Limit": 2}
        if marker:
            p["Marker"] = marker
        out = ok(c.call("ListAliases", p))
        seen += [a["AliasName"] for a in out["Aliases"]]
        if not out["Truncated"]:
            assert "NextMarker" not in out
            break
        marker = out["NextMarker"]
    assert len(seen) == len(set(seen)) and SIGN_ALIAS in seen
    err(c.call("ListAliases", {"Marker": "junk"}), "InvalidMarkerException")


def test_list_keys(server, keys):
    out = ok(server.client().call("ListKeys", {}))
    ids = {k["KeyId"] for k in out["Keys"]}
    assert keys["sign"]["KeyId"] in ids
    k = [k for k in out["Keys"] if k["KeyId"] == keys["sign"]["KeyId"]][0]
    assert k["KeyArn"] == arn(k["KeyId"])


def test_describe_key_not_found(server):
    c = server.client()
    msg = err(c.call("DescribeKey", {"KeyId": "alias/does-not-exist"}),
              "NotFoundException")
    assert msg == ("Alias arn:aws:kms:us-east-1:%s:alias/does-not-exist is "
                   "not found." % ACCOUNT)
    err(c.call("DescribeKey",
               {"KeyId": "11111111-2222-3333-4444-555555555555"}),
        "NotFoundException")
    err(c.call("DescribeKey", {"KeyId": "not-a-key"}), "NotFoundException")
    err(c.call("DescribeKey", {}), "ValidationException")


def test_keys_are_regional(server):
    c = server.client(region="eu-central-1")
    kid = ok(c.call("CreateKey", {"KeySpec": "ECC_NIST_P256",
                                  "KeyUsage": "SIGN_VERIFY"}))[
        "KeyMetadata"]["KeyId"]
    md = ok(c.call("DescribeKey", {"KeyId": kid}))["KeyMetadata"]
    assert md["Arn"] == arn(kid, "eu-central-1")
    err(server.client().call("DescribeKey", {"KeyId": kid}),
        "NotFoundException")
    # An ARN of another region than the request's is not found either.
    err(server.client().call("DescribeKey",
                             {"KeyId": arn(kid, "eu-central-1")}),
        "NotFoundException")


def test_seeded_keys_follow_the_request_region(server, keys):
    c = server.client(region="ap-southeast-2")
    md = ok(c.call("DescribeKey", {"KeyId": SIGN_ALIAS}))["KeyMetadata"]
    assert md["Arn"] == arn(keys["sign"]["KeyId"], "ap-southeast-2")


def test_disable_enable(server):
    c = server.client()
    kid = ok(c.call("CreateKey", {"KeySpec": "ECC_NIST_P256",
                                  "KeyUsage": "SIGN_VERIFY"}))[
        "KeyMetadata"]["KeyId"]
    sign = {"KeyId": kid, "Message": b64(b"m"),
            "SigningAlgorithm": "ECDSA_SHA_256"}
    ok(c.call("Sign", sign))
    ok(c.call("DisableKey", {"KeyId": kid}))
    md = ok(c.call("DescribeKey", {"KeyId": kid}))["KeyMetadata"]
    assert md["KeyState"] == "Disabled" and md["Enabled"] is False
    assert err(c.call("Sign", sign), "DisabledException") == \
        "%s is disabled." % arn(kid)
    ok(c.call("EnableKey", {"KeyId": kid}))
    ok(c.call("Sign", sign))
    server.control("POST", "disable-key", {"key": kid})
    err(c.call("Sign", sign), "DisabledException")
    server.control("POST", "enable-key", {"key": kid})
    ok(c.call("Sign", sign))


# ---------------------------------------------------------- GetPublicKey

def test_get_public_key(server, keys):
    c = server.client()
    out = ok(c.call("GetPublicKey", {"KeyId": SIGN_ALIAS}))
    assert out["KeyId"] == arn(keys["sign"]["KeyId"])
    assert out["KeySpec"] == out["CustomerMasterKeySpec"] == "ECC_NIST_P521"
    assert out["KeyUsage"] == "SIGN_VERIFY"
    assert out["SigningAlgorithms"] == ["ECDSA_SHA_512"]
    assert "EncryptionAlgorithms" not in out
    pub = serialization.load_der_public_key(unb64(out["PublicKey"]))
    assert isinstance(pub.curve, ec.SECP521R1)
    out = ok(c.call("GetPublicKey", {"KeyId": ENC_ALIAS}))
    assert out["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1",
                                           "RSAES_OAEP_SHA_256"]
    assert "SigningAlgorithms" not in out
    pub = serialization.load_der_public_key(unb64(out["PublicKey"]))
    assert pub.key_size == 2048
    err(c.call("GetPublicKey", {"KeyId": "alias/sym"}),
        "UnsupportedOperationException")


# ---------------------------------------------------------- Sign, Verify

def test_sign_verify_raw_and_digest(server, keys):
    c = server.client()
    msg = b'{"hello":"world"}'
    out = ok(c.call("Sign", {"KeyId": SIGN_ALIAS, "Message": b64(msg),
                             "MessageType": "RAW",
                             "SigningAlgorithm": "ECDSA_SHA_512"}))
    assert out["KeyId"] == arn(keys["sign"]["KeyId"])
    assert out["SigningAlgorithm"] == "ECDSA_SHA_512"
    sig = unb64(out["Signature"])
    pub = serialization.load_der_public_key(unb64(keys["sign"]["PublicKey"]))
    pub.verify(sig, msg, ec.ECDSA(hashes.SHA512()))  # DER, SHA-512
    digest = hashlib.sha512(msg).digest()
    out = ok(c.call("Sign", {"KeyId": SIGN_ALIAS, "Message": b64(digest),
                             "MessageType": "DIGEST",
                             "SigningAlgorithm": "ECDSA_SHA_512"}))
    pub.verify(unb64(out["Signature"]), msg, ec.ECDSA(hashes.SHA512()))
    for mt, m in (("RAW", msg), ("DIGEST", digest)):
        v = ok(c.call("Verify", {"KeyId": SIGN_ALIAS, "Message": b64(m),
                                 "MessageType": mt, "Signature": b64(sig),
                                 "SigningAlgorithm": "ECDSA_SHA_512"}))
        assert v == {"KeyId": arn(keys["sign"]["KeyId"]),
                     "SignatureValid": True,
                     "SigningAlgorithm": "ECDSA_SHA_512"}
    # A signature made locally verifies in KMS too.
    priv = serialization.load_pem_private_key(
        keys["sign"]["PrivateKeyPem"].encode(), None)
    local = priv.sign(msg, ec.ECDSA(hashes.SHA512()))
    ok(c.call("Verify", {"KeyId": SIGN_ALIAS, "Message": b64(msg),
                         "Signature": b64(local),
                         "SigningAlgorithm": "ECDSA_SHA_512"}))


def test_sign_limits_and_errors(server, keys):
    c = server.client()
    base = {"KeyId": SIGN_ALIAS, "SigningAlgorithm": "ECDSA_SHA_512"}
    ok(c.call("Sign", dict(base, Message=b64(b"x" * 4096))))
    err(c.call("Sign", dict(base, Message=b64(b"x" * 4097))),
        "ValidationException")
    msg = err(c.call("Sign", dict(base, Message=b64(b"x" * 32),
                                  MessageType="DIGEST")),
              "ValidationException")
    assert "Digest" in msg
    msg = err(c.call("Sign", dict(base, Message=b64(b"x"),
                                  SigningAlgorithm="ECDSA_SHA_256")),
              "InvalidKeyUsageException")
    assert msg == ("Algorithm ECDSA_SHA_256 is incompatible with key spec "
                   "ECC_NIST_P521.")
    err(c.call("Sign", dict(base, Message=b64(b"x"),
                            SigningAlgorithm="NOPE")), "ValidationException")
    err(c.call("Sign", dict(base, Message=b64(b"x"), MessageType="HASH")),
        "ValidationException")
    err(c.call("Sign", {"KeyId": SIGN_ALIAS, "Message": b64(b"x")}),
        "ValidationException")
    msg = err(c.call("Sign", {"KeyId": ENC_ALIAS, "Message": b64(b"x"),
                              "SigningAlgorithm": "ECDSA_SHA_512"}),
              "InvalidKeyUsageException")
    assert msg == ("%s key usage is ENCRYPT_DECRYPT which is not valid for "
                   "Sign." % arn(keys["enc"]["KeyId"]))


def test_verify_bad_signature(server, keys):
    c = server.client()
    msg = b"message"
    sig = unb64(ok(c.call("Sign", {"KeyId": SIGN_ALIAS, "Message": b64(msg),
                                   "SigningAlgorithm": "ECDSA_SHA_512"}))[
        "Signature"])
    bad = sig[:-1] + bytes([sig[-1] ^ 1])
    for s, m in ((bad, msg), (sig, b"other message"), (b"\x30\x00", msg)):
        r = c.call("Verify", {"KeyId": SIGN_ALIAS, "Message": b64(m),
                              "Signature": b64(s),
                              "SigningAlgorithm": "ECDSA_SHA_512"})
        err(r, "KMSInvalidSignatureException")


def test_rsa_and_p256_signing(server, keys):
    c = server.client()
    pub = serialization.load_der_public_key(
        unb64(keys["rsasign"]["PublicKey"]))
    for alg, pad in (("RSASSA_PSS_SHA_256",
                      padding.PSS(padding.MGF1(hashes.SHA256()), 32)),
                     ("RSASSA_PKCS1_V1_5_SHA_512", padding.PKCS1v15())):
        out = ok(c.call("Sign", {"KeyId": "alias/rsa-sign",
                                 "Message": b64(b"m"),
                                 "SigningAlgorithm": alg}))
        h = hashes.SHA256() if alg.endswith("256") else hashes.SHA512()
        pub.verify(unb64(out["Signature"]), b"m", pad, h)
    out = ok(c.call("Sign", {"KeyId": "alias/p256", "Message": b64(b"m"),
                             "SigningAlgorithm": "ECDSA_SHA_256"}))
    serialization.load_der_public_key(unb64(keys["p256"]["PublicKey"])) \
        .verify(unb64(out["Signature"]), b"m", ec.ECDSA(hashes.SHA256()))


# ------------------------------------------------------- Encrypt, Decrypt

@pytest.mark.parametrize("alg", ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1"])
def test_encrypt_decrypt_rsa(server, keys, alg):
    c = server.client()
    pt = os.urandom(100)
    out = ok(c.call("Encrypt", {"KeyId": ENC_ALIAS, "Plaintext": b64(pt),
                                "EncryptionAlgorithm": alg}))
    assert out["KeyId"] == arn(keys["enc"]["KeyId"])
    assert out["EncryptionAlgorithm"] == alg
    ct = unb64(out["CiphertextBlob"])
    assert len(ct) == 256
    # Raw RSA-OAEP (MGF1 with the same hash): the private key opens it.
    priv = serialization.load_pem_private_key(
        keys["enc"]["PrivateKeyPem"].encode(), None)
    h = hashes.SHA256() if alg.endswith("256") else hashes.SHA1()
    assert priv.decrypt(ct, padding.OAEP(padding.MGF1(h), h, None)) == pt
    out = ok(c.call("Decrypt", {"KeyId": ENC_ALIAS, "CiphertextBlob": b64(ct),
                                "EncryptionAlgorithm": alg}))
    assert unb64(out["Plaintext"]) == pt
    assert out["KeyId"] == arn(keys["enc"]["KeyId"])
    assert out["EncryptionAlgorithm"] == alg
    # Ciphertext made locally with the exported public key decrypts in KMS.
    local = priv.public_key().encrypt(pt, padding.OAEP(padding.MGF1(h), h,
                                                       None))
    out = ok(c.call("Decrypt", {"KeyId": keys["enc"]["KeyId"],
                                "CiphertextBlob": b64(local),
                                "EncryptionAlgorithm": alg}))
    assert unb64(out["Plaintext"]) == pt


def test_rsa_plaintext_limits(server, keys):
    c = server.client()
    out = server.control("POST", "keys", {"keys": [
        {"key_spec": "RSA_3072", "key_usage": "ENCRYPT_DECRYPT"},
        {"key_spec": "RSA_4096", "key_usage": "ENCRYPT_DECRYPT"}]})
    kids = {"RSA_2048": keys["enc"]["KeyId"],
            "RSA_3072": out["keys"][0]["KeyId"],
            "RSA_4096": out["keys"][1]["KeyId"]}
    limits = {("RSA_2048", "RSAES_OAEP_SHA_256"): 190,
              ("RSA_3072", "RSAES_OAEP_SHA_256"): 318,
              ("RSA_4096", "RSAES_OAEP_SHA_256"): 446,
              ("RSA_2048", "RSAES_OAEP_SHA_1"): 214,
              ("RSA_3072", "RSAES_OAEP_SHA_1"): 342,
              ("RSA_4096", "RSAES_OAEP_SHA_1"): 470}
    for (spec, alg), n in limits.items():
        p = {"KeyId": kids[spec], "EncryptionAlgorithm": alg}
        ok(c.call("Encrypt", dict(p, Plaintext=b64(b"a" * n))))
        msg = err(c.call("Encrypt", dict(p, Plaintext=b64(b"a" * (n + 1)))),
                  "ValidationException")
        assert msg == ("Algorithm %s and key spec %s cannot encrypt data "
                       "larger than %d bytes." % (alg, spec, n))


def test_decrypt_errors(server, keys):
    c = server.client()
    pt = b"secret"
    ct = unb64(ok(c.call("Encrypt", {
        "KeyId": ENC_ALIAS, "Plaintext": b64(pt),
        "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}))["CiphertextBlob"])
    base = {"KeyId": ENC_ALIAS, "CiphertextBlob": b64(ct),
            "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}
    # Wrong OAEP hash, wrong key, damaged or truncated ciphertext.
    r = c.call("Decrypt", dict(base, EncryptionAlgorithm="RSAES_OAEP_SHA_1"))
    assert err(r, "InvalidCiphertextException") is None  # no message, as KMS
    err(c.call("Decrypt", dict(base, KeyId="alias/other-rsa")),
        "InvalidCiphertextException")
    bad = ct[:100] + bytes([ct[100] ^ 1]) + ct[101:]
    err(c.call("Decrypt", dict(base, CiphertextBlob=b64(bad))),
        "InvalidCiphertextException")
    err(c.call("Decrypt", dict(base, CiphertextBlob=b64(ct[:-1]))),
        "InvalidCiphertextException")
    # No KeyId: only symmetric ciphertexts name their key.
    err(c.call("Decrypt", {"CiphertextBlob": b64(ct)}),
        "InvalidCiphertextException")
    # Algorithm / key usage mismatches.
    msg = err(c.call("Decrypt", {"KeyId": ENC_ALIAS,
                                 "CiphertextBlob": b64(ct)}),
              "InvalidKeyUsageException")
    assert msg == ("Algorithm SYMMETRIC_DEFAULT is incompatible with key spec "
                   "RSA_2048.")
    err(c.call("Decrypt", dict(base, KeyId=SIGN_ALIAS)),
        "InvalidKeyUsageException")
    err(c.call("Encrypt", {"KeyId": SIGN_ALIAS, "Plaintext": b64(pt),
                           "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
        "InvalidKeyUsageException")
    err(c.call("Encrypt", {"KeyId": ENC_ALIAS, "Plaintext": b64(pt)}),
        "InvalidKeyUsageException")
    err(c.call("Decrypt", dict(base, CiphertextBlob="***")),
        "SerializationException")
    err(c.call("Decrypt", dict(base, CiphertextBlob=b64(b"x" * 6145))),
        "ValidationException")


def test_symmetric_encrypt_decrypt(server, keys):
    c = server.client()
    ctx = {"purpose": "test"}
    out = ok(c.call("Encrypt", {"KeyId": "alias/sym", "Plaintext": b64(b"hi"),
                                "EncryptionContext": ctx}))
    assert out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = out["CiphertextBlob"]
    out = ok(c.call("Decrypt", {"CiphertextBlob": blob,
                                "EncryptionContext": ctx}))
    assert unb64(out["Plaintext"]) == b"hi"
    assert out["KeyId"] == arn(keys["sym"]["KeyId"])
    err(c.call("Decrypt", {"CiphertextBlob": blob}),
        "InvalidCiphertextException")
    msg = err(c.call("Decrypt", {"CiphertextBlob": blob, "KeyId": "alias/sym2",
                                 "EncryptionContext": ctx}),
              "IncorrectKeyException")
    assert msg.startswith("The key ID in the request does not identify")


# ------------------------------------------------------------ permissions

def test_tutorial_permissions(server, keys):
    sender, receiver = server.client("sender"), server.client("receiver")
    msg = b"m"
    sig = ok(sender.call("Sign", {"KeyId": SIGN_ALIAS, "Message": b64(msg),
                                  "SigningAlgorithm": "ECDSA_SHA_512"}))[
        "Signature"]
    ct = ok(sender.call("Encrypt", {
        "KeyId": ENC_ALIAS, "Plaintext": b64(msg),
        "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}))["CiphertextBlob"]
    ok(receiver.call("Decrypt", {"KeyId": ENC_ALIAS, "CiphertextBlob": ct,
                                 "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}))
    ok(receiver.call("Verify", {"KeyId": SIGN_ALIAS, "Message": b64(msg),
                                "Signature": sig,
                                "SigningAlgorithm": "ECDSA_SHA_512"}))
    # Permissions named by alias hold for every form of KeyId.
    ok(sender.call("Sign", {"KeyId": arn(keys["sign"]["KeyId"]),
                            "Message": b64(msg),
                            "SigningAlgorithm": "ECDSA_SHA_512"}))
    msg_ = err(sender.call("Decrypt", {
        "KeyId": ENC_ALIAS, "CiphertextBlob": ct,
        "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}), "AccessDeniedException")
    assert msg_ == (
        "User: arn:aws:iam::111122223333:user/sender is not authorized to "
        "perform: kms:Decrypt on resource: %s because no identity-based "
        "policy allows the kms:Decrypt action" % arn(keys["enc"]["KeyId"]))
    err(sender.call("Verify", {"KeyId": SIGN_ALIAS, "Message": b64(msg),
                               "Signature": sig,
                               "SigningAlgorithm": "ECDSA_SHA_512"}),
        "AccessDeniedException")
    err(receiver.call("Sign", {"KeyId": SIGN_ALIAS, "Message": b64(msg),
                               "SigningAlgorithm": "ECDSA_SHA_512"}),
        "AccessDeniedException")
    err(receiver.call("Encrypt", {"KeyId": ENC_ALIAS, "Plaintext": b64(msg),
                                  "EncryptionAlgorithm":
                                  "RSAES_OAEP_SHA_256"}),
        "AccessDeniedException")
    # Sign is allowed on the signing key only, not on another one.
    err(sender.call("Sign", {"KeyId": "alias/p256", "Message": b64(msg),
                             "SigningAlgorithm": "ECDSA_SHA_256"}),
        "AccessDeniedException")
    for who in ("sender", "receiver"):
        for op in ("DescribeKey", "GetPublicKey"):
            err(server.client(who).call(op, {"KeyId": SIGN_ALIAS}),
                "AccessDeniedException")
    for who in ("sender-plus", "receiver-plus"):
        for op in ("DescribeKey", "GetPublicKey"):
            for ref in (SIGN_ALIAS, ENC_ALIAS):
                ok(server.client(who).call(op, {"KeyId": ref}))
    err(server.client("nobody").call("ListAliases", {}),
        "AccessDeniedException")


def test_session_principal_arn(server, keys):
    r = server.client("session").call("ListAliases", {})
    ok(r)
    server.control("POST", "principals", {"principals": [{
        "name": "limited", "access_key_id": "AKIAKMSTESTLIMITED01",
        "secret_access_key": "s", "session_token": "t",
        "allow": [{"actions": ["kms:Describe*"], "resources": ["alias/p256"]}]
    }]})
    c = KMSClient(server.endpoint, ca=server.ca,
                  access_key="AKIAKMSTESTLIMITED01", secret_key="s", token="t")
    ok(c.call("DescribeKey", {"KeyId": "alias/p256"}))
    msg = err(c.call("DescribeKey", {"KeyId": SIGN_ALIAS}),
              "AccessDeniedException")
    assert msg.startswith("User: arn:aws:sts::111122223333:assumed-role/")


# --------------------------------------------------------- fault injection

def test_fault_throttle(server, keys):
    c = server.client()
    server.control("POST", "fault", {"kind": "throttle", "count": 2})
    assert err(c.call("ListAliases", {}), "ThrottlingException") == \
        "Rate exceeded"
    err(c.call("ListAliases", {}), "ThrottlingException")
    ok(c.call("ListAliases", {}))
    s = server.stats()
    assert s["requests"]["ListAliases"] == 3
    assert s["requests_total"] == 3
    assert s["faults_fired"] == {"throttle": 2}
    assert s["errors"] == {"ThrottlingException": 2}
    assert s["responses"] == {"400": 2, "200": 1}


def test_fault_only_one_operation_and_skip(server, keys):
    c = server.client()
    server.control("POST", "fault", {"kind": "error500", "op": "Sign",
                                     "skip": 1, "count": 1})
    sign = {"KeyId": SIGN_ALIAS, "Message": b64(b"m"),
            "SigningAlgorithm": "ECDSA_SHA_512"}
    ok(c.call("ListAliases", {}))
    ok(c.call("Sign", sign))       # skipped
    err(c.call("Sign", sign), "KMSInternalException", 500)
    ok(c.call("Sign", sign))
    assert server.control("GET", "faults")["faults"] == []


def test_fault_503_and_custom_error(server):
    c = server.client()
    server.control("POST", "fault", {"kind": "error503"})
    err(c.call("ListAliases", {}), "ServiceUnavailableException", 503)
    server.control("POST", "fault", {"kind": "error",
                                     "type": "KMSInvalidStateException",
                                     "message": "pending", "status": 400})
    assert err(c.call("ListAliases", {}), "KMSInvalidStateException") == \
        "pending"
    ok(c.call("ListAliases", {}))


def test_fault_delay(server):
    c = server.client()
    server.control("POST", "fault", {"kind": "delay", "seconds": 0.6})
    t = time.monotonic()
    ok(c.call("ListAliases", {}))
    assert time.monotonic() - t >= 0.6
    ok(c.call("ListAliases", {}))
    # Fired for the first call only (counted before the answer is sent; a
    # time bound on the second call would fail on a busy machine).
    s = server.stats()
    assert (s["faults_fired"], s["requests"]) == ({"delay": 1}, {"ListAliases": 2}), s


def test_fault_delay_client_timeout(server):
    c = server.client(timeout=0.3)
    server.control("POST", "fault", {"kind": "delay", "seconds": 1})
    with pytest.raises((socket.timeout, TimeoutError)):
        c.call("ListAliases", {})
    ok(server.client().call("ListAliases", {}))


def test_fault_disconnect_mid_body(server, keys):
    c = server.client()
    server.control("POST", "fault", {"kind": "disconnect", "op": "Sign"})
    headers, body = c.sign("Sign", {"KeyId": SIGN_ALIAS,
                                    "Message": b64(b"m"),
                                    "SigningAlgorithm": "ECDSA_SHA_512"})
    conn = c.connect()
    conn.request("POST", "/", body=body, headers=headers)
    resp = conn.getresponse()
    assert resp.status == 200
    n = int(resp.getheader("Content-Length"))
    import http.client
    with pytest.raises(http.client.IncompleteRead) as ei:
        resp.read()
    assert 0 < len(ei.value.partial) < n
    conn.close()
    ok(c.call("Sign", {"KeyId": SIGN_ALIAS, "Message": b64(b"m"),
                       "SigningAlgorithm": "ECDSA_SHA_512"}))


def test_fault_drop(server):
    c = server.client()
    server.control("POST", "fault", {"kind": "drop"})
    import http.client
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError,
                        ssl.SSLError)):
        c.call("ListAliases", {})
    ok(c.call("ListAliases", {}))


def test_fault_malformed_json(server):
    c = server.client()
    server.control("POST", "fault", {"kind": "malformed", "count": 1})
    r = c.call("ListAliases", {})
    assert r.status == 200
    assert int(r.headers["Content-Length"]) == len(r.body)
    with pytest.raises(ValueError):
        json.loads(r.body)
    ok(c.call("ListAliases", {}))


def test_faults_after_authentication(server):
    server.control("POST", "fault", {"kind": "throttle"})
    err(server.client().call("ListAliases", {}, secret_key="x"),
        "InvalidSignatureException")
    err(server.client().call("ListAliases", {}), "ThrottlingException")


def test_reset_clears_faults_and_counters(server):
    server.control("POST", "fault", {"kind": "throttle", "count": 5})
    err(server.client().call("ListAliases", {}), "ThrottlingException")
    server.control("POST", "reset")
    s = server.stats()
    assert s["requests_total"] == 0 and s["requests"] == {}
    assert s["tls_handshakes"] == 0
    ok(server.client().call("ListAliases", {}))


def test_bad_control_calls(server):
    c = KMSClient(server.endpoint, ca=server.ca)
    assert c.control("POST", "fault", {"kind": "nope"})[0] == 400
    assert c.control("POST", "no-such-call", {})[0] == 404
    assert c.control("GET", "no-such-call")[0] == 404


def test_request_log(server, keys):
    server.client("sender").call("Sign", {
        "KeyId": SIGN_ALIAS, "Message": b64(b"m"),
        "SigningAlgorithm": "ECDSA_SHA_512"})
    # Logged on arrival, and the reset before this test ended any call an
    # earlier test left sleeping: the log holds this call and nothing else.
    log = server.control("GET", "requests")["requests"]
    assert len(log) == 1, log
    e = log[0]
    assert e["op"] == "Sign" and e["principal"] == "sender"
    assert e["region"] == "us-east-1" and e["status"] == 200
    assert e["signed_headers"] == "content-type;host;x-amz-date;x-amz-target"


def sleeping_sign(server):
    """A Sign held by a 600 s delay fault, from a background thread; returns
    the thread and the dict its outcome lands in, once the server logged it
    as sleeping."""
    server.control("POST", "fault",
                   {"kind": "delay", "seconds": 600, "op": "Sign"})
    outcome = {}

    def run():
        try:
            outcome["response"] = server.client("sender", timeout=600).call(
                "Sign", {"KeyId": SIGN_ALIAS, "Message": b64(b"m"),
                         "SigningAlgorithm": "ECDSA_SHA_512"})
        except (OSError, http.client.HTTPException) as e:
            outcome["error"] = e

    t = threading.Thread(target=run)
    t.start()
    wait_for("the Sign to sleep on its delay",
             lambda: server.control("GET", "requests")["requests"],
             lambda log: any(e["fault"] == "delay" for e in log))
    return t, outcome


def test_request_logged_on_arrival(server, keys):
    t, outcome = sleeping_sign(server)
    log = server.control("GET", "requests")["requests"]
    assert [(e["op"], e["principal"], e["status"], e["fault"])
            for e in log] == [("Sign", "sender", None, "delay")], log
    s = server.stats()
    assert (s["requests_total"], s["responses"], s["delayed_in_flight"]) == \
        (1, {}, 1), s
    server.control("POST", "clear-faults")
    t.join(60)
    assert not t.is_alive()
    assert "response" not in outcome, outcome
    log = server.control("GET", "requests")["requests"]
    assert [(e["op"], e["status"]) for e in log] == [("Sign", "cancelled")]


@pytest.mark.parametrize("control", ["reset-stats", "reset", "clear-faults"])
def test_reset_ends_sleeping_delays(server, keys, control):
    # The client gives up, as a caller with a short timeout does; the
    # server's handler must not answer, count or log after the reset.
    t, outcome = sleeping_sign(server)
    server.control("POST", control)
    s = server.stats()
    assert s["delayed_in_flight"] == 0, s
    t.join(60)
    assert not t.is_alive() and "response" not in outcome, outcome
    server.control("POST", "reset-stats")
    ok(server.client("sender").call("Sign", {
        "KeyId": SIGN_ALIAS, "Message": b64(b"n"),
        "SigningAlgorithm": "ECDSA_SHA_512"}))
    log = server.control("GET", "requests")["requests"]
    assert [(e["op"], e["status"], e["fault"]) for e in log] == \
        [("Sign", 200, None)], log
    s = server.stats()
    assert (s["requests_total"], s["responses"]) == (1, {"200": 1}), s


def test_request_log_in_seq_order(server, keys):
    c = server.client("sender")
    for _ in range(5):
        c.call("ListAliases", {})
    seqs = [e["seq"] for e in server.control("GET", "requests")["requests"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5, seqs


# ------------------------------------------------------------ connections

def test_tls_handshakes_keepalive(server):
    c = server.client()
    conn = c.connect()
    for _ in range(2):
        headers, body = c.sign("ListAliases", {})
        r = c.send(headers, body, conn=conn)
        assert r.status == 200
    conn.close()
    s = server.stats()
    assert s["tls_handshakes"] == 1
    assert s["connections"] == 1
    assert s["requests_total"] == 2
    # A second connection is a second handshake.
    ok(c.call("ListAliases", {}))
    assert server.stats()["tls_handshakes"] == 2


def test_failed_handshake_counted(server):
    host, port = server.endpoint.split("//")[1].split(":")
    ctx = ssl.create_default_context()  # does not trust the test CA
    with socket.create_connection((host, int(port))) as s:
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(s, server_hostname="localhost")
    s = wait_for("tls_handshake_failures >= 1 in the stats", server.stats,
                 lambda s: s["tls_handshake_failures"] >= 1)
    assert s["tls_handshakes"] == 0, s


def test_certificate_names(server):
    ctx = ssl.create_default_context(cafile=server.ca)
    port = int(server.endpoint.rsplit(":", 1)[1])
    for name in ("localhost", "127.0.0.1"):
        with socket.create_connection(("127.0.0.1", port)) as s:
            with ctx.wrap_socket(s, server_hostname=name) as t:
                assert t.version() in ("TLSv1.2", "TLSv1.3")


# ------------------------------------------------------ plain HTTP, seeds

def test_plain_http_and_seed_file(tmp_path):
    priv = ec.generate_private_key(ec.SECP521R1())
    pem = priv.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"keys": [{
        "key_id": "00000000-0000-4000-8000-000000000521",
        "private_key_pem": pem, "aliases": [SIGN_ALIAS]}]}))
    proc, state, ep = start_server(str(tmp_path), "--http", "--seed",
                                   str(seed))
    try:
        assert ep.startswith("http://127.0.0.1:")
        assert not os.path.exists(os.path.join(state, "ca.pem"))
        c = KMSClient(ep, principal="sender")
        out = ok(c.call("Sign", {"KeyId": SIGN_ALIAS, "Message": b64(b"m"),
                                 "SigningAlgorithm": "ECDSA_SHA_512"}))
        assert out["KeyId"] == arn("00000000-0000-4000-8000-000000000521")
        priv.public_key().verify(unb64(out["Signature"]), b"m",
                                 ec.ECDSA(hashes.SHA512()))
        s = KMSClient(ep).control("GET", "stats")[1]
        assert s["tls_handshakes"] == 0 and s["connections"] == 1
    finally:
        stop_server(proc)
    assert proc.returncode == 0
    assert not os.path.exists(os.path.join(state, "pid"))


def test_kmsctl_start_stop(tmp_path):
    state = str(tmp_path / "st")
    ctl = os.path.join(HERE, "kmsctl.sh")
    ep = subprocess.run([ctl, "start", state, "--http"], check=True,
                        capture_output=True, text=True).stdout.strip()
    assert ep.startswith("http://127.0.0.1:")
    pid = int(open(os.path.join(state, "pid")).read())
    # start again: already running, same endpoint
    again = subprocess.run([ctl, "start", state], check=True,
                           capture_output=True, text=True).stdout.strip()
    assert again == ep
    subprocess.run([ctl, "status", state], check=True, capture_output=True)
    subprocess.run([ctl, "stop", state], check=True)
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()[0]
        assert st in ("Z", "X")  # exited; only its parent may reap it
    except FileNotFoundError:
        pass
    assert subprocess.run([ctl, "status", state],
                          capture_output=True).returncode == 1
    subprocess.run([ctl, "stop", state], check=True)  # idempotent


def test_chunked_request_body(server, keys):
    c = server.client()
    headers, body = c.sign("DescribeKey", {"KeyId": SIGN_ALIAS})
    headers["Transfer-Encoding"] = "chunked"
    conn = c.connect()
    conn.request("POST", "/", body=iter([body[:7], body[7:]]),
                 headers=headers, encode_chunked=True)
    r = conn.getresponse()
    out = json.loads(r.read())
    conn.close()
    assert r.status == 200, out
    assert out["KeyMetadata"]["KeyId"] == keys["sign"]["KeyId"]


# -------------------------------------------------------------------- STS

STS_NS = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
ROLE = "arn:aws:iam::111122223333:role/"
EXPIRED = "The security token included in the request is expired"


def creds_of(name):
    p = P[name]
    return (p["access_key_id"], p["secret_access_key"],
            p.get("session_token"))


class StsAnswer:
    def __init__(self, r):
        self.status, self.headers, self.body = r.status, r.headers, r.body
        self.root = ET.fromstring(r.body)

    def text(self, path):
        el = self.root.find(path, STS_NS)
        assert el is not None, "no %s in %r" % (path, self.body)
        return el.text

    def error(self, code, status):
        assert self.status == status, (self.status, self.body)
        assert self.root.tag == "{%s}ErrorResponse" % STS_NS["s"], self.body
        assert self.text("s:Error/s:Code") == code, self.body
        assert self.text("s:Error/s:Type") == \
            ("Receiver" if status >= 500 else "Sender")
        assert self.text("s:RequestId")
        el = self.root.find("s:Error/s:Message", STS_NS)
        return None if el is None else el.text

    def creds(self, action="AssumeRole"):
        assert self.status == 200, (self.status, self.body)
        assert self.headers.get("Content-Type") == "text/xml"
        base = "s:%sResult/s:Credentials/s:" % action
        return tuple(self.text(base + n) for n in
                     ("AccessKeyId", "SecretAccessKey", "SessionToken"))


def sts_call(server, params, creds=None, region="us-east-1", service="sts",
             version="2011-06-15"):
    """One raw STS call, SigV4-signed with CREDS (a triple) unless None."""
    form = dict(params)
    if version is not None:
        form.setdefault("Version", version)
    body = urlencode(form).encode()
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                     headers={"Content-Type": "application/"
                              "x-www-form-urlencoded; charset=utf-8"})
    if creds is not None:
        SigV4Auth(Credentials(*creds), service, region).add_auth(req)
    r = KMSClient(server.endpoint, ca=server.ca).send(
        dict(req.headers.items()), body)
    return StsAnswer(r)


def assume(server, role, who="assumer", **extra):
    params = {"Action": "AssumeRole", "RoleArn": ROLE + role,
              "RoleSessionName": "test-session"}
    params.update(extra)
    return sts_call(server, params,
                    creds=creds_of(who) if isinstance(who, str) else who)


def web_identity(server, role, token, **extra):
    params = {"Action": "AssumeRoleWithWebIdentity", "RoleArn": ROLE + role,
              "RoleSessionName": "pod", "WebIdentityToken": token}
    params.update(extra)
    return sts_call(server, params)


def kms_as(server, creds):
    return KMSClient(server.endpoint, ca=server.ca, access_key=creds[0],
                     secret_key=creds[1], token=creds[2])


def sign_params():
    return {"KeyId": SIGN_ALIAS, "Message": b64(b"m"),
            "SigningAlgorithm": "ECDSA_SHA_512"}


def token(server, **claims):
    return server.control("POST", "issue-token", claims)["token"]


def changed(s):
    """S with its last character replaced by another."""
    return s[:-1] + ("A" if s[-1] != "A" else "B")


def session_count(server):
    return len(server.control("GET", "sessions")["sessions"])


def test_sts_assume_role_shapes_and_kms_as_the_role(server, keys):
    a = assume(server, "sender-role", RoleSessionName="s1")
    ak, sk, tok = a.creds()
    assert ak.startswith("ASIA") and len(ak) == 20
    assert a.root.tag == "{%s}AssumeRoleResponse" % STS_NS["s"]
    arn_ = a.text("s:AssumeRoleResult/s:AssumedRoleUser/s:Arn")
    assert arn_ == "arn:aws:sts::111122223333:assumed-role/sender-role/s1"
    assert a.text("s:AssumeRoleResult/s:AssumedRoleUser/s:AssumedRoleId") \
        .startswith("AROA")
    assert a.text("s:ResponseMetadata/s:RequestId")
    exp = a.text("s:AssumeRoleResult/s:Credentials/s:Expiration")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", exp), exp
    # KMS takes them as the role, with the role's permissions only.
    c = kms_as(server, (ak, sk, tok))
    ok(c.call("Sign", sign_params()))
    msg = err(c.call("Decrypt", {"KeyId": ENC_ALIAS,
                                 "CiphertextBlob": b64(b"x" * 256),
                                 "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
              "AccessDeniedException")
    assert msg.startswith("User: %s is not authorized to perform: "
                          "kms:Decrypt" % arn_), msg
    # The source itself may do nothing in KMS.
    err(server.client("assumer").call("Sign", sign_params()),
        "AccessDeniedException")
    s = server.stats()
    assert s["sts_requests"] == {"AssumeRole": 1}, s
    assert s["sts_requests_total"] == 1 and s["sts_responses"] == {"200": 1}
    assert s["requests"] == {"Sign": 2, "Decrypt": 1}, s
    log = server.control("GET", "requests")["requests"]
    assert [(r["service"], r["op"], r["principal"]) for r in log] == [
        ("sts", "AssumeRole", "assumer"), ("kms", "Sign", "sender-role"),
        ("kms", "Decrypt", "sender-role"), ("kms", "Sign", "assumer")], log
    assert log[0]["role"] == ROLE + "sender-role"
    sessions = server.control("GET", "sessions")["sessions"]
    assert sessions[-1]["access_key_id"] == ak
    assert sessions[-1]["source"] == "arn:aws:iam::111122223333:user/assumer"
    assert sessions[-1]["expiration"] == exp
    dump = json.dumps([log, sessions, server.stats()])
    assert sk not in dump and tok not in dump


def test_sts_botocore_client(server, keys):
    import botocore.session
    from botocore.config import Config
    s = botocore.session.Session()
    cfg = Config(retries={"total_max_attempts": 1})
    ak, sk, _ = creds_of("assumer")
    sts = s.create_client("sts", region_name="eu-west-3",
                          endpoint_url=server.endpoint, verify=server.ca,
                          aws_access_key_id=ak, aws_secret_access_key=sk,
                          config=cfg)
    out = sts.assume_role(RoleArn=ROLE + "receiver-role",
                          RoleSessionName="boto", DurationSeconds=900)
    c = out["Credentials"]
    assert out["AssumedRoleUser"]["Arn"].endswith(
        ":assumed-role/receiver-role/boto")
    role_sts = s.create_client(
        "sts", region_name="eu-west-3", endpoint_url=server.endpoint,
        verify=server.ca, aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"], config=cfg)
    who = role_sts.get_caller_identity()
    assert who["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert who["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]
    tok = token(server, sub="system:serviceaccount:ns:receiver")
    from botocore import UNSIGNED
    anon = s.create_client("sts", region_name="us-east-1",
                           endpoint_url=server.endpoint, verify=server.ca,
                           config=cfg.merge(Config(signature_version=UNSIGNED)))
    out = anon.assume_role_with_web_identity(
        RoleArn=ROLE + "receiver-role", RoleSessionName="pod",
        WebIdentityToken=tok)
    assert out["SubjectFromWebIdentityToken"] == \
        "system:serviceaccount:ns:receiver"
    assert out["Audience"] == "sts.amazonaws.com"
    assert out["Provider"] == "https://oidc.kms-test.local"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_sts_temporary_credentials_token_checked(server, keys):
    ak, sk, tok = assume(server, "sender-role").creds()
    c = kms_as(server, (ak, sk, tok))
    assert err(c.call("Sign", sign_params(), token=False),
               "UnrecognizedClientException") == \
        "The security token included in the request is invalid."
    err(c.call("Sign", sign_params(), token=changed(tok)),
        "UnrecognizedClientException")
    err(c.call("Sign", sign_params(), secret_key=changed(sk)),
        "InvalidSignatureException")
    ok(c.call("Sign", sign_params()))


def test_sts_expiry(server, keys):
    server.control("POST", "sts-duration", {"seconds": 60})
    creds = assume(server, "sender-role").creds()
    c = kms_as(server, creds)
    ok(c.call("Sign", sign_params()))
    # 61 s later on the server's clock (the SigV4 window is 5 minutes).
    server.control("POST", "clock", {"offset_seconds": 61})
    r = c.call("Sign", sign_params(), date_offset=61)
    assert err(r, "ExpiredTokenException") == EXPIRED
    # Expired credentials cannot assume a role either.
    a = sts_call(server, {"Action": "AssumeRole",
                          "RoleArn": ROLE + "sender-role",
                          "RoleSessionName": "again"}, creds=creds)
    # (the request is signed with the real clock: 61 s is in the window)
    assert a.error("ExpiredToken", 403) == EXPIRED
    server.control("POST", "clock", {"offset_seconds": 0})
    ok(c.call("Sign", sign_params()))
    # expire-sessions ends them at once, whatever their lifetime.
    server.control("POST", "sts-duration", {"seconds": None})
    creds2 = assume(server, "receiver-role").creds()
    out = server.control("POST", "expire-sessions", {"role": "sender-role"})
    assert out["expired"] >= 1
    err(c.call("Sign", sign_params()), "ExpiredTokenException")
    decrypt = {"KeyId": ENC_ALIAS, "CiphertextBlob": b64(b"x" * 256),
               "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}
    err(kms_as(server, creds2).call("Decrypt", decrypt),
        "InvalidCiphertextException")
    server.control("POST", "expire-sessions", {})
    err(kms_as(server, creds2).call("Decrypt", decrypt),
        "ExpiredTokenException")
    assert server.stats()["errors"]["ExpiredTokenException"] == 3


def test_sts_duration(server):
    def lifetime(**extra):
        before = int(time.time())
        a = assume(server, "sender-role", **extra)
        after = int(time.time()) + 1
        exp = a.text("s:AssumeRoleResult/s:Credentials/s:Expiration")
        t = calendar.timegm(time.strptime(exp, "%Y-%m-%dT%H:%M:%SZ"))
        return before, t, after

    b, t, a = lifetime()
    assert b + 3600 <= t <= a + 3600
    b, t, a = lifetime(DurationSeconds="900")
    assert b + 900 <= t <= a + 900
    assert server.control("POST", "sts-duration", {"seconds": 5}) == \
        {"ok": True, "seconds": 5}
    b, t, a = lifetime(DurationSeconds="900")
    assert b + 5 <= t <= a + 5
    server.control("POST", "sts-duration", {"seconds": None})
    b, t, a = lifetime()
    assert b + 3600 <= t <= a + 3600
    msg = assume(server, "sender-role", DurationSeconds="7200").error(
        "ValidationError", 400)
    assert msg == ("1 validation error detected: The requested "
                   "DurationSeconds exceeds the MaxSessionDuration set for "
                   "this role.")


def test_sts_chain(server, keys):
    hop = assume(server, "hop-role").creds()
    err(kms_as(server, hop).call("Sign", sign_params()),
        "AccessDeniedException")
    final = assume(server, "sender-role", who=hop, RoleSessionName="hop2")
    out = ok(kms_as(server, final.creds()).call("Sign", sign_params()))
    assert out["SigningAlgorithm"] == "ECDSA_SHA_512"
    assert final.text("s:AssumeRoleResult/s:AssumedRoleUser/s:Arn") == \
        "arn:aws:sts::111122223333:assumed-role/sender-role/hop2"
    src = server.control("GET", "sessions")["sessions"][-1]["source"]
    assert src == "arn:aws:sts::111122223333:assumed-role/hop-role/" \
        "test-session"
    msg = assume(server, "sender-role", who=hop,
                 DurationSeconds="3601").error("ValidationError", 400)
    assert "1 hour session limit for roles assumed by role chaining" in msg
    # A role session is trusted only where its role is named.
    sender_role = final.creds()
    msg = assume(server, "receiver-role", who=sender_role).error(
        "AccessDenied", 403)
    assert msg == ("User: arn:aws:sts::111122223333:assumed-role/sender-role/"
                   "hop2 is not authorized to perform: sts:AssumeRole on "
                   "resource: arn:aws:iam::111122223333:role/receiver-role")


@pytest.mark.parametrize("who,role", [
    ("assumer", "locked-role"), ("nobody", "sender-role"),
    ("sender", "receiver-role"), ("assumer", "no-such-role"),
    ("admin", "locked-role")])
def test_sts_not_trusted(server, who, role):
    before = session_count(server)
    a = assume(server, role, who=who)
    msg = a.error("AccessDenied", 403)
    assert msg == ("User: arn:aws:iam::111122223333:user/%s is not "
                   "authorized to perform: sts:AssumeRole on resource: "
                   "arn:aws:iam::111122223333:role/%s" % (who, role))
    assert session_count(server) == before
    assert server.stats()["sts_errors"] == {"AccessDenied": 1}


def test_sts_external_id(server):
    assume(server, "external-id-role").error("AccessDenied", 403)
    assume(server, "external-id-role",
           ExternalId="kms-test-other-id").error("AccessDenied", 403)
    assume(server, "external-id-role",
           ExternalId="kms-test-external-id").creds()
    assume(server, "external-id-role", who="sender",
           ExternalId="kms-test-external-id").creds()
    msg = assume(server, "external-id-role", ExternalId="a b").error(
        "ValidationError", 400)
    assert "at 'externalId' failed to satisfy constraint: Member must " \
        "satisfy regular expression pattern" in msg


def test_sts_signature_errors(server):
    params = {"Action": "AssumeRole", "RoleArn": ROLE + "sender-role",
              "RoleSessionName": "xy"}
    ak, sk, _ = creds_of("assumer")
    a = sts_call(server, params, creds=(ak, sk + "x", None))
    assert a.error("SignatureDoesNotMatch", 403).startswith(
        "The request signature we calculated does not match")
    a = sts_call(server, params, creds=("AKIAUNKNOWN000000000", sk, None))
    assert a.error("InvalidClientTokenId", 403) == \
        "The security token included in the request is invalid."
    sts_call(server, params).error("MissingAuthenticationToken", 403)
    a = sts_call(server, params, creds=(ak, sk, None), service="kms")
    assert a.error("SignatureDoesNotMatch", 403) == \
        "Credential should be scoped to correct service: 'sts'. "
    a = sts_call(server, params, creds=(ak, sk, "a-token"))
    a.error("InvalidClientTokenId", 403)
    # Any region the client scopes its signature to.
    sts_call(server, params, creds=(ak, sk, None),
             region="ap-southeast-2").creds()
    # A KMS call signed for STS.
    r = server.client().call("ListKeys", {}, service="sts")
    assert err(r, "InvalidSignatureException") == \
        "Credential should be scoped to correct service: 'kms'. "
    assert server.stats()["sts_errors"] == {
        "SignatureDoesNotMatch": 2, "InvalidClientTokenId": 2,
        "MissingAuthenticationToken": 1}


@pytest.mark.parametrize("params,version,code,text", [
    ({"Action": "AssumeRole", "RoleArn": ROLE + "sender-role"}, "2011-06-15",
     "ValidationError", "Value null at 'roleSessionName' failed to satisfy "
     "constraint: Member must not be null"),
    ({"Action": "AssumeRole", "RoleArn": ROLE + "sender-role",
      "RoleSessionName": "a b"}, "2011-06-15", "ValidationError",
     "at 'roleSessionName' failed to satisfy constraint: Member must "
     "satisfy regular expression pattern"),
    ({"Action": "AssumeRole", "RoleArn": ROLE + "sender-role",
      "RoleSessionName": "xy", "DurationSeconds": "899"}, "2011-06-15",
     "ValidationError", "Value '899' at 'durationSeconds' failed to satisfy "
     "constraint: Member must have value greater than or equal to 900"),
    ({"Action": "AssumeRole", "RoleArn": ROLE + "sender-role",
      "RoleSessionName": "xy", "DurationSeconds": "soon"}, "2011-06-15",
     "InvalidParameterValue", "DurationSeconds is invalid"),
    ({"Action": "AssumeRole", "RoleArn": ROLE + "sender-role",
      "RoleSessionName": "xy", "SerialNumber": "arn:aws:iam::1:mfa/u",
      "TokenCode": "123456"}, "2011-06-15", "AccessDenied",
     "MultiFactorAuthentication failed"),
    ({"Action": "DeleteEverything"}, "2011-06-15", "InvalidAction",
     "Could not find operation DeleteEverything for version 2011-06-15"),
    ({"Action": "AssumeRole"}, "2010-01-01", "InvalidAction",
     "Could not find operation AssumeRole for version 2010-01-01"),
    ({"RoleArn": "x"}, "2011-06-15", "MissingAction", "Missing Action"),
])
def test_sts_request_errors(server, params, version, code, text):
    before = session_count(server)
    a = sts_call(server, params, creds=creds_of("assumer"), version=version)
    msg = a.error(code, 403 if code == "AccessDenied" else 400)
    assert text in msg, msg
    assert session_count(server) == before
    assert server.stats()["sts_responses"] == {str(a.status): 1}


def test_web_identity(server, keys):
    tok = token(server, sub="system:serviceaccount:apps:sender")
    a = web_identity(server, "sender-role", tok)
    creds = a.creds("AssumeRoleWithWebIdentity")
    base = "s:AssumeRoleWithWebIdentityResult/s:"
    assert a.text(base + "SubjectFromWebIdentityToken") == \
        "system:serviceaccount:apps:sender"
    assert a.text(base + "AssumedRoleUser/s:Arn") == \
        "arn:aws:sts::111122223333:assumed-role/sender-role/pod"
    ok(kms_as(server, creds).call("Sign", sign_params()))
    s = server.stats()
    assert s["sts_requests"] == {"AssumeRoleWithWebIdentity": 1}
    log = server.control("GET", "requests")["requests"]
    assert log[0]["op"] == "AssumeRoleWithWebIdentity"
    assert log[0]["principal"] is None and log[0]["access_key_id"] is None
    dump = json.dumps([log, server.control("GET", "sessions")])
    assert tok not in dump and creds[1] not in dump and creds[2] not in dump
    assert server.control("GET", "sessions")["sessions"][-1]["source"] == \
        "web-identity:system:serviceaccount:apps:sender"


@pytest.mark.parametrize("claims,role,code,text", [
    ({"sub": "system:serviceaccount:apps:receiver"}, "sender-role",
     "AccessDenied", "Not authorized to perform "
     "sts:AssumeRoleWithWebIdentity"),
    ({"sub": "system:serviceaccount:apps:sender"}, "locked-role",
     "AccessDenied", "Not authorized to perform "
     "sts:AssumeRoleWithWebIdentity"),
    ({"sub": "system:serviceaccount:apps:sender", "aud": "other"},
     "sender-role", "InvalidIdentityToken", "Incorrect token audience"),
    ({"sub": "system:serviceaccount:apps:sender", "expires_in": -1},
     "sender-role", "ExpiredTokenException", "Token expired: current "
     "date/time"),
    ({"sub": "system:serviceaccount:apps:sender",
      "iss": "https://elsewhere.example"}, "sender-role",
     "InvalidIdentityToken", "No OpenIDConnect provider found in your "
     "account for https://elsewhere.example"),
])
def test_web_identity_refused(server, claims, role, code, text):
    tok = token(server, **claims)
    before = session_count(server)
    a = web_identity(server, role, tok)
    status = 403 if code == "AccessDenied" else 400
    assert a.error(code, status).startswith(text)
    assert session_count(server) == before
    assert server.stats()["sts_errors"] == {code: 1}
    assert tok not in a.body.decode()


def test_web_identity_bad_tokens(server):
    good = token(server, sub="system:serviceaccount:apps:sender")
    h, b, sig = good.split(".")
    forged_claims = base64.urlsafe_b64encode(json.dumps({
        "iss": "https://oidc.kms-test.local", "aud": "sts.amazonaws.com",
        "sub": "system:serviceaccount:apps:sender",
        "exp": 2 ** 40}).encode()).rstrip(b"=").decode()
    # (the first character of the MAC: the last one has bits base64 drops)
    other_mac = ("A" if sig[0] != "A" else "B") + sig[1:]
    for bad in (h + "." + forged_claims + "." + sig,
                h + "." + b + "." + other_mac,
                "not-a-jwt", h + "." + b, "a.b.c"):
        a = web_identity(server, "sender-role", bad)
        assert a.error("InvalidIdentityToken", 400).startswith(
            "The web identity token that was passed could not be validated")
    assert server.stats()["sts_errors"] == {"InvalidIdentityToken": 5}


def test_issue_token_to_file(server, tmp_path):
    path = str(tmp_path / "token")
    first = server.control("POST", "issue-token", {
        "sub": "system:serviceaccount:apps:sender", "file": path})["token"]
    assert open(path).read() == first
    assert os.stat(path).st_mode & 0o777 == 0o600
    second = server.control("POST", "issue-token", {
        "sub": "system:serviceaccount:apps:sender", "file": path})["token"]
    assert second != first
    assert open(path).read() == second
    web_identity(server, "sender-role", open(path).read()).creds(
        "AssumeRoleWithWebIdentity")


@pytest.mark.parametrize("fault,code,status", [
    ({"kind": "error", "type": "AccessDenied"}, "AccessDenied", 403),
    ({"kind": "error", "type": "ExpiredToken"}, "ExpiredToken", 403),
    ({"kind": "error", "type": "InvalidIdentityToken"},
     "InvalidIdentityToken", 400),
    ({"kind": "error", "type": "IDPCommunicationError"},
     "IDPCommunicationError", 400),
    ({"kind": "error", "type": "RegionDisabledException"},
     "RegionDisabledException", 403),
    ({"kind": "error", "type": "AccessDenied", "status": 400,
      "message": "custom"}, "AccessDenied", 400),
    ({"kind": "error500"}, "InternalFailure", 500),
    ({"kind": "error503"}, "ServiceUnavailable", 503),
    ({"kind": "throttle"}, "Throttling", 400),
    ({"kind": "expired-token"}, "ExpiredToken", 403),
])
@pytest.mark.parametrize("action", ["AssumeRole",
                                    "AssumeRoleWithWebIdentity"])
def test_sts_faults(server, fault, code, status, action):
    def call():
        if action == "AssumeRole":
            return assume(server, "sender-role")
        return web_identity(server, "sender-role", token(
            server, sub="system:serviceaccount:apps:sender"))

    server.control("POST", "fault", dict(fault, op=action))
    msg = call().error(code, status)
    if fault.get("message"):
        assert msg == "custom"
    call().creds(action)
    s = server.stats()
    assert s["sts_requests"] == {action: 2}
    assert s["sts_errors"] == {code: 1}
    assert s["faults_fired"] == {fault["kind"]: 1}
    log = server.control("GET", "requests")["requests"]
    assert [r["fault"] for r in log] == [fault["kind"], None]


def test_sts_faults_choose_their_service(server, keys):
    # No op: KMS only, as before STS existed.
    server.control("POST", "fault", {"kind": "error500"})
    assume(server, "sender-role").creds()
    err(server.client().call("ListKeys", {}), "KMSInternalException", 500)
    # service sts: both STS actions, not KMS.
    server.control("POST", "fault", {"kind": "error500", "service": "sts",
                                     "count": 2})
    ok(server.client().call("ListKeys", {}))
    assume(server, "sender-role").error("InternalFailure", 500)
    web_identity(server, "sender-role", token(
        server, sub="system:serviceaccount:a:sender")).error(
            "InternalFailure", 500)
    assume(server, "sender-role").creds()
    # service any: whichever comes first.
    server.control("POST", "fault", {"kind": "throttle", "service": "any"})
    assume(server, "sender-role").error("Throttling", 400)
    ok(server.client().call("ListKeys", {}))
    code, out = KMSClient(server.endpoint, ca=server.ca).control(
        "POST", "fault", {"kind": "error500", "service": "iam"})
    assert code == 400 and "service must be" in out["error"]


def test_sts_delay_and_drop(server):
    server.control("POST", "fault", {"kind": "delay", "seconds": 0.2,
                                     "op": "AssumeRole"})
    assume(server, "sender-role").creds()
    server.control("POST", "fault", {"kind": "drop", "op": "AssumeRole"})
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        assume(server, "sender-role")
    server.control("POST", "fault", {"kind": "malformed",
                                     "op": "AssumeRole"})
    c = KMSClient(server.endpoint, ca=server.ca)
    form = urlencode({"Action": "AssumeRole", "Version": "2011-06-15",
                      "RoleArn": ROLE + "sender-role",
                      "RoleSessionName": "xy"}).encode()
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=form,
                     headers={"Content-Type":
                              "application/x-www-form-urlencoded"})
    SigV4Auth(Credentials(*creds_of("assumer")), "sts",
              "us-east-1").add_auth(req)
    r = c.send(dict(req.headers.items()), form)
    assert r.status == 200
    with pytest.raises(ET.ParseError):
        ET.fromstring(r.body)
    assert server.stats()["faults_fired"] == {"delay": 1, "drop": 1,
                                              "malformed": 1}


def test_kms_expired_token_fault(server, keys):
    creds = assume(server, "sender-role").creds()
    c = kms_as(server, creds)
    server.control("POST", "fault", {"kind": "expired-token"})
    assert err(c.call("Sign", sign_params()), "ExpiredTokenException") == \
        EXPIRED
    ok(c.call("Sign", sign_params()))
    s = server.stats()
    assert s["faults_fired"] == {"expired-token": 1}
    assert s["errors"] == {"ExpiredTokenException": 1}


def test_reset_keeps_sessions(server, keys):
    server.control("POST", "sts-duration", {"seconds": 60})
    creds = assume(server, "sender-role").creds()
    server.control("POST", "reset")
    ok(kms_as(server, creds).call("Sign", sign_params()))
    assert server.stats()["sts_requests_total"] == 0
    # The lifetime override ends with the reset.
    before = int(time.time())
    exp = assume(server, "sender-role").text(
        "s:AssumeRoleResult/s:Credentials/s:Expiration")
    assert calendar.timegm(time.strptime(exp, "%Y-%m-%dT%H:%M:%SZ")) >= \
        before + 3600


def test_sts_verbose_log_has_no_secrets(tmp_path):
    proc, state, ep = start_server(str(tmp_path), "--http", "--verbose")
    try:
        srv = Server(proc, state, ep)
        tok = token(srv, sub="system:serviceaccount:a:sender")
        creds = web_identity(srv, "sender-role", tok).creds(
            "AssumeRoleWithWebIdentity")
        creds2 = assume(srv, "sender-role").creds()
        err(kms_as(srv, creds2).call("ListKeys", {}), "AccessDeniedException")
    finally:
        stop_server(proc)
    log = open(os.path.join(str(tmp_path), "log")).read()
    assert "sts AssumeRoleWithWebIdentity" in log, log
    assert "sts AssumeRole assumer " + ROLE + "sender-role -> 200" in log, log
    for secret in (tok, creds[1], creds[2], creds2[1], creds2[2]):
        assert secret not in log


def test_sts_malformed_forms(server):
    def raw(body):
        req = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                         headers={"Content-Type":
                                  "application/x-www-form-urlencoded"})
        SigV4Auth(Credentials(*creds_of("assumer")), "sts",
                  "us-east-1").add_auth(req)
        return StsAnswer(KMSClient(server.endpoint, ca=server.ca).send(
            dict(req.headers.items()), body))

    msg = raw(b"Action=AssumeRole&Version=2011-06-15&RoleSessionName=ab&"
              b"RoleSessionName=cd").error("InvalidParameterValue", 400)
    assert msg == "Parameter RoleSessionName is given more than once."
    raw(b"Action=AssumeRole&&Version").error("MalformedQueryString", 404)
    raw(b"").error("MissingAction", 400)
    log = server.control("GET", "requests")["requests"]
    assert [r["op"] for r in log] == [None, None, None]
    assert server.stats()["sts_requests"] == {"(unknown)": 3}


def test_roles_added_at_run_time(server, keys):
    server.control("POST", "principals", {"roles": [{
        "name": "p256-signer",
        "trust": [{"principals": ["arn:aws:iam::111122223333:user/nobody"]}],
        "allow": [{"actions": ["kms:Sign"], "resources": ["alias/p256"]}]}]})
    roles = {r["name"]: r for r in server.control("GET", "roles")["roles"]}
    assert roles["p256-signer"]["arn"] == ROLE + "p256-signer"
    assert "sender-role" in roles  # added, not replaced
    creds = assume(server, "p256-signer", who="nobody").creds()
    ok(kms_as(server, creds).call("Sign", {
        "KeyId": "alias/p256", "Message": b64(b"m"),
        "SigningAlgorithm": "ECDSA_SHA_256"}))
    err(kms_as(server, creds).call("Sign", sign_params()),
        "AccessDeniedException")
