"""The STS part of the KMS test server: roles, their trust, web identity
tokens, and the AssumeRole / AssumeRoleWithWebIdentity / GetCallerIdentity
actions in STS's Query protocol (form-encoded request, XML answer).

This module knows nothing of HTTP or SigV4: kms_server.py authenticates the
request, then calls Sts.call() with the caller (None for the unsigned
AssumeRoleWithWebIdentity) and the form parameters, and registers the
temporary credentials it returns as a principal.
"""

import base64
import fnmatch
import hashlib
import hmac
import json
import os
import re
import secrets
import string
import threading
import time
import uuid
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
VERSION = "2011-06-15"
XML_CT = "text/xml"
FORM_CT = "application/x-www-form-urlencoded"
ACTIONS = ("AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity")
DEFAULT_ISSUER = "https://oidc.kms-test.local"
DEFAULT_AUDIENCE = "sts.amazonaws.com"
DEFAULT_DURATION = 3600
CHAIN_MAX_DURATION = 3600  # role chaining: at most one hour, as IAM
EXPIRED_TOKEN = "The security token included in the request is expired"
BAD_WEB_TOKEN = ("The web identity token that was passed could not be "
                 "validated by Amazon Web Services. Get a new identity token "
                 "from the identity provider and then retry the request.")

# Default HTTP status of the STS error codes (faults may name any code).
STATUS = {
    "AccessDenied": 403,
    "ExpiredToken": 403,
    "ExpiredTokenException": 400,
    "IDPCommunicationError": 400,
    "IDPRejectedClaim": 403,
    "InvalidIdentityToken": 400,
    "RegionDisabledException": 403,
    "InvalidClientTokenId": 403,
    "SignatureDoesNotMatch": 403,
    "MissingAuthenticationToken": 403,
    "IncompleteSignature": 400,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
    "Throttling": 400,
}

# A KMS-shaped SigV4 refusal (from verify_sigv4) -> STS's code and status.
FROM_KMS = {
    "MissingAuthenticationTokenException": "MissingAuthenticationToken",
    "IncompleteSignatureException": "IncompleteSignature",
    "UnrecognizedClientException": "InvalidClientTokenId",
    "InvalidSignatureException": "SignatureDoesNotMatch",
    "ExpiredTokenException": "ExpiredToken",
}


class STSError(Exception):
    """An error answered in STS's XML shape."""

    def __init__(self, code, message=None, status=None):
        super().__init__(message or code)
        self.code = code
        self.message = message
        self.status = status or STATUS.get(code, 400)

    def xml(self):
        kind = "Receiver" if self.status >= 500 else "Sender"
        msg = "" if self.message is None else \
            "<Message>%s</Message>" % escape(self.message)
        return ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n'
                '    <Code>%s</Code>\n    %s\n  </Error>\n'
                '  <RequestId>%s</RequestId>\n</ErrorResponse>\n'
                % (NS, kind, escape(self.code), msg, uuid.uuid4())).encode()


def validation(msg):
    return STSError("ValidationError", "1 validation error detected: " + msg)


def is_sts_request(headers):
    """STS's Query protocol: a form body and no X-Amz-Target."""
    ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    return headers.get("X-Amz-Target") is None and ctype == FORM_CT


