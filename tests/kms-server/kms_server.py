#!/usr/bin/python3
"""KMS-compatible HTTPS test server for libenvelope.

Speaks the AWS KMS JSON 1.1 protocol (POST /, X-Amz-Target: TrentService.Op)
with real cryptography, validates SigV4 with botocore's signer, enforces a
small identity-based permission table, and offers an unauthenticated control
API under /_control/ for fault injection and counters.

See README.md beside this file for the command line, the principals file,
the seed file and the control API.
"""

import argparse
import base64
import datetime
import email.utils
import fnmatch
import hashlib
import hmac
import ipaddress
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import sts_service
from sts_service import STSError

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PRINCIPALS = os.path.join(HERE, "principals.json")
JSON_CT = "application/x-amz-json-1.1"
MAX_SKEW = 300  # seconds, as AWS
SIGV4_FMT = "%Y%m%dT%H%M%SZ"

# --------------------------------------------------------------------------
# Key specs and algorithms
# --------------------------------------------------------------------------

RSA_SPECS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
EC_SPECS = {
    "ECC_NIST_P256": (ec.SECP256R1, "ECDSA_SHA_256"),
    "ECC_NIST_P384": (ec.SECP384R1, "ECDSA_SHA_384"),
    "ECC_NIST_P521": (ec.SECP521R1, "ECDSA_SHA_512"),
    "ECC_SECG_P256K1": (ec.SECP256K1, "ECDSA_SHA_256"),
}
ALL_KEY_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256",
                 "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
                 "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384",
                 "HMAC_512", "SM2"]
KEY_USAGES = ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC"]
SIGNING_ALGS = ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384",
                "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256",
                "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
                "ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512", "SM2DSA"]
RSA_SIGNING_ALGS = SIGNING_ALGS[:6]
ENCRYPTION_ALGS = ["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1",
                   "RSAES_OAEP_SHA_256", "SM2PKE"]
HASHES = {"SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256,
          "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}


def alg_hash(alg):
    for suffix, h in HASHES.items():
        if alg.endswith(suffix):
            return h()
    raise ValueError(alg)


def rsa_oaep_limit(key_bits, alg):
    h = alg_hash(alg)
    return key_bits // 8 - 2 * h.digest_size - 2


class KMSError(Exception):
    """An error answered in KMS's JSON shape."""

    def __init__(self, type_, message=None, status=400):
        super().__init__(message or type_)
        self.type = type_
        self.message = message
        self.status = status

    def body(self):
        d = {"__type": self.type}
        if self.message is not None:
            d["message"] = self.message
        return d


def validation(msg):
    return KMSError("ValidationException", msg)


class Key:
    def __init__(self, key_id, spec, usage, material, region=None,
                 description="", enabled=True, origin="AWS_KMS",
                 created=None):
        self.key_id = key_id
        self.spec = spec
        self.usage = usage
        self.material = material  # private key object, or 32 bytes
        self.region = region      # None: visible in every region
        self.description = description
        self.enabled = enabled
        self.origin = origin
        self.created = created if created is not None else time.time()

    @property
    def state(self):
        return "Enabled" if self.enabled else "Disabled"

    def arn(self, account, region):
        return "arn:aws:kms:%s:%s:key/%s" % (self.region or region, account,
                                            self.key_id)

    def encryption_algorithms(self):
        if self.usage != "ENCRYPT_DECRYPT":
            return None
        if self.spec == "SYMMETRIC_DEFAULT":
            return ["SYMMETRIC_DEFAULT"]
        return ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]

    def signing_algorithms(self):
        if self.usage != "SIGN_VERIFY":
            return None
        if self.spec in RSA_SPECS:
            return list(RSA_SIGNING_ALGS)
        return [EC_SPECS[self.spec][1]]

    def public_der(self):
        return self.material.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)

    def private_pem(self):
        if self.spec == "SYMMETRIC_DEFAULT":
            return None
        return self.material.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()

    def metadata(self, account, region):
        md = {
            "AWSAccountId": account,
            "KeyId": self.key_id,
            "Arn": self.arn(account, region),
            "CreationDate": self.created,
            "Enabled": self.enabled,
            "Description": self.description,
            "KeyUsage": self.usage,
            "KeyState": self.state,
            "Origin": self.origin,
            "KeyManager": "CUSTOMER",
            "CustomerMasterKeySpec": self.spec,
            "KeySpec": self.spec,
            "MultiRegion": False,
        }
        if self.spec == "SYMMETRIC_DEFAULT":
            md["ExpirationModel"] = "KEY_MATERIAL_DOES_NOT_EXPIRE"
        ea = self.encryption_algorithms()
        if ea:
            md["EncryptionAlgorithms"] = ea
        sa = self.signing_algorithms()
        if sa:
            md["SigningAlgorithms"] = sa
        return md


def generate_material(spec):
    if spec in RSA_SPECS:
        return rsa.generate_private_key(65537, RSA_SPECS[spec])
    if spec in EC_SPECS:
        return ec.generate_private_key(EC_SPECS[spec][0]())
    if spec == "SYMMETRIC_DEFAULT":
        return os.urandom(32)
    raise KMSError("UnsupportedOperationException",
                   "KeySpec %s is not supported by this test server." % spec)


def spec_of_private_key(priv):
    if isinstance(priv, rsa.RSAPrivateKey):
        spec = "RSA_%d" % priv.key_size
        if spec not in RSA_SPECS:
            raise ValueError("unsupported RSA size %d" % priv.key_size)
        return spec
    if isinstance(priv, ec.EllipticCurvePrivateKey):
        for spec, (curve, _) in EC_SPECS.items():
            if isinstance(priv.curve, curve):
                return spec
    raise ValueError("unsupported private key type")


def check_spec_usage(spec, usage):
    ok = ((spec in RSA_SPECS and usage in ("ENCRYPT_DECRYPT", "SIGN_VERIFY"))
          or (spec in EC_SPECS and usage == "SIGN_VERIFY")
          or (spec == "SYMMETRIC_DEFAULT" and usage == "ENCRYPT_DECRYPT"))
    if not ok:
        raise validation("KeyUsage %s is not compatible with KeySpec %s"
                         % (usage, spec))


UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
ALIAS_RE = re.compile(r"^alias/[a-zA-Z0-9/_-]+$")

SYM_VERSION = b"\x01"


# --------------------------------------------------------------------------
# State: keys, aliases, principals, faults, counters
# --------------------------------------------------------------------------

class Alias:
    def __init__(self, name, key_id, region):
        self.name = name
        self.key_id = key_id
        self.region = region
        self.created = self.updated = time.time()


class Principal:
    def __init__(self, d):
        self.name = d["name"]
        self.access_key_id = d["access_key_id"]
        self.secret = d["secret_access_key"]
        self.token = d.get("session_token") or None
        self.arn = d.get("arn") or None
        self.allow = d.get("allow", [])
        # Temporary credentials from STS: the role's ARN and the time (the
        # server's clock) at which they expire.
        self.role = d.get("role")
        self.expires = d.get("expires")

    def allowed(self, action, resources):
        for st in self.allow:
            acts = st.get("actions", [])
            if isinstance(acts, str):
                acts = [acts]
            res = st.get("resources", [])
            if isinstance(res, str):
                res = [res]
            if not any(fnmatch.fnmatchcase(action.lower(), a.lower())
                       for a in acts):
                continue
            for r in res:
                if r == "*":
                    return True
                if any(fnmatch.fnmatchcase(c, r) for c in resources):
                    return True
        return False


