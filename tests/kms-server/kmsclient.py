#!/usr/bin/python3
"""Small SigV4-signing KMS client for tests, and a command line for shell
scripts: raw KMS calls (with forged dates, dropped tokens, other regions)
and calls to the test server's control API.

  kmsclient.py --state-dir DIR control GET stats
  kmsclient.py --state-dir DIR control POST fault '{"kind":"throttle"}'
  kmsclient.py --state-dir DIR call --principal admin ListKeys '{}'
  kmsclient.py --state-dir DIR call --principal admin --date-offset -600 \\
      ListKeys '{}'

`call` prints the response body on stdout and exits 0 on HTTP 2xx, 1 on an
error answer (its __type is printed on stderr), 2 on usage or connection
errors.  `control` prints the JSON answer and exits 0 on HTTP 200.
"""

import argparse
import datetime
import http.client
import json
import os
import ssl
import sys
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PRINCIPALS = os.path.join(HERE, "principals.json")
JSON_CT = "application/x-amz-json-1.1"


def load_principals(path=DEFAULT_PRINCIPALS):
    with open(path) as f:
        doc = json.load(f)
    return {p["name"]: p for p in doc["principals"]}


class _DatedSigV4(SigV4Auth):
    """botocore's SigV4 signer with a chosen timestamp."""

    def __init__(self, credentials, service, region, when):
        super().__init__(credentials, service, region)
        self._when = when

    def add_auth(self, request):
        request.context["timestamp"] = self._when.strftime("%Y%m%dT%H%M%SZ")
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    @property
    def error(self):
        if self.status < 300:
            return None
        try:
            return json.loads(self.body).get("__type")
        except ValueError:
            return None

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


class KMSClient:
    def __init__(self, endpoint, access_key=None, secret_key=None,
                 token=None, region="us-east-1", ca=None, timeout=30,
                 principal=None, principals_file=DEFAULT_PRINCIPALS):
        if principal is not None:
            p = load_principals(principals_file)[principal]
            access_key = p["access_key_id"]
            secret_key = p["secret_access_key"]
            token = p.get("session_token")
        self.endpoint = endpoint.rstrip("/")
        u = urlsplit(self.endpoint)
        self.scheme, self.host, self.port = u.scheme, u.hostname, u.port
        self.access_key, self.secret_key, self.token = \
            access_key, secret_key, token
        self.region = region
        self.ca = ca
        self.timeout = timeout

    def connect(self):
        if self.scheme == "https":
            ctx = ssl.create_default_context(cafile=self.ca)
            return http.client.HTTPSConnection(self.host, self.port,
                                               timeout=self.timeout,
                                               context=ctx)
        return http.client.HTTPConnection(self.host, self.port,
                                          timeout=self.timeout)

    def sign(self, op, params=None, body=None, when=None, date_offset=0,
             token=True, headers=None, region=None, secret_key=None,
             access_key=None, service="kms"):
        """Return (headers, body) of a signed KMS request."""
        if body is None:
            body = json.dumps(params or {}).encode()
        hdrs = {"Content-Type": JSON_CT, "X-Amz-Target": "TrentService." + op}
        hdrs.update(headers or {})
        req = AWSRequest(method="POST", url=self.endpoint + "/", data=body,
                         headers=hdrs)
        if when is None:
            when = datetime.datetime.utcnow() + \
                datetime.timedelta(seconds=date_offset)
        creds = Credentials(access_key or self.access_key,
                            secret_key or self.secret_key,
                            self.token if token is True else (token or None))
        _DatedSigV4(creds, service, region or self.region, when).add_auth(req)
        return dict(req.headers.items()), body

    def send(self, headers, body, conn=None, path="/", method="POST"):
        own = conn is None
        conn = conn or self.connect()
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, dict(r.getheaders()), data)
        finally:
            if own:
                conn.close()

    def call(self, op, params=None, conn=None, **kw):
        headers, body = self.sign(op, params, **kw)
        return self.send(headers, body, conn=conn)

    def control(self, method, name, obj=None, conn=None):
        body = json.dumps(obj).encode() if obj is not None else None
        hdrs = {"Content-Type": "application/json"} if body else {}
        r = self.send(hdrs, body, conn=conn, path="/_control/" + name,
                      method=method)
        return r.status, (json.loads(r.body) if r.body else None)


def client_from_state(state_dir, **kw):
    with open(os.path.join(state_dir, "endpoint")) as f:
        ep = f.read().strip()
    ca = os.path.join(state_dir, "ca.pem")
    return KMSClient(ep, ca=ca if ep.startswith("https") else None, **kw)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--state-dir", help="server state directory "
                    "(endpoint, ca.pem)")
    ap.add_argument("--endpoint", help="endpoint URL (instead of "
                    "--state-dir)")
    ap.add_argument("--ca", help="CA bundle for --endpoint")
    ap.add_argument("--timeout", type=float, default=30)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("control", help="call the control API")
    c.add_argument("method", choices=["GET", "POST"])
    c.add_argument("name", help="e.g. stats, fault, reset")
    c.add_argument("json", nargs="?", default=None)
    k = sub.add_parser("call", help="make one signed KMS call")
    k.add_argument("op")
    k.add_argument("json", nargs="?", default="{}")
    k.add_argument("--principal", help="name in the principals file")
    k.add_argument("--principals", default=DEFAULT_PRINCIPALS)
    k.add_argument("--access-key")
    k.add_argument("--secret-key")
    k.add_argument("--session-token")
    k.add_argument("--no-token", action="store_true",
                   help="do not send the principal's session token")
    k.add_argument("--region", default="us-east-1")
    k.add_argument("--date-offset", type=float, default=0,
                   help="sign with a clock this many seconds off")
    args = ap.parse_args(argv)

    try:
        if args.state_dir:
            cl = client_from_state(args.state_dir, timeout=args.timeout)
        elif args.endpoint:
            cl = KMSClient(args.endpoint, ca=args.ca, timeout=args.timeout)
        else:
            ap.error("need --state-dir or --endpoint")
        if args.cmd == "control":
            obj = json.loads(args.json) if args.json else None
            if args.method == "POST" and obj is None:
                obj = {}
            status, out = cl.control(args.method, args.name, obj)
            print(json.dumps(out, indent=1, sort_keys=True))
            return 0 if status == 200 else 1
        if args.principal:
            p = load_principals(args.principals)[args.principal]
            cl.access_key = p["access_key_id"]
            cl.secret_key = p["secret_access_key"]
            cl.token = p.get("session_token")
        cl.access_key = args.access_key or cl.access_key
        cl.secret_key = args.secret_key or cl.secret_key
        cl.token = args.session_token or cl.token
        if not cl.access_key or not cl.secret_key:
            ap.error("need --principal or --access-key/--secret-key")
        cl.region = args.region
        r = cl.call(args.op, json.loads(args.json),
                    date_offset=args.date_offset,
                    token=False if args.no_token else True)
    except (OSError, http.client.HTTPException) as e:
        sys.stderr.write("kmsclient: %s\n" % e)
        return 2
    sys.stdout.write(r.body.decode("utf-8", "replace") + "\n")
    if r.status >= 300:
        sys.stderr.write("HTTP %d %s\n" % (r.status, r.error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
