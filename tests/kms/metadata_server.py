#!/usr/bin/python3
"""A loopback stand-in for the two credential endpoints of AWS hosts, for
tests/kms/run.sh: the container credential provider (ECS task roles, EKS Pod
Identity) and IMDSv2 (EC2 instance roles).

    metadata_server.py --port-file FILE --creds FILE [--container-token T]
                       [--max-lifetime S]

Listens on 127.0.0.1 on a free port, written to --port-file once it accepts
connections. --creds is a JSON file {"AccessKeyId", "SecretAccessKey",
"Token", "Expiration"} served by both endpoints (re-read at each request).

  GET  /container/creds        the container endpoint; with --container-token,
                               the Authorization header must be exactly it (401)
  PUT  /latest/api/token       needs X-aws-ec2-metadata-token-ttl-seconds
                               (1..21600, else 400); refuses X-Forwarded-For
                               (403), as IMDS does; answers a fresh token
  GET  /latest/meta-data/iam/security-credentials/[ROLE]
                               need X-aws-ec2-metadata-token (401 without a
                               token it issued): the role name, then its
                               credentials (Code, LastUpdated, Type, ...)
  GET  /_stats                 {"requests": {"METHOD PATH": n}, "total": n}
  POST /_fail                  {"status": 500, "count": N}: the next N
                               metadata requests answer that status
  POST /_reset                 zero the counters and drop pending failures
                               and answer edits
  POST /_edit                  {"role_suffix": S, "code": C}: until the next
                               reset, the role listing is the role name then
                               S, and the credentials' Code is C

Stops on SIGTERM or after --max-lifetime seconds (default 600).
"""
import argparse
import json
import os
import secrets
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = "kms-test-role"
ROLE_PATH = "/latest/meta-data/iam/security-credentials/"


class State:
    def __init__(self, creds_file, container_token):
        self.lock = threading.Lock()
        self.creds_file = creds_file
        self.container_token = container_token
        self.tokens = set()
        self.requests = {}
        self.fail_status = 0
        self.fail_count = 0
        self.role_suffix = ""
        self.code = "Success"

    def count(self, key):
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1

    def take_failure(self):
        with self.lock:
            if self.fail_count > 0:
                self.fail_count -= 1
                return self.fail_status
        return 0

    def creds(self):
        with open(self.creds_file, encoding="utf-8") as f:
            return json.load(f)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "metadata-test"

    def log_message(self, fmt, *args):  # quiet
        pass

    def reply(self, status, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def reply_json(self, status, obj):
        self.reply(status, json.dumps(obj), "application/json")

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    @property
    def state(self):
        return self.server.state

    def control(self):
        st = self.state
        if self.path == "/_stats" and self.command == "GET":
            with st.lock:
                self.reply_json(200, {"requests": dict(st.requests),
                                      "total": sum(st.requests.values())})
        elif self.path == "/_fail" and self.command == "POST":
            req = json.loads(self.body() or b"{}")
            with st.lock:
                st.fail_status = int(req.get("status", 500))
                st.fail_count = int(req.get("count", 1))
            self.reply_json(200, {"ok": True})
        elif self.path == "/_reset" and self.command == "POST":
            self.body()
            with st.lock:
                st.requests.clear()
                st.fail_count = 0
                st.role_suffix, st.code = "", "Success"
            self.reply_json(200, {"ok": True})
        elif self.path == "/_edit" and self.command == "POST":
            req = json.loads(self.body() or b"{}")
            with st.lock:
                st.role_suffix = req.get("role_suffix", st.role_suffix)
                st.code = req.get("code", st.code)
            self.reply_json(200, {"ok": True})
        else:
            self.reply(404, "no such control call")

    def handle_any(self):
        if self.path.startswith("/_"):
            return self.control()
        self.body()
        st = self.state
        path = self.path.split("?", 1)[0]
        st.count("%s %s" % (self.command, path))
        failure = st.take_failure()
        if failure:
            return self.reply(failure, "injected failure")
        if path == "/container/creds" and self.command == "GET":
            return self.container()
        if path == "/latest/api/token" and self.command == "PUT":
            return self.imds_token()
        if path.startswith(ROLE_PATH) and self.command == "GET":
            return self.imds_role(path[len(ROLE_PATH):])
        self.reply(404, "not found")

    def container(self):
        want = self.state.container_token
        if want is not None and self.headers.get("Authorization") != want:
            return self.reply_json(401, {"code": "Unauthorized",
                                         "message": "wrong or no authorization token"})
        c = self.state.creds()
        self.reply_json(200, {k: c[k] for k in
                              ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")})

    def imds_token(self):
        if self.headers.get("X-Forwarded-For"):
            return self.reply(403, "forbidden")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.reply(400, "missing or invalid ttl")
        token = "imds-token-" + secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.tokens.add(token)
        self.reply(200, token)

    def imds_role(self, role):
        token = self.headers.get("X-aws-ec2-metadata-token")
        with self.state.lock:
            known = token in self.state.tokens
        if not known:
            return self.reply(401, "unauthorized")
        if role == "":
            return self.reply(200, ROLE + self.state.role_suffix)
        if role != ROLE:
            return self.reply(404, "not found")
        c = self.state.creds()
        self.reply_json(200, {"Code": self.state.code, "LastUpdated": "2024-01-01T00:00:00Z",
                              "Type": "AWS-HMAC", "AccessKeyId": c["AccessKeyId"],
                              "SecretAccessKey": c["SecretAccessKey"], "Token": c["Token"],
                              "Expiration": c["Expiration"]})

    do_GET = do_PUT = do_POST = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--creds", required=True)
    ap.add_argument("--container-token")
    ap.add_argument("--max-lifetime", type=float, default=600)
    args = ap.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(args.creds, args.container_token)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Timer(args.max_lifetime, stop).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    server.serve_forever()
    server.server_close()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