class State:
    def __init__(self, account):
        self.lock = threading.RLock()
        self.account = account
        self.keys = {}
        self.aliases = {}     # (region or None, name) -> Alias
        self.principals = {}  # access key id -> Principal
        self.faults = []
        self.clock_offset = 0.0
        self.next_fault_id = 1
        # Each KMS call is logged when it arrives, so that it is in the log
        # before its client has an answer; its fields fill in as it runs.
        self.log = deque(maxlen=200)
        self.seq = 0
        # Injected delays wait on this event; cancel_delays() sets it and
        # waits until every handler that slept has finished.
        self.wake = threading.Event()
        self.delayed = 0
        self.delayed_done = threading.Condition(self.lock)
        self.sts = sts_service.Sts(account, self.now)
        self.reset_stats()

    def reset_stats(self):
        with self.lock:
            self.stats = {
                "requests_total": 0,
                "requests": {},
                "responses": {},
                "errors": {},
                "faults_fired": {},
                "connections": 0,
                "connections_all": 0,
                "tls_handshakes": 0,
                "tls_handshakes_all": 0,
                "tls_handshake_failures": 0,
                "control_requests": 0,
                "sts_requests_total": 0,
                "sts_requests": {},
                "sts_responses": {},
                "sts_errors": {},
            }

    def bump(self, field, name=None, n=1):
        with self.lock:
            if name is None:
                self.stats[field] += n
            else:
                d = self.stats[field]
                d[name] = d.get(name, 0) + n

    def now(self):
        return time.time() + self.clock_offset

    # -- the request log
    def log_arrival(self, rec, op, service="kms"):
        """Number REC, count it and append it to the log, in one step.
        KMS and STS calls have counters of their own."""
        prefix = "sts_" if service == "sts" else ""
        with self.lock:
            self.seq += 1
            rec["seq"] = self.seq
            rec["time"] = time.time()
            rec["service"] = service
            self.stats[prefix + "requests_total"] += 1
            name = op or "(unknown)"
            per_op = self.stats[prefix + "requests"]
            per_op[name] = per_op.get(name, 0) + 1
            self.log.append(rec)

    def note(self, rec, **fields):
        with self.lock:
            rec.update(fields)

    def requests(self):
        with self.lock:
            return [dict(r) for r in sorted(self.log, key=lambda r: r["seq"])]

    # -- injected delays
    def delay_end(self):
        with self.lock:
            self.delayed -= 1
            self.delayed_done.notify_all()

    def cancel_delays(self, timeout=60):
        """Wake every handler sleeping on a delay fault and wait until all
        of them have finished, so that none answers, counts or logs
        anything after this returns."""
        with self.lock:
            wake, self.wake = self.wake, threading.Event()
            wake.set()
            if not self.delayed_done.wait_for(lambda: self.delayed == 0,
                                              timeout):
                raise RuntimeError("%d delayed handlers still running after "
                                   "%d s" % (self.delayed, timeout))

    # -- principals
    def load_principals(self, doc, replace=True):
        with self.lock:
            if replace:
                self.principals = {}
            if "account" in doc and replace:
                self.account = str(doc["account"])
            self.sts.load(doc, replace)
            for p in doc.get("principals", []):
                pr = Principal(p)
                if not pr.arn:
                    if pr.token:
                        pr.arn = ("arn:aws:sts::%s:assumed-role/%s/%s"
                                  % (self.account, pr.name, pr.name))
                    else:
                        pr.arn = "arn:aws:iam::%s:user/%s" % (self.account,
                                                              pr.name)
                self.principals[pr.access_key_id] = pr

    def add_session(self, session):
        """Temporary credentials issued by STS become a principal."""
        with self.lock:
            self.principals[session["access_key_id"]] = Principal(session)

    def expire_sessions(self, role=None):
        """Make issued credentials (of ROLE, or all) expired now."""
        n = 0
        with self.lock:
            for p in self.principals.values():
                if p.expires is not None and (role is None or
                                              role in (p.role, p.name)):
                    p.expires = min(p.expires, self.now())
                    n += 1
        return n

    # -- keys
    def add_key(self, spec=None, usage=None, region=None, key_id=None,
                description="", enabled=True, private_pem=None,
                aliases=(), origin="AWS_KMS"):
        if private_pem:
            priv = serialization.load_pem_private_key(
                private_pem.encode() if isinstance(private_pem, str)
                else private_pem, password=None)
            pspec = spec_of_private_key(priv)
            if spec and spec != pspec:
                raise validation("KeySpec %s does not match the private key "
                                 "(%s)" % (spec, pspec))
            spec = pspec
            material = priv
        else:
            spec = spec or "SYMMETRIC_DEFAULT"
            if spec not in ALL_KEY_SPECS:
                raise validation("1 validation error detected: Value '%s' at "
                                 "'keySpec' failed to satisfy constraint: "
                                 "Member must satisfy enum value set: [%s]"
                                 % (spec, ", ".join(ALL_KEY_SPECS)))
            material = None
        if usage is None:
            usage = "SIGN_VERIFY" if spec in EC_SPECS else "ENCRYPT_DECRYPT"
        check_spec_usage(spec, usage)
        if material is None:
            material = generate_material(spec)
        key_id = key_id or str(uuid.uuid4())
        if not UUID_RE.match(key_id):
            raise validation("key id must be a UUID: %r" % key_id)
        key = Key(key_id, spec, usage, material, region=region,
                  description=description, enabled=enabled, origin=origin)
        with self.lock:
            if key_id in self.keys:
                raise KMSError("AlreadyExistsException",
                               "Key %s already exists" % key_id)
            self.keys[key_id] = key
            for a in aliases:
                self.add_alias(a, key_id, region)
        return key

    def add_alias(self, name, key_id, region):
        if not isinstance(name, str) or not ALIAS_RE.match(name) \
                or len(name) > 256:
            raise KMSError("ValidationException",
                           "Alias must start with the prefix \"alias/\". "
                           "Please see https://docs.aws.amazon.com/kms/latest/"
                           "developerguide/kms-alias.html")
        if name.startswith("alias/aws/"):
            raise KMSError("InvalidAliasNameException",
                           "Alias names cannot begin with alias/aws/")
        with self.lock:
            if (region, name) in self.aliases or (None, name) in self.aliases:
                raise KMSError("AlreadyExistsException",
                               "An alias with the name arn:aws:kms:%s:%s:%s "
                               "already exists" % (region or "*",
                                                   self.account, name))
            self.aliases[(region, name)] = Alias(name, key_id, region)

    def find_alias(self, name, region):
        with self.lock:
            return self.aliases.get((region, name)) or \
                self.aliases.get((None, name))

    def aliases_of(self, key_id, region):
        with self.lock:
            return [a for (r, n), a in sorted(self.aliases.items(),
                                              key=lambda kv: kv[0][1])
                    if a.key_id == key_id and (r is None or r == region)]

    def key_visible(self, key, region):
        return key is not None and (key.region is None or key.region == region)

    def resolve(self, ref, region):
        """KeyId (id, key ARN, alias name, alias ARN) -> Key, or raise."""
        acct = self.account
        if ref.startswith("arn:"):
            parts = ref.split(":", 5)
            if len(parts) != 6 or parts[1] != "aws" or parts[2] != "kms":
                raise KMSError("NotFoundException", "Invalid arn %s" % ref)
            _, _, _, r, a, res = parts
            if r != region:
                raise KMSError("NotFoundException", "Invalid arn %s" % r)
            if a != acct:
                raise KMSError("NotFoundException",
                               "Key '%s' does not exist" % ref)
            if res.startswith("key/"):
                kid = res[4:]
                with self.lock:
                    key = self.keys.get(kid)
                if not self.key_visible(key, region):
                    raise KMSError("NotFoundException",
                                   "Key '%s' does not exist" % ref)
                return key
            if res.startswith("alias/"):
                ref = res
            else:
                raise KMSError("NotFoundException", "Invalid arn %s" % ref)
        if ref.startswith("alias/"):
            al = self.find_alias(ref, region)
            with self.lock:
                key = self.keys.get(al.key_id) if al else None
            if not self.key_visible(key, region):
                raise KMSError("NotFoundException",
                               "Alias arn:aws:kms:%s:%s:%s is not found."
                               % (region, acct, ref))
            return key
        if not UUID_RE.match(ref):
            raise KMSError("NotFoundException", "Invalid keyId '%s'" % ref)
        with self.lock:
            key = self.keys.get(ref.lower())
        if not self.key_visible(key, region):
            raise KMSError("NotFoundException",
                           "Key 'arn:aws:kms:%s:%s:key/%s' does not exist"
                           % (region, acct, ref))
        return key

    # -- faults
    def add_fault(self, spec):
        kinds = ("throttle", "error500", "error503", "error", "delay",
                 "disconnect", "drop", "malformed", "expired-token")
        kind = spec.get("kind")
        if kind not in kinds:
            raise ValueError("kind must be one of %s" % ", ".join(kinds))
        op = spec.get("op")
        # A fault hits KMS calls unless it names an STS action or service.
        service = spec.get("service") or \
            ("sts" if op in sts_service.ACTIONS else "kms")
        if service not in ("kms", "sts", "any"):
            raise ValueError("service must be kms, sts or any")
        f = {
            "id": None,
            "kind": kind,
            "count": int(spec.get("count", 1)),
            "skip": int(spec.get("skip", 0)),
            "op": op,
            "service": service,
            "seconds": float(spec.get("seconds", 0)),
            "type": spec.get("type", "KMSInternalException"),
            # None: the error's usual status (400 for KMS errors).
            "status": int(spec["status"]) if "status" in spec else None,
            "message": spec.get("message"),
            "fired": 0,
        }
        if kind == "error" and "type" not in spec:
            raise ValueError("kind 'error' needs 'type'")
        if kind == "delay" and f["seconds"] <= 0:
            raise ValueError("kind 'delay' needs 'seconds' > 0")
        with self.lock:
            f["id"] = self.next_fault_id
            self.next_fault_id += 1
            self.faults.append(f)
        return f

    def take_faults(self, op, service="kms"):
        """Pick the faults that apply to this call: (delay_seconds, fault,
        wake). A delay is slept as wake.wait(delay_seconds) and ended by
        delay_end(); it is counted here, under the same lock that picked it,
        so that cancel_delays() cannot miss it."""
        delay = 0.0
        chosen = None
        with self.lock:
            for f in self.faults:
                if f["count"] <= 0:
                    continue
                if f["op"] and f["op"] != op:
                    continue
                if f["service"] not in ("any", service):
                    continue
                if f["kind"] != "delay" and chosen is not None:
                    continue
                if f["skip"] > 0:
                    f["skip"] -= 1
                    continue
                f["count"] -= 1
                f["fired"] += 1
                self.stats["faults_fired"][f["kind"]] = \
                    self.stats["faults_fired"].get(f["kind"], 0) + 1
                if f["kind"] == "delay":
                    delay += f["seconds"]
                else:
                    chosen = dict(f)
            self.faults = [f for f in self.faults if f["count"] > 0]
            if delay:
                self.delayed += 1
            return delay, chosen, self.wake