def parse_form(body):
    """The request's parameters; (action, params). Raises STSError."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                          strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise STSError("MalformedQueryString", "The request body is not "
                       "valid application/x-www-form-urlencoded data.", 404)
    params = {}
    for k, v in pairs:
        if k in params:
            raise STSError("InvalidParameterValue",
                           "Parameter %s is given more than once." % k)
        params[k] = v
    action = params.get("Action")
    if not action:
        raise STSError("MissingAction", "Missing Action")
    if action not in ACTIONS or params.get("Version") != VERSION:
        raise STSError("InvalidAction", "Could not find operation %s for "
                       "version %s" % (action, params.get("Version", "NO_VERSION_SPECIFIED")))
    return action, params


def _lc(name):
    return name[0].lower() + name[1:]


def p_str(p, name, lo, hi, pattern=None, required=False):
    v = p.get(name)
    if v is None:
        if required:
            raise validation("Value null at '%s' failed to satisfy "
                             "constraint: Member must not be null" % _lc(name))
        return None
    if len(v) < lo or len(v) > hi:
        raise validation("Value '%s' at '%s' failed to satisfy constraint: "
                         "Member must have length %s %d"
                         % (v if len(v) < 100 else v[:20] + "...", _lc(name),
                            "greater than or equal to" if len(v) < lo
                            else "less than or equal to",
                            lo if len(v) < lo else hi))
    if pattern and not re.fullmatch(pattern, v):
        raise validation("Value '%s' at '%s' failed to satisfy constraint: "
                         "Member must satisfy regular expression pattern: %s"
                         % (v, _lc(name), pattern))
    return v


def p_duration(p):
    v = p.get("DurationSeconds")
    if v is None:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", v):
        raise STSError("InvalidParameterValue",
                       "Value (%s) for parameter DurationSeconds is invalid."
                       % v[:20])
    n = int(v)
    if n < 900 or n > 43200:
        raise validation("Value '%d' at 'durationSeconds' failed to satisfy "
                         "constraint: Member must have value %s %d"
                         % (n, "greater than or equal to" if n < 900
                            else "less than or equal to",
                            900 if n < 900 else 43200))
    return n


SESSION_NAME_RE = r"[\w+=,.@-]*"
EXTERNAL_ID_RE = r"[\w+=,.@:/-]*"


# --------------------------------------------------------------------------
# Web identity tokens: HS256 JWTs signed with a per-run secret
# --------------------------------------------------------------------------

def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(s):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", s):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class TokenIssuer:
    def __init__(self):
        self.secret = os.urandom(32)

    def _mac(self, signing_input):
        return hmac.new(self.secret, signing_input.encode(),
                        hashlib.sha256).digest()

    def issue(self, claims):
        head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT",
                                   "kid": "kms-test"}).encode())
        body = _b64url(json.dumps(claims, sort_keys=True).encode())
        signing_input = head + "." + body
        return signing_input + "." + _b64url(self._mac(signing_input))

    def check(self, token):
        """The claims of a token this server issued; raises ValueError for
        anything else (format, algorithm, signature, claim types)."""
        parts = token.split(".")
        if len(parts) != 3:
            raise ValueError("not a JWT")
        head = json.loads(_unb64url(parts[0]))
        if not isinstance(head, dict) or head.get("alg") != "HS256":
            raise ValueError("algorithm")
        if not hmac.compare_digest(_unb64url(parts[2]),
                                   self._mac(parts[0] + "." + parts[1])):
            raise ValueError("signature")
        claims = json.loads(_unb64url(parts[1]))
        if not isinstance(claims, dict) or \
                not isinstance(claims.get("exp"), (int, float)) or \
                not isinstance(claims.get("iss"), str) or \
                not isinstance(claims.get("sub"), str):
            raise ValueError("claims")
        return claims


# --------------------------------------------------------------------------
# Roles and their trust
# --------------------------------------------------------------------------

class Role:
    def __init__(self, d, account):
        self.name = d["name"]
        self.arn = d.get("arn") or "arn:aws:iam::%s:role/%s" % (account,
                                                                self.name)
        self.allow = d.get("allow", [])
        self.trust = d.get("trust", [])
        self.max_duration = int(d.get("max_session_duration",
                                      DEFAULT_DURATION))
        # A stable unique id, as IAM gives every role one.
        digest = hashlib.sha256(self.arn.encode()).hexdigest().upper()
        self.role_id = "AROA" + digest[:17]

    def trusts_principal(self, caller_arns, external_id):
        for st in self.trust:
            pats = st.get("principals")
            if not pats:
                continue
            if not any(fnmatch.fnmatchcase(a, p) for a in caller_arns
                       for p in pats):
                continue
            need = st.get("external_id")
            if need is not None and not (
                    external_id is not None and
                    hmac.compare_digest(need.encode(), external_id.encode())):
                continue
            return True
        return False

    def trusts_web_identity(self, claims):
        for st in self.trust:
            wi = st.get("web_identity")
            if not wi:
                continue
            if wi.get("issuer", DEFAULT_ISSUER) != claims["iss"]:
                continue
            if wi.get("audience", DEFAULT_AUDIENCE) not in _auds(claims):
                continue
            if not fnmatch.fnmatchcase(claims["sub"], wi.get("subject", "*")):
                continue
            return True
        return False


def _auds(claims):
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    return [a for a in (aud or []) if isinstance(a, str)]


def caller_arns(principal):
    """The ARNs a trust policy can name for the caller: its own, and for a
    role session the role's."""
    arns = [principal.arn]
    if principal.role is not None:
        arns.append(principal.role)
    return arns