# --------------------------------------------------------------------------
# SigV4 verification (botocore's signer recomputes the signature)
# --------------------------------------------------------------------------

class _VerifyingSigV4(SigV4Auth):
    """botocore's SigV4 signer, signing exactly the headers the client
    listed in SignedHeaders (botocore's own signer would drop User-Agent and
    add Host on its own)."""

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for name, value in request.headers.items():
            hm[name.lower()] = value
        return hm


SIG_MISMATCH = ("The request signature we calculated does not match the "
                "signature you provided. Check your AWS Secret Access Key and "
                "signing method. Consult the service documentation for "
                "details.")
BAD_TOKEN = "The security token included in the request is invalid."


def parse_authorization(value):
    if value is None:
        raise KMSError("MissingAuthenticationTokenException",
                       "Missing Authentication Token")
    alg, _, rest = value.strip().partition(" ")
    if alg != "AWS4-HMAC-SHA256":
        raise KMSError("IncompleteSignatureException",
                       "Unsupported AWS 'algorithm': '%s'" % alg)
    fields = {}
    for part in rest.split(","):
        k, eq, v = part.strip().partition("=")
        if eq:
            fields[k.strip()] = v.strip()
    for need in ("Credential", "SignedHeaders", "Signature"):
        if need not in fields:
            raise KMSError("IncompleteSignatureException",
                           "Authorization header requires '%s' parameter. "
                           "Authorization=%s" % (need, value))
    cred = fields["Credential"].split("/")
    if len(cred) != 5 or cred[4] != "aws4_request":
        raise KMSError("IncompleteSignatureException",
                       "Authorization header requires 'Credential' parameter "
                       "in the form <access key>/<date>/<region>/<service>/"
                       "aws4_request. Authorization=%s" % value)
    return cred, fields["SignedHeaders"], fields["Signature"]


def verify_sigv4(state, method, scheme, path, headers, body, want="kms"):
    """Return (principal, region) of a request to service WANT. Raises
    KMSError the way KMS answers."""
    cred, signed_headers_s, signature = parse_authorization(
        headers.get("Authorization"))
    access_key, scope_date, region, service, _ = cred
    signed = [h.strip().lower() for h in signed_headers_s.split(";")
              if h.strip()]

    amz_date = headers.get("X-Amz-Date")
    if amz_date is None:
        http_date = headers.get("Date")
        if http_date is None:
            raise KMSError("IncompleteSignatureException",
                           "Authorization header requires existence of either "
                           "a 'X-Amz-Date' or a 'Date' header. Authorization="
                           + headers.get("Authorization"))
        try:
            dt = email.utils.parsedate_to_datetime(http_date)
            amz_date = dt.astimezone(datetime.timezone.utc).strftime(SIGV4_FMT)
        except (TypeError, ValueError):
            raise KMSError("IncompleteSignatureException",
                           "Date must be in ISO-8601 'basic format'. Got '%s'"
                           % http_date)
    try:
        req_time = datetime.datetime.strptime(amz_date, SIGV4_FMT).replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        raise KMSError("IncompleteSignatureException",
                       "Date must be in ISO-8601 'basic format'. Got '%s'. "
                       "See http://en.wikipedia.org/wiki/ISO_8601" % amz_date)

    with state.lock:
        principal = state.principals.get(access_key)
    if principal is None:
        raise KMSError("UnrecognizedClientException", BAD_TOKEN)
    token = headers.get("X-Amz-Security-Token")
    if principal.token is None:
        if token is not None:
            raise KMSError("UnrecognizedClientException", BAD_TOKEN)
    elif token is None or not hmac.compare_digest(token.encode(),
                                                  principal.token.encode()):
        raise KMSError("UnrecognizedClientException", BAD_TOKEN)
    if principal.expires is not None and state.now() >= principal.expires:
        raise KMSError("ExpiredTokenException", sts_service.EXPIRED_TOKEN)

    if service != want:
        raise KMSError("InvalidSignatureException",
                       "Credential should be scoped to correct service: "
                       "'%s'. " % want)
    if not REGION_RE.match(region):
        raise KMSError("InvalidSignatureException",
                       "Credential should be scoped to a valid region, "
                       "not '%s'. " % region)
    if scope_date != amz_date[:8]:
        raise KMSError("InvalidSignatureException",
                       "Date in Credential scope does not match YYYYMMDD from "
                       "ISO-8601 version of date from HTTP: '%s' != '%s', "
                       "from '%s'." % (scope_date, amz_date[:8], amz_date))

    now = state.now()
    fmt = lambda t: time.strftime(SIGV4_FMT, time.gmtime(t))
    if req_time < now - MAX_SKEW:
        raise KMSError("InvalidSignatureException",
                       "Signature expired: %s is now earlier than %s (%s - 5 "
                       "min.)" % (amz_date, fmt(now - MAX_SKEW), fmt(now)))
    if req_time > now + MAX_SKEW:
        raise KMSError("InvalidSignatureException",
                       "Signature not yet current: %s is still later than %s "
                       "(%s + 5 min.)" % (amz_date, fmt(now + MAX_SKEW),
                                          fmt(now)))

    if "host" not in signed:
        raise KMSError("InvalidSignatureException",
                       "'Host' or ':authority' must be a 'SignedHeader' in "
                       "the AWS Authorization.")
    if "x-amz-date" not in signed and "date" not in signed:
        raise KMSError("InvalidSignatureException",
                       "'X-Amz-Date' or 'Date' must be a 'SignedHeader' in "
                       "the AWS Authorization.")
    present = {k.lower() for k in headers.keys()}
    for h in sorted(present):
        if h.startswith("x-amz-") and h not in signed:
            raise KMSError("InvalidSignatureException",
                           SIG_MISMATCH + " Header '%s' is present but is not "
                           "signed (not in SignedHeaders)." % h)
    for h in signed:
        if h not in present:
            raise KMSError("InvalidSignatureException",
                           SIG_MISMATCH + " Signed header '%s' is missing "
                           "from the request." % h)
    sha = headers.get("X-Amz-Content-SHA256")
    if sha is not None and sha.strip().lower() != \
            hashlib.sha256(body).hexdigest():
        raise KMSError("InvalidSignatureException",
                       "The provided 'x-amz-content-sha256' header does not "
                       "match what was computed.")

    host = headers.get("Host")
    url = "%s://%s%s" % (scheme, host, path)
    req = AWSRequest(method=method, url=url, data=body)
    for h in signed:
        for v in headers.get_all(h) or []:
            req.headers[h] = v
    req.context["timestamp"] = amz_date
    signer = _VerifyingSigV4(Credentials(access_key, principal.secret,
                                         principal.token), service, region)
    canonical = signer.canonical_request(req)
    sts = signer.string_to_sign(req, canonical)
    expected = signer.signature(sts, req)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise KMSError("InvalidSignatureException",
                       SIG_MISMATCH + "\n\nThe Canonical String for this "
                       "request should have been\n'%s'\n\nThe String-to-Sign "
                       "should have been\n'%s'\n" % (canonical, sts))
    return principal, region


# --------------------------------------------------------------------------
# Request parameter helpers
# --------------------------------------------------------------------------

def _lc(name):
    return name[0].lower() + name[1:]


def p_str(p, name, required=False, max_len=None, min_len=1):
    v = p.get(name)
    if v is None:
        if required:
            raise validation("1 validation error detected: Value null at '%s' "
                             "failed to satisfy constraint: Member must not be "
                             "null" % _lc(name))
        return None
    if not isinstance(v, str):
        raise KMSError("SerializationException",
                       "STRING_VALUE can not be converted to a String "
                       "(field %s)" % name)
    if len(v) < min_len:
        raise validation("1 validation error detected: Value at '%s' failed "
                         "to satisfy constraint: Member must have length "
                         "greater than or equal to %d" % (_lc(name), min_len))
    if max_len is not None and len(v) > max_len:
        raise validation("1 validation error detected: Value at '%s' failed "
                         "to satisfy constraint: Member must have length "
                         "less than or equal to %d" % (_lc(name), max_len))
    return v


def p_enum(p, name, values, required=False, default=None):
    v = p_str(p, name, required=required)
    if v is None:
        return default
    if v not in values:
        raise validation("1 validation error detected: Value '%s' at '%s' "
                         "failed to satisfy constraint: Member must satisfy "
                         "enum value set: [%s]" % (v, _lc(name),
                                                   ", ".join(values)))
    return v


def p_blob(p, name, required=False, max_len=None):
    v = p.get(name)
    if v is None:
        if required:
            raise validation("1 validation error detected: Value null at '%s' "
                             "failed to satisfy constraint: Member must not be "
                             "null" % _lc(name))
        return None
    if not isinstance(v, str):
        raise KMSError("SerializationException",
                       "Blob field %s must be a base64 string" % name)
    try:
        data = base64.b64decode(v, validate=True)
    except (ValueError, TypeError):
        raise KMSError("SerializationException",
                       "Base64 decoding failed for field %s" % name)
    if len(data) < 1:
        raise validation("1 validation error detected: Value at '%s' failed "
                         "to satisfy constraint: Member must have length "
                         "greater than or equal to 1" % _lc(name))
    if max_len is not None and len(data) > max_len:
        raise validation("1 validation error detected: Value at '%s' failed "
                         "to satisfy constraint: Member must have length "
                         "less than or equal to %d" % (_lc(name), max_len))
    return data


def p_int(p, name, lo, hi):
    v = p.get(name)
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool):
        raise KMSError("SerializationException",
                       "NUMBER_VALUE expected for %s" % name)
    if v < lo or v > hi:
        raise validation("1 validation error detected: Value '%d' at '%s' "
                         "failed to satisfy constraint: Member must have "
                         "value between %d and %d" % (v, _lc(name), lo, hi))
    return v


def p_context(p):
    v = p.get("EncryptionContext")
    if v is None:
        return None
    if not isinstance(v, dict) or not all(isinstance(k, str) and
                                          isinstance(x, str)
                                          for k, x in v.items()):
        raise KMSError("SerializationException",
                       "EncryptionContext must be a map of strings")
    return v


def b64(data):
    return base64.b64encode(data).decode()


# --------------------------------------------------------------------------
# KMS operations
# --------------------------------------------------------------------------

class Call:
    """One authenticated KMS call: state, caller, region."""

    def __init__(self, state, principal, region, op):
        self.state = state
        self.principal = principal
        self.region = region
        self.op = op

    @property
    def account(self):
        return self.state.account

    def arn(self, key):
        return key.arn(self.account, self.region)

    def deny(self, action, resource):
        raise KMSError(
            "AccessDeniedException",
            "User: %s is not authorized to perform: %s on resource: %s "
            "because no identity-based policy allows the %s action"
            % (self.principal.arn, action, resource, action))

    def authorize_key(self, action, key):
        names = [key.key_id, self.arn(key)]
        for a in self.state.aliases_of(key.key_id, self.region):
            names.append(a.name)
            names.append("arn:aws:kms:%s:%s:%s" % (self.region, self.account,
                                                   a.name))
        if not self.principal.allowed(action, names):
            self.deny(action, self.arn(key))

    def authorize_global(self, action, resource="*"):
        if not self.principal.allowed(action, []):
            self.deny(action, resource)

    def key(self, ref, action, need_enabled=True):
        key = self.state.resolve(ref, self.region)
        self.authorize_key(action, key)
        if need_enabled and not key.enabled:
            raise KMSError("DisabledException",
                           "%s is disabled." % self.arn(key))
        return key

    def need_usage(self, key, usage):
        if key.usage != usage:
            raise KMSError("InvalidKeyUsageException",
                           "%s key usage is %s which is not valid for %s."
                           % (self.arn(key), key.usage, self.op))

    def need_alg(self, key, alg, algs):
        if alg not in (algs or []):
            raise KMSError("InvalidKeyUsageException",
                           "Algorithm %s is incompatible with key spec %s."
                           % (alg, key.spec))


def op_create_key(c, p):
    p_str(p, "Description", max_len=8192, min_len=0)
    usage = p_enum(p, "KeyUsage", KEY_USAGES)
    spec = p_enum(p, "KeySpec", ALL_KEY_SPECS)
    cmk = p_enum(p, "CustomerMasterKeySpec", ALL_KEY_SPECS)
    if spec and cmk:
        raise validation("You cannot specify KeySpec and "
                         "CustomerMasterKeySpec in the same request. "
                         "CustomerMasterKeySpec parameter is deprecated. "
                         "Use KeySpec parameter instead.")
    spec = spec or cmk or "SYMMETRIC_DEFAULT"
    origin = p_enum(p, "Origin", ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM",
                                  "EXTERNAL_KEY_STORE"], default="AWS_KMS")
    if origin != "AWS_KMS":
        raise KMSError("UnsupportedOperationException",
                       "Origin %s is not supported by this test server."
                       % origin)
    if p.get("MultiRegion"):
        raise KMSError("UnsupportedOperationException",
                       "MultiRegion keys are not supported by this test "
                       "server.")
    c.authorize_global("kms:CreateKey")
    usage = usage or "ENCRYPT_DECRYPT"
    check_spec_usage(spec, usage)
    key = c.state.add_key(spec=spec, usage=usage, region=c.region,
                          description=p.get("Description") or "")
    return {"KeyMetadata": key.metadata(c.account, c.region)}


def op_describe_key(c, p):
    ref = p_str(p, "KeyId", required=True, max_len=2048)
    key = c.key(ref, "kms:DescribeKey", need_enabled=False)
    return {"KeyMetadata": key.metadata(c.account, c.region)}


def op_get_public_key(c, p):
    ref = p_str(p, "KeyId", required=True, max_len=2048)
    key = c.key(ref, "kms:GetPublicKey")
    if key.spec == "SYMMETRIC_DEFAULT":
        raise KMSError("UnsupportedOperationException",
                       "%s key spec SYMMETRIC_DEFAULT is not valid for "
                       "GetPublicKey." % c.arn(key))
    out = {
        "KeyId": c.arn(key),
        "PublicKey": b64(key.public_der()),
        "CustomerMasterKeySpec": key.spec,
        "KeySpec": key.spec,
        "KeyUsage": key.usage,
    }
    if key.encryption_algorithms():
        out["EncryptionAlgorithms"] = key.encryption_algorithms()
    if key.signing_algorithms():
        out["SigningAlgorithms"] = key.signing_algorithms()
    return out


def _sign_params(p, with_signature):
    ref = p_str(p, "KeyId", required=True, max_len=2048)
    msg = p_blob(p, "Message", required=True, max_len=4096)
    sig = p_blob(p, "Signature", required=True, max_len=6144) \
        if with_signature else None
    mtype = p_enum(p, "MessageType", ["RAW", "DIGEST"], default="RAW")
    alg = p_enum(p, "SigningAlgorithm", SIGNING_ALGS, required=True)
    return ref, msg, sig, mtype, alg