def _random(alphabet, n):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def iso8601(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Sts:
    """Roles, OIDC providers, issued sessions and the lifetime override.
    Thread-safe; now() is the server's (offset) clock."""

    def __init__(self, account, now):
        self.lock = threading.RLock()
        self.account = account
        self.now = now
        self.roles = {}        # arn -> Role
        self.providers = {DEFAULT_ISSUER: [DEFAULT_AUDIENCE]}
        self.issuer = TokenIssuer()
        self.duration_override = None
        self.sessions = []     # public facts only: never secret or token

    def load(self, doc, replace=True):
        with self.lock:
            if replace:
                self.roles = {}
                self.providers = {DEFAULT_ISSUER: [DEFAULT_AUDIENCE]}
            account = str(doc.get("account", self.account))
            if replace:
                self.account = account
            for d in doc.get("roles", []):
                r = Role(d, self.account)
                self.roles[r.arn] = r
            for p in doc.get("oidc_providers", []):
                self.providers[p["issuer"]] = list(p.get("audiences", []))

    def new_token(self, req):
        now = self.now()
        claims = {
            "iss": req.get("iss", DEFAULT_ISSUER),
            "sub": req.get("sub", "system:serviceaccount:default:kms-test"),
            "aud": req.get("aud", DEFAULT_AUDIENCE),
            "iat": int(now),
            "exp": int(now + float(req.get("expires_in", 3600))),
            "jti": str(uuid.uuid4()),  # every token differs, as rotated ones
        }
        if not isinstance(claims["sub"], str) or \
                not isinstance(claims["iss"], str):
            raise ValueError("sub and iss must be strings")
        return self.issuer.issue(claims), claims

    # -- the actions
    def call(self, action, caller, params):
        """(result XML body, new session dict or None). caller is the
        authenticated principal (None for AssumeRoleWithWebIdentity)."""
        if action == "GetCallerIdentity":
            return self._caller_identity(caller), None
        if action == "AssumeRole":
            return self._assume_role(caller, params)
        return self._assume_role_web(params)

    def _caller_identity(self, caller):
        user_id = caller.access_key_id if caller.role is None else \
            "%s:%s" % (self._role_of(caller).role_id,
                       caller.arn.rsplit("/", 1)[1])
        return _response("GetCallerIdentity",
                         "<Arn>%s</Arn>\n    <UserId>%s</UserId>\n"
                         "    <Account>%s</Account>"
                         % (escape(caller.arn), escape(user_id),
                            self.account))

    def _role_of(self, caller):
        with self.lock:
            return self.roles.get(caller.role) or Role(
                {"name": caller.role.rsplit("/", 1)[1], "arn": caller.role},
                self.account)

    def _common(self, params):
        role_arn = p_str(params, "RoleArn", 20, 2048, required=True)
        name = p_str(params, "RoleSessionName", 2, 64, SESSION_NAME_RE,
                     required=True)
        duration = p_duration(params)
        return role_arn, name, duration

    def _assume_role(self, caller, params):
        role_arn, name, duration = self._common(params)
        external_id = p_str(params, "ExternalId", 2, 1224, EXTERNAL_ID_RE)
        if params.get("SerialNumber") or params.get("TokenCode"):
            raise STSError("AccessDenied", "MultiFactorAuthentication failed "
                           "with invalid MFA one time pass code.")
        with self.lock:
            role = self.roles.get(role_arn)
        if role is None or not role.trusts_principal(caller_arns(caller),
                                                     external_id):
            raise STSError("AccessDenied", "User: %s is not authorized to "
                           "perform: sts:AssumeRole on resource: %s"
                           % (caller.arn, role_arn))
        if caller.role is not None and duration is not None and \
                duration > CHAIN_MAX_DURATION:
            raise validation("The requested DurationSeconds exceeds the 1 "
                             "hour session limit for roles assumed by role "
                             "chaining.")
        return self._grant("AssumeRole", role, name, duration, caller.arn, "")

    def _assume_role_web(self, params):
        role_arn, name, duration = self._common(params)
        token = p_str(params, "WebIdentityToken", 4, 20000, required=True)
        try:
            claims = self.issuer.check(token)
        except (ValueError, UnicodeDecodeError):
            raise STSError("InvalidIdentityToken", BAD_WEB_TOKEN)
        with self.lock:
            auds = self.providers.get(claims["iss"])
            role = self.roles.get(role_arn)
        if auds is None:
            raise STSError("InvalidIdentityToken", "No OpenIDConnect "
                           "provider found in your account for %s"
                           % claims["iss"])
        if not set(_auds(claims)) & set(auds):
            raise STSError("InvalidIdentityToken", "Incorrect token audience")
        now = self.now()
        if now >= claims["exp"]:
            raise STSError("ExpiredTokenException", "Token expired: current "
                           "date/time %d must be before the expiration "
                           "date/time %d" % (int(now), int(claims["exp"])))
        if role is None or not role.trusts_web_identity(claims):
            raise STSError("AccessDenied", "Not authorized to perform "
                           "sts:AssumeRoleWithWebIdentity")
        extra = ("\n    <SubjectFromWebIdentityToken>%s"
                 "</SubjectFromWebIdentityToken>\n    <Audience>%s</Audience>"
                 "\n    <Provider>%s</Provider>"
                 % (escape(claims["sub"]), escape(_auds(claims)[0]),
                    escape(claims["iss"])))
        return self._grant("AssumeRoleWithWebIdentity", role, name, duration,
                           "web-identity:" + claims["sub"], extra)

    def _grant(self, action, role, name, duration, source, extra):
        if duration is not None and duration > role.max_duration:
            raise validation("The requested DurationSeconds exceeds the "
                             "MaxSessionDuration set for this role.")
        now = self.now()
        with self.lock:
            life = self.duration_override
        if life is None:
            life = duration or DEFAULT_DURATION
        expires = now + life
        session = {
            "name": role.name,
            "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (self.account,
                                                          role.name, name),
            "role": role.arn,
            "access_key_id": "ASIA" + _random(string.ascii_uppercase +
                                              string.digits, 16),
            "secret_access_key": _random(string.ascii_letters +
                                         string.digits + "+/", 40),
            "session_token": "FwoGZXIvYXdzE" + _random(
                string.ascii_letters + string.digits + "+/", 300),
            "expires": expires,
            "allow": role.allow,
        }
        with self.lock:
            self.sessions.append({
                "action": action, "access_key_id": session["access_key_id"],
                "arn": session["arn"], "role": role.arn,
                "session_name": name, "source": source, "expires": expires,
                "expiration": iso8601(expires)})
        body = ("<Credentials>\n      <AccessKeyId>%s</AccessKeyId>\n"
                "      <SecretAccessKey>%s</SecretAccessKey>\n"
                "      <SessionToken>%s</SessionToken>\n"
                "      <Expiration>%s</Expiration>\n    </Credentials>\n"
                "    <AssumedRoleUser>\n      <Arn>%s</Arn>\n"
                "      <AssumedRoleId>%s:%s</AssumedRoleId>\n"
                "    </AssumedRoleUser>%s"
                % (session["access_key_id"], escape(session["secret_access_key"]),
                   escape(session["session_token"]), iso8601(expires),
                   escape(session["arn"]), role.role_id, escape(name), extra))
        return _response(action, body), session


def _response(action, result):
    return ('<%sResponse xmlns="%s">\n  <%sResult>\n    %s\n  </%sResult>\n'
            '  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n'
            '  </ResponseMetadata>\n</%sResponse>\n'
            % (action, NS, action, result, action, uuid.uuid4(),
               action)).encode()


def fault_message(code, action, account):
    """The message an injected STS error carries by default."""
    return {
        "AccessDenied": "Not authorized to perform sts:%s" % action,
        "ExpiredToken": EXPIRED_TOKEN,
        "ExpiredTokenException": "Token expired: current date/time must be "
                                 "before the expiration date/time",
        "IDPCommunicationError": "Couldn't retrieve verification key from "
                                 "your identity provider, please reference "
                                 "AssumeRoleWithWebIdentity documentation "
                                 "for requirements",
        "IDPRejectedClaim": "The identity provider rejected the claim.",
        "InvalidIdentityToken": BAD_WEB_TOKEN,
        "RegionDisabledException": "STS is not activated in this region for "
                                   "account:%s. Your account administrator "
                                   "can activate STS in this region using "
                                   "the IAM Console." % account,
    }.get(code, "%s (injected)" % code)