def _sig_scheme(key, alg, mtype, msg):
    h = alg_hash(alg)
    if mtype == "DIGEST":
        if len(msg) != h.digest_size:
            raise validation("Digest is invalid length for algorithm %s."
                             % alg)
        h = utils.Prehashed(h)
    if key.spec in EC_SPECS:
        return ec.ECDSA(h), None
    if alg.startswith("RSASSA_PSS"):
        return padding.PSS(padding.MGF1(alg_hash(alg)),
                           alg_hash(alg).digest_size), h
    return padding.PKCS1v15(), h


def op_sign(c, p):
    ref, msg, _, mtype, alg = _sign_params(p, False)
    key = c.key(ref, "kms:Sign")
    c.need_usage(key, "SIGN_VERIFY")
    c.need_alg(key, alg, key.signing_algorithms())
    scheme, h = _sig_scheme(key, alg, mtype, msg)
    if key.spec in EC_SPECS:
        sig = key.material.sign(msg, scheme)
    else:
        sig = key.material.sign(msg, scheme, h)
    return {"KeyId": c.arn(key), "Signature": b64(sig),
            "SigningAlgorithm": alg}


def op_verify(c, p):
    ref, msg, sig, mtype, alg = _sign_params(p, True)
    key = c.key(ref, "kms:Verify")
    c.need_usage(key, "SIGN_VERIFY")
    c.need_alg(key, alg, key.signing_algorithms())
    scheme, h = _sig_scheme(key, alg, mtype, msg)
    pub = key.material.public_key()
    try:
        if key.spec in EC_SPECS:
            pub.verify(sig, msg, scheme)
        else:
            pub.verify(sig, msg, scheme, h)
    except (InvalidSignature, ValueError):
        # Real KMS answers this one without a message.
        raise KMSError("KMSInvalidSignatureException")
    return {"KeyId": c.arn(key), "SignatureValid": True,
            "SigningAlgorithm": alg}


def _aad(ctx):
    return json.dumps(ctx or {}, sort_keys=True,
                      separators=(",", ":")).encode()


def op_encrypt(c, p):
    ref = p_str(p, "KeyId", required=True, max_len=2048)
    pt = p_blob(p, "Plaintext", required=True, max_len=4096)
    ctx = p_context(p)
    alg = p_enum(p, "EncryptionAlgorithm", ENCRYPTION_ALGS,
                 default="SYMMETRIC_DEFAULT")
    key = c.key(ref, "kms:Encrypt")
    c.need_usage(key, "ENCRYPT_DECRYPT")
    c.need_alg(key, alg, key.encryption_algorithms())
    if key.spec == "SYMMETRIC_DEFAULT":
        nonce = os.urandom(12)
        ct = AESGCM(key.material).encrypt(nonce, pt, _aad(ctx))
        blob = SYM_VERSION + key.key_id.encode() + nonce + ct
    else:
        if ctx:
            raise validation("EncryptionContext is not supported with "
                             "asymmetric KMS keys.")
        limit = rsa_oaep_limit(RSA_SPECS[key.spec], alg)
        if len(pt) > limit:
            raise validation("Algorithm %s and key spec %s cannot encrypt "
                             "data larger than %d bytes."
                             % (alg, key.spec, limit))
        h = alg_hash(alg)
        blob = key.material.public_key().encrypt(
            pt, padding.OAEP(padding.MGF1(h), h, None))
    return {"CiphertextBlob": b64(blob), "KeyId": c.arn(key),
            "EncryptionAlgorithm": alg}


def op_decrypt(c, p):
    blob = p_blob(p, "CiphertextBlob", required=True, max_len=6144)
    ctx = p_context(p)
    ref = p_str(p, "KeyId", max_len=2048)
    alg = p_enum(p, "EncryptionAlgorithm", ENCRYPTION_ALGS,
                 default="SYMMETRIC_DEFAULT")
    if ref is None:
        # Only a symmetric ciphertext names its key.
        if alg != "SYMMETRIC_DEFAULT":
            raise validation("KeyId is required when EncryptionAlgorithm is "
                             "%s" % alg)
        if len(blob) < 1 + 36 + 12 + 16 or blob[:1] != SYM_VERSION:
            raise KMSError("InvalidCiphertextException")
        kid = blob[1:37].decode("ascii", "replace")
        with c.state.lock:
            key = c.state.keys.get(kid)
        if not c.state.key_visible(key, c.region):
            raise KMSError("InvalidCiphertextException")
        c.authorize_key("kms:Decrypt", key)
        if not key.enabled:
            raise KMSError("DisabledException",
                           "%s is disabled." % c.arn(key))
    else:
        key = c.key(ref, "kms:Decrypt")
    c.need_usage(key, "ENCRYPT_DECRYPT")
    c.need_alg(key, alg, key.encryption_algorithms())
    if key.spec == "SYMMETRIC_DEFAULT":
        if len(blob) < 1 + 36 + 12 + 16 or blob[:1] != SYM_VERSION:
            raise KMSError("InvalidCiphertextException")
        if blob[1:37].decode("ascii", "replace") != key.key_id:
            raise KMSError("IncorrectKeyException",
                           "The key ID in the request does not identify a "
                           "KMS key that can perform this operation.")
        try:
            pt = AESGCM(key.material).decrypt(blob[37:49], blob[49:],
                                              _aad(ctx))
        except InvalidTag:
            raise KMSError("InvalidCiphertextException")
    else:
        if ctx:
            raise validation("EncryptionContext is not supported with "
                             "asymmetric KMS keys.")
        h = alg_hash(alg)
        try:
            pt = key.material.decrypt(blob,
                                      padding.OAEP(padding.MGF1(h), h, None))
        except ValueError:
            # Real KMS answers this one without a message.
            raise KMSError("InvalidCiphertextException")
    return {"KeyId": c.arn(key), "Plaintext": b64(pt),
            "EncryptionAlgorithm": alg}


def op_create_alias(c, p):
    name = p_str(p, "AliasName", required=True, max_len=256)
    target = p_str(p, "TargetKeyId", required=True, max_len=2048)
    key = c.state.resolve(target, c.region)
    if target.startswith("alias/") or ":alias/" in target:
        raise validation("TargetKeyId must be a key ID or key ARN, not an "
                         "alias.")
    c.authorize_key("kms:CreateAlias", key)
    c.state.add_alias(name, key.key_id, c.region)
    return None


def op_delete_alias(c, p):
    name = p_str(p, "AliasName", required=True, max_len=256)
    with c.state.lock:
        al = c.state.find_alias(name, c.region)
        if al is None:
            raise KMSError("NotFoundException",
                           "Alias arn:aws:kms:%s:%s:%s is not found."
                           % (c.region, c.account, name))
        key = c.state.keys.get(al.key_id)
        if key is not None:
            c.authorize_key("kms:DeleteAlias", key)
        c.state.aliases.pop((al.region, al.name), None)
    return None


def _page(items, p):
    limit = p_int(p, "Limit", 1, 1000) or 100
    marker = p_str(p, "Marker", max_len=1024)
    start = 0
    if marker is not None:
        try:
            start = int(marker)
        except ValueError:
            raise KMSError("InvalidMarkerException",
                           "Invalid marker %s" % marker)
    page = items[start:start + limit]
    more = start + limit < len(items)
    return page, (str(start + limit) if more else None)


def op_list_aliases(c, p):
    ref = p_str(p, "KeyId", max_len=2048)
    c.authorize_global("kms:ListAliases")
    key = c.state.resolve(ref, c.region) if ref else None
    with c.state.lock:
        entries = []
        for (r, name), a in sorted(c.state.aliases.items(),
                                   key=lambda kv: kv[0][1]):
            if r is not None and r != c.region:
                continue
            if key is not None and a.key_id != key.key_id:
                continue
            entries.append({
                "AliasName": a.name,
                "AliasArn": "arn:aws:kms:%s:%s:%s" % (c.region, c.account,
                                                      a.name),
                "TargetKeyId": a.key_id,
                "CreationDate": a.created,
                "LastUpdatedDate": a.updated,
            })
    page, nxt = _page(entries, p)
    out = {"Aliases": page, "Truncated": nxt is not None}
    if nxt:
        out["NextMarker"] = nxt
    return out


def op_list_keys(c, p):
    c.authorize_global("kms:ListKeys")
    with c.state.lock:
        keys = sorted((k for k in c.state.keys.values()
                       if c.state.key_visible(k, c.region)),
                      key=lambda k: (k.created, k.key_id))
        entries = [{"KeyId": k.key_id, "KeyArn": c.arn(k)} for k in keys]
    page, nxt = _page(entries, p)
    out = {"Keys": page, "Truncated": nxt is not None}
    if nxt:
        out["NextMarker"] = nxt
    return out


def _set_enabled(c, p, action, enabled):
    ref = p_str(p, "KeyId", required=True, max_len=2048)
    key = c.key(ref, action, need_enabled=False)
    with c.state.lock:
        key.enabled = enabled
    return None


def op_enable_key(c, p):
    return _set_enabled(c, p, "kms:EnableKey", True)


def op_disable_key(c, p):
    return _set_enabled(c, p, "kms:DisableKey", False)


OPS = {
    "CreateKey": op_create_key,
    "DescribeKey": op_describe_key,
    "GetPublicKey": op_get_public_key,
    "Sign": op_sign,
    "Verify": op_verify,
    "Encrypt": op_encrypt,
    "Decrypt": op_decrypt,
    "CreateAlias": op_create_alias,
    "DeleteAlias": op_delete_alias,
    "ListAliases": op_list_aliases,
    "ListKeys": op_list_keys,
    "EnableKey": op_enable_key,
    "DisableKey": op_disable_key,
}


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

class ConnInfo:
    _ids = 0
    _lock = threading.Lock()

    def __init__(self, tls):
        with ConnInfo._lock:
            ConnInfo._ids += 1
            self.id = ConnInfo._ids
        self.tls = tls
        self.kms_requests = 0


class _Abort(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kms-test-server/1.0"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True

    def __init__(self, request, client_address, server, conn):
        self.conn = conn
        super().__init__(request, client_address, server)

    @property
    def state(self):
        return self.server.state

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s [%s] %s\n" % (
                time.strftime("%H:%M:%S"), self.conn.id, fmt % args))

    def log_request(self, code="-", size="-"):
        pass  # one line per KMS call is written by kms_call instead

    def handle(self):
        try:
            super().handle()
        except (_Abort, ConnectionError, ssl.SSLError, socket.timeout,
                OSError):
            self.close_connection = True

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (_Abort, ConnectionError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception:
            traceback.print_exc()
            self.close_connection = True

    # -- plumbing
    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n",
                                                            b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        if n > 1 << 20:
            raise KMSError("ValidationException", "request body too large",
                           413)
        return self.rfile.read(n) if n else b""

    def send_raw(self, status, body, ctype=JSON_CT, partial=None, reason=None):
        self.send_response(status, reason)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if body is not None:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body or b"")))
        self.send_header("Date", email.utils.formatdate(self.state.now(),
                                                        usegmt=True))
        if self.close_connection:
            self.send_header("Connection", "close")
        # Headers and body in one write: one TLS record, no Nagle stall.
        self._headers_buffer.append(b"\r\n")
        if partial is not None:
            self._headers_buffer.append(body[:partial])
            self.flush_headers()
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.close_connection = True
            raise _Abort()
        if body:
            self._headers_buffer.append(body)
        self.flush_headers()

    def send_json(self, status, obj):
        self.send_raw(status, json.dumps(obj).encode())

    def drop(self):
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True
        raise _Abort()

    # -- verbs
    def do_GET(self):
        path = urlsplit(self.path).path
        if path.startswith("/_control/"):
            return self.control("GET", path, b"")
        self.read_body()
        self.send_json(404, {"__type": "UnknownOperationException"})

    def do_POST(self):
        try:
            body = self.read_body()
        except KMSError as e:
            self.close_connection = True
            return self.send_json(e.status, e.body())
        path = urlsplit(self.path).path
        if path.startswith("/_control/"):
            return self.control("POST", path, body)
        if sts_service.is_sts_request(self.headers):
            return self.sts_call(body)
        self.kms_call(body)

    def do_PUT(self):
        self.read_body()
        self.send_json(405, {"__type": "UnknownOperationException"})

    do_DELETE = do_PUT

    # -- KMS
    def kms_call(self, body):
        st = self.state
        conn = self.conn
        if conn.kms_requests == 0:
            st.bump("connections")
            if conn.tls:
                st.bump("tls_handshakes")
        conn.kms_requests += 1
        target = self.headers.get("X-Amz-Target") or ""
        op = target[len("TrentService."):] \
            if target.startswith("TrentService.") else None
        auth = self.headers.get("Authorization") or ""
        m_signed = re.search(r"SignedHeaders=([^,\s]+)", auth)
        m_key = re.search(r"Credential=([^/,\s]+)", auth)
        rec = {"seq": None, "time": None, "op": op, "connection": conn.id,
               "tls": conn.tls,
               "access_key_id": m_key.group(1) if m_key else None,
               "principal": None, "region": None,
               "user_agent": self.headers.get("User-Agent"),
               "signed_headers": m_signed.group(1) if m_signed else None,
               "status": None, "error": None, "fault": None}
        st.log_arrival(rec, op)
        delayed = False
        try:
            status, out, fault = 500, None, None
            try:
                principal, region = verify_sigv4(
                    st, self.command, self.server.scheme, self.path,
                    self.headers, body)
                st.note(rec, principal=principal.name, region=region)
                if op is None or op not in OPS:
                    raise KMSError("UnknownOperationException")
                ctype = (self.headers.get("Content-Type") or "").split(";")[0]
                if ctype.strip().lower() not in (JSON_CT, "application/json"):
                    raise KMSError("SerializationException",
                                   "Unsupported Content-Type '%s'; expected "
                                   "%s" % (ctype, JSON_CT))
                try:
                    params = json.loads(body.decode("utf-8")) if body else {}
                except (ValueError, UnicodeDecodeError):
                    raise KMSError("SerializationException",
                                   "Start of structure or map found where "
                                   "not expected.")
                if not isinstance(params, dict):
                    raise KMSError("SerializationException",
                                   "Start of structure or map found where "
                                   "not expected.")
                delay, fault, wake = st.take_faults(op)
                if delay:
                    delayed = True
                    st.note(rec, fault="delay")
                    if wake.wait(delay):
                        # Cancelled: the client gave up long ago; answer
                        # nothing and count nothing.
                        st.note(rec, status="cancelled")
                        self.close_connection = True
                        raise _Abort()
                if fault is not None:
                    st.note(rec, fault=fault["kind"])
                    k = fault["kind"]
                    if k == "throttle":
                        raise KMSError("ThrottlingException", "Rate exceeded")
                    if k == "error500":
                        raise KMSError("KMSInternalException",
                                       fault["message"] or
                                       "An internal error occurred "
                                       "(injected).", 500)
                    if k == "error503":
                        raise KMSError("ServiceUnavailableException",
                                       fault["message"] or
                                       "Service Unavailable (injected).", 503)
                    if k == "error":
                        raise KMSError(fault["type"], fault["message"],
                                       fault["status"] or 400)
                    if k == "expired-token":
                        raise KMSError("ExpiredTokenException",
                                       sts_service.EXPIRED_TOKEN)
                    if k == "drop":
                        st.note(rec, status="dropped")
                        self.drop()
                call = Call(st, principal, region, op)
                out = OPS[op](call, params)
                status = 200
            except KMSError as e:
                status, out = e.status, e.body()
                st.note(rec, error=e.type)
                st.bump("errors", e.type)
            except _Abort:
                raise
            except Exception as e:  # a bug here: answer as KMS would
                traceback.print_exc()
                status = 500
                out = {"__type": "KMSInternalException",
                       "message": "internal error: %s" % e}
                st.note(rec, error="KMSInternalException")
                st.bump("errors", "KMSInternalException")
            st.note(rec, status=status)
            st.bump("responses", str(status))
            payload = b"" if out is None else json.dumps(out).encode()
            if self.server.verbose:
                sys.stderr.write("%s [%s] %s %s %s -> %d %s%s\n" % (
                    time.strftime("%H:%M:%S"), conn.id, op,
                    rec["principal"] or rec["access_key_id"], rec["region"],
                    status, rec["error"] or "",
                    (" fault=%s" % rec["fault"]) if rec["fault"] else ""))
            if fault is not None and fault["kind"] == "malformed":
                if not payload:
                    payload = b'{"KeyId": '
                self.send_raw(status, payload[:max(1, len(payload) // 2)])
                return
            if fault is not None and fault["kind"] == "disconnect":
                if not payload:
                    payload = b"{}"
                self.close_connection = True
                self.send_raw(status, payload, partial=len(payload) // 2)
                return
            self.send_raw(status, payload)
        finally:
            if delayed:
                st.delay_end()

    # -- STS
    def sts_call(self, body):
        st = self.state
        m_signed = re.search(r"SignedHeaders=([^,\s]+)",
                             self.headers.get("Authorization") or "")
        rec = {"seq": None, "time": None, "op": None, "connection":
               self.conn.id, "tls": self.conn.tls, "access_key_id": None,
               "principal": None, "region": None, "role": None,
               "user_agent": self.headers.get("User-Agent"),
               "signed_headers": m_signed.group(1) if m_signed else None,
               "status": None, "error": None, "fault": None}
        delayed = False
        try:
            # Parsed before the call is logged, so that the log names the
            # action; a form that does not parse is answered below.
            try:
                action, params = sts_service.parse_form(body)
                bad_form = None
            except STSError as e:
                action, params, bad_form = None, {}, e
            rec["op"] = action
            rec["role"] = params.get("RoleArn")
            st.log_arrival(rec, action, "sts")
            fault = None
            try:
                if bad_form is not None:
                    raise bad_form
                caller = self.sts_caller(rec, action, body)
                delay, fault, wake = st.take_faults(action, "sts")
                if delay:
                    delayed = True
                    self.sleep_delay(rec, delay, wake)
                if fault is not None:
                    st.note(rec, fault=fault["kind"])
                    self.sts_fault(fault, action)
                payload, session = st.sts.call(action, caller, params)
                if session is not None:
                    st.add_session(session)
                status = 200
            except STSError as e:
                status, payload = e.status, e.xml()
                st.note(rec, error=e.code)
                st.bump("sts_errors", e.code)
            except _Abort:
                raise
            except Exception as e:  # a bug here: answer as STS would
                traceback.print_exc()
                err = STSError("InternalFailure", "internal error: %s" % e)
                status, payload = err.status, err.xml()
                st.note(rec, error=err.code)
                st.bump("sts_errors", err.code)
            st.note(rec, status=status)
            st.bump("sts_responses", str(status))
            if self.server.verbose:
                sys.stderr.write("%s [%s] sts %s %s %s -> %d %s%s\n" % (
                    time.strftime("%H:%M:%S"), self.conn.id, action,
                    rec["principal"] or rec["access_key_id"] or "-",
                    rec["role"], status, rec["error"] or "",
                    (" fault=%s" % rec["fault"]) if rec["fault"] else ""))
            self.send_faulty(status, payload, sts_service.XML_CT, fault)
        finally:
            if delayed:
                st.delay_end()

    def sts_caller(self, rec, action, body):
        """The signed caller of ACTION (None for the unsigned web identity
        call), its refusals in STS's codes."""
        if action == "AssumeRoleWithWebIdentity":
            return None
        auth = self.headers.get("Authorization") or ""
        m_key = re.search(r"Credential=([^/,\s]+)", auth)
        self.state.note(rec, access_key_id=m_key.group(1) if m_key else None)
        try:
            caller, region = verify_sigv4(
                self.state, self.command, self.server.scheme, self.path,
                self.headers, body, want="sts")
        except KMSError as e:
            raise STSError(sts_service.FROM_KMS.get(e.type, e.type),
                           e.message)
        self.state.note(rec, principal=caller.name, region=region)
        return caller

    def sts_fault(self, fault, action):
        k = fault["kind"]
        if k == "throttle":
            raise STSError("Throttling", "Rate exceeded")
        if k == "error500":
            raise STSError("InternalFailure", fault["message"] or
                           "An internal error occurred (injected).", 500)
        if k == "error503":
            raise STSError("ServiceUnavailable", fault["message"] or
                           "Service Unavailable (injected).", 503)
        if k == "expired-token":
            raise STSError("ExpiredToken", sts_service.EXPIRED_TOKEN)
        if k == "error":
            code = fault["type"]
            raise STSError(code, fault["message"] or
                           sts_service.fault_message(code, action,
                                                     self.state.account),
                           fault["status"])
        if k == "drop":
            self.drop()

    def sleep_delay(self, rec, delay, wake):
        """Sleep an injected delay. Ended early by a reset, the call
        answers nothing and counts nothing."""
        self.state.note(rec, fault="delay")
        if wake.wait(delay):
            self.state.note(rec, status="cancelled")
            self.close_connection = True
            raise _Abort()

    def send_faulty(self, status, payload, ctype, fault):
        """Send an answer, broken as a malformed or disconnect fault says."""
        kind = fault["kind"] if fault is not None else None
        if kind == "malformed":
            return self.send_raw(status, payload[:max(1, len(payload) // 2)],
                                 ctype)
        if kind == "disconnect":
            self.close_connection = True
            return self.send_raw(status, payload, ctype,
                                 partial=len(payload) // 2)
        self.send_raw(status, payload, ctype)

    # -- control
    def control(self, method, path, body):
        st = self.state
        st.bump("control_requests")
        name = path[len("/_control/"):].strip("/")
        try:
            req = json.loads(body.decode() or "{}") if body else {}
            if not isinstance(req, dict):
                raise ValueError("body must be a JSON object")
        except ValueError as e:
            return self.send_json(400, {"error": "bad JSON: %s" % e})
        try:
            out = self.control_dispatch(method, name, req)
        except (ValueError, KeyError, TypeError) as e:
            return self.send_json(400, {"error": str(e)})
        except KMSError as e:
            return self.send_json(400, {"error": "%s: %s" % (e.type,
                                                             e.message)})
        if out is None:
            return self.send_json(404, {"error": "no control call %s %s"
                                        % (method, path)})
        self.send_json(200, out)

    def control_dispatch(self, method, name, req):
        st = self.state
        srv = self.server
        if method == "GET":
            if name == "health":
                return {"ok": True, "endpoint": srv.endpoint}
            if name == "stats":
                with st.lock:
                    out = json.loads(json.dumps(st.stats))
                    out["delayed_in_flight"] = st.delayed
                    return out
            if name == "faults":
                with st.lock:
                    return {"faults": [dict(f) for f in st.faults]}
            if name == "requests":
                return {"requests": st.requests()}
            if name == "keys":
                return {"keys": self.key_list(
                    bool(parse_qs(urlsplit(self.path).query).get("private")))}
            if name == "principals":
                with st.lock:
                    return {"account": st.account, "principals": [
                        {"name": p.name, "arn": p.arn,
                         "access_key_id": p.access_key_id,
                         "session": p.token is not None}
                        for p in st.principals.values()
                        if p.expires is None]}
            if name == "roles":
                with st.sts.lock:
                    return {"roles": [{"name": r.name, "arn": r.arn,
                                       "trust": r.trust, "allow": r.allow}
                                      for r in st.sts.roles.values()]}
            if name == "sessions":
                with st.sts.lock:
                    return {"sessions": [dict(x) for x in st.sts.sessions]}
            return None
        if name == "reset":
            with st.lock:
                st.faults = []
                st.cancel_delays()
                st.log.clear()
                st.clock_offset = 0.0
                st.reset_stats()
            with st.sts.lock:
                st.sts.duration_override = None
            return {"ok": True}
        if name == "reset-stats":
            with st.lock:
                st.cancel_delays()
                st.log.clear()
                st.reset_stats()
            return {"ok": True}
        if name == "fault":
            f = st.add_fault(req)
            return {"ok": True, "fault": f}
        if name == "clear-faults":
            with st.lock:
                st.faults = []
                st.cancel_delays()
            return {"ok": True}
        if name == "clock":
            with st.lock:
                st.clock_offset = float(req.get("offset_seconds", 0))
            return {"ok": True, "offset_seconds": st.clock_offset}
        if name == "keys":
            specs = req.get("keys", [req])
            made = []
            for spec in specs:
                made.append(seed_key(st, spec))
            region = req.get("region", "us-east-1")
            return {"keys": [self.key_entry(k, region, req.get("private"))
                             for k in made]}
        if name in ("disable-key", "enable-key"):
            key = st.resolve(req["key"], req.get("region", "us-east-1"))
            with st.lock:
                key.enabled = (name == "enable-key")
            return {"ok": True, "key_id": key.key_id,
                    "enabled": key.enabled}
        if name == "alias":
            key = st.resolve(req["key"], req.get("region", "us-east-1"))
            st.add_alias(req["alias"], key.key_id, req.get("alias_region"))
            return {"ok": True}
        if name == "principals":
            st.load_principals(req, replace=bool(req.get("replace")))
            return {"ok": True, "count": len(st.principals)}
        if name == "issue-token":
            return self.issue_token(req)
        if name == "sts-duration":
            secs = req.get("seconds")
            with st.sts.lock:
                st.sts.duration_override = None if secs is None \
                    else float(secs)
            return {"ok": True, "seconds": secs}
        if name == "expire-sessions":
            return {"ok": True, "expired": st.expire_sessions(req.get("role"))}
        return None

    def issue_token(self, req):
        """A web identity token; with "file", also written there (0600,
        atomically, as the kubelet rotates a projected token)."""
        token, claims = self.state.sts.new_token(req)
        path = req.get("file")
        if path:
            write_file(path, token, mode=0o600)
        return {"ok": True, "token": token, "claims": claims}

    def key_entry(self, key, region, private=False):
        st = self.state
        d = key.metadata(st.account, region)
        d["Region"] = key.region
        d["Aliases"] = [a.name for a in st.aliases_of(key.key_id, region)]
        if key.spec != "SYMMETRIC_DEFAULT":
            d["PublicKey"] = b64(key.public_der())
        if private and key.spec != "SYMMETRIC_DEFAULT":
            d["PrivateKeyPem"] = key.private_pem()
        return d

    def key_list(self, private):
        st = self.state
        with st.lock:
            keys = sorted(st.keys.values(), key=lambda k: k.created)
        return [self.key_entry(k, k.region or "us-east-1", private)
                for k in keys]


def seed_key(state, spec):
    pem = spec.get("private_key_pem")
    if not pem and spec.get("private_key_file"):
        with open(spec["private_key_file"]) as f:
            pem = f.read()
    aliases = spec.get("aliases") or ([spec["alias"]] if spec.get("alias")
                                      else [])
    return state.add_key(spec=spec.get("key_spec"),
                         usage=spec.get("key_usage"),
                         region=spec.get("region"),
                         key_id=spec.get("key_id"),
                         description=spec.get("description", ""),
                         enabled=spec.get("enabled", True),
                         private_pem=pem, aliases=aliases)


class KMSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, state, ssl_ctx, verbose):
        self.state = state
        self.ssl_ctx = ssl_ctx
        self.verbose = verbose
        self.scheme = "https" if ssl_ctx else "http"
        super().__init__(addr, None)
        self.endpoint = "%s://127.0.0.1:%d" % (self.scheme,
                                              self.server_address[1])

    def finish_request(self, request, client_address):
        # Runs in the connection's own thread: the TLS handshake happens
        # here, so one slow client does not hold up the others.
        st = self.state
        st.bump("connections_all")
        sock = request
        if self.ssl_ctx is not None:
            request.settimeout(15)
            try:
                sock = self.ssl_ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                st.bump("tls_handshake_failures")
                try:
                    request.close()
                except OSError:
                    pass
                return
            sock.settimeout(None)
            st.bump("tls_handshakes_all")
        conn = ConnInfo(self.ssl_ctx is not None)
        try:
            Handler(sock, client_address, self, conn)
        finally:
            if sock is not request:
                try:
                    sock.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        if self.verbose:
            traceback.print_exc()


# --------------------------------------------------------------------------
# Certificates, state files, main
# --------------------------------------------------------------------------

def make_certs(state_dir, ca_path):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "libenvelope tests"),
        x509.NameAttribute(NameOID.COMMON_NAME, "kms-test-server CA"),
    ])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder()
          .subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
          .add_extension(x509.KeyUsage(
              digital_signature=True, key_cert_sign=True, crl_sign=True,
              content_commitment=False, key_encipherment=False,
              data_encipherment=False, key_agreement=False,
              encipher_only=False, decipher_only=False), True)
          .add_extension(ca_ski, False)
          .sign(ca_key, hashes.SHA256()))
    srv_key = ec.generate_private_key(ec.SECP256R1())
    srv = (x509.CertificateBuilder()
           .subject_name(x509.Name([
               x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                  "libenvelope tests"),
               x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
           .issuer_name(ca_name)
           .public_key(srv_key.public_key())
           .serial_number(x509.random_serial_number())
           .not_valid_before(now - datetime.timedelta(hours=1))
           .not_valid_after(now + datetime.timedelta(days=30))
           .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                          True)
           .add_extension(x509.KeyUsage(
               digital_signature=True, key_cert_sign=False, crl_sign=False,
               content_commitment=False, key_encipherment=False,
               data_encipherment=False, key_agreement=False,
               encipher_only=False, decipher_only=False), True)
           .add_extension(x509.ExtendedKeyUsage(
               [ExtendedKeyUsageOID.SERVER_AUTH]), False)
           .add_extension(x509.SubjectAlternativeName([
               x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
               x509.DNSName("localhost")]), False)
           .add_extension(x509.SubjectKeyIdentifier.from_public_key(
               srv_key.public_key()), False)
           .add_extension(x509.AuthorityKeyIdentifier
                          .from_issuer_subject_key_identifier(ca_ski), False)
           .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    cert_path = os.path.join(state_dir, "server.pem")
    key_path = os.path.join(state_dir, "server-key.pem")
    write_file(cert_path, srv.public_bytes(pem) + ca.public_bytes(pem))
    write_file(key_path, srv_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()), mode=0o600)
    write_file(ca_path, ca.public_bytes(pem))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


def write_file(path, data, mode=0o644):
    if isinstance(data, str):
        data = data.encode()
    tmp = "%s.tmp.%d" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--state-dir", required=True,
                    help="directory for port, endpoint, pid, ca.pem")
    ap.add_argument("--http", action="store_true",
                    help="plain HTTP instead of HTTPS")
    ap.add_argument("--port", type=int, default=0,
                    help="port to listen on (default: a free one)")
    ap.add_argument("--ca-out", help="where to write the CA certificate "
                    "(default STATE_DIR/ca.pem)")
    ap.add_argument("--principals", default=DEFAULT_PRINCIPALS,
                    help="principals JSON file (default: principals.json "
                    "beside this script)")
    ap.add_argument("--seed", action="append", default=[],
                    help="JSON file of keys to create at start "
                    "(may be repeated)")
    ap.add_argument("--max-lifetime", type=float, default=0,
                    help="exit by itself after this many seconds (0: never)")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="log one line per call to stderr")
    args = ap.parse_args(argv)

    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    for n in ("endpoint", "port", "pid"):
        try:
            os.unlink(os.path.join(state_dir, n))
        except FileNotFoundError:
            pass

    state = State("111122223333")
    with open(args.principals) as f:
        state.load_principals(json.load(f))
    for seed in args.seed:
        with open(seed) as f:
            doc = json.load(f)
        for spec in doc.get("keys", []):
            seed_key(state, spec)

    ca_path = os.path.abspath(args.ca_out or os.path.join(state_dir,
                                                          "ca.pem"))
    ssl_ctx = None if args.http else make_certs(state_dir, ca_path)
    server = KMSServer(("127.0.0.1", args.port), state, ssl_ctx, args.verbose)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    t = threading.Thread(target=server.serve_forever,
                         kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    port = server.server_address[1]
    write_file(os.path.join(state_dir, "pid"), "%d\n" % os.getpid())
    write_file(os.path.join(state_dir, "port"), "%d\n" % port)
    write_file(os.path.join(state_dir, "endpoint"), server.endpoint + "\n")
    sys.stderr.write("kms-test-server listening on %s (pid %d)\n"
                     % (server.endpoint, os.getpid()))
    sys.stderr.flush()

    deadline = time.time() + args.max_lifetime if args.max_lifetime else None
    while not stop.is_set():
        stop.wait(0.5)
        if deadline and time.time() > deadline:
            sys.stderr.write("kms-test-server: max lifetime reached\n")
            break
    server.shutdown()
    server.server_close()
    for n in ("endpoint", "port", "pid"):
        try:
            os.unlink(os.path.join(state_dir, n))
        except FileNotFoundError:
            pass
    sys.stderr.write("kms-test-server stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
