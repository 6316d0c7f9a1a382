"""Checks the --json object of one run of envelope.

usage: json_check.py FILE COMMAND EXIT CODE [PATH=VALUE ...]

FILE must hold exactly one line: one JSON object of schema 1 for COMMAND,
with every member of the schema (envelope(1)) and no other, each of its
type. EXIT 0: ok is true, error null, and the members are filled. Else ok
is false, error is {"code": CODE, "exit": EXIT, "detail": a string} and
every member of the command is null. Each PATH (members joined by '.',
array elements by their index) must equal VALUE, read as JSON when it is
JSON and as a string otherwise. Prints what differs and exits 1.
"""
import json
import re
import sys

HEX128 = re.compile(r"^[0-9a-f]{128}$")
FP = re.compile(r"^sha256:[0-9a-f]{64}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SHORT = re.compile(r"^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$")


def is_int(v):
    return type(v) is int and v >= 0


def is_str(v):
    return type(v) is str


def opt(check):
    return lambda v: v is None or check(v)


def fp(v):
    return is_str(v) and FP.match(v) is not None


def arn(v):
    return is_str(v) and v.startswith("arn:")


def objects(members):
    def check(v):
        return type(v) is list and all(shape(e, members) == [] for e in v)
    return check


def obj(members):
    return lambda v: type(v) is dict and shape(v, members) == []


def shape(value, members):
    """The members of value that are missing, extra or not of their type."""
    bad = sorted(set(value) ^ set(members))
    bad += [k for k, check in members.items() if k in value and not check(value[k])]
    return bad


RECIPIENT = {"fingerprint": opt(fp), "arn": opt(arn), "bits": opt(is_int)}
IDENTITY = {"fingerprint": opt(fp), "arn": opt(arn)}
OPENED = {
    "name": is_str,
    "size": is_int,
    "sha512": lambda v: is_str(v) and HEX128.match(v) is not None,
    "created": opt(lambda v: is_str(v) and TIME.match(v) is not None),
    "signer": obj({"fingerprint": opt(fp), "arn": opt(arn), "matched_key": opt(is_str)}),
    "recipients": objects(IDENTITY),
}
SCHEMA = {
    "inspect": {
        "format": lambda v: v in ("v1", "compat"),
        "version": opt(is_int),
        "suite": opt(is_int),
        "chunk_size": opt(is_int),
        "header_size": opt(is_int),
        "payload_size": opt(is_int),
        "recipients": objects(RECIPIENT),
    },
    "open": dict(OPENED, output=is_str),
    "verify": OPENED,
    "seal": {},  # --json is batch mode's (JSON Lines); a usage error before it
}
SCHEMA["keygen"] = SCHEMA["pubkey"] = {
    "kind": lambda v: v in ("signing", "encryption", None),
    "bits": opt(is_int),
    "fingerprint": fp,
    "short_fingerprint": lambda v: is_str(v) and SHORT.match(v) is not None,
    "arn": opt(arn),
    "outputs": lambda v: type(v) is list and len(v) > 0 and all(is_str(p) for p in v),
}
COMMON = {
    "schema": lambda v: v == 1 and is_int(v),
    "command": is_str,
    "ok": lambda v: type(v) is bool,
    "error": lambda v: v is None or type(v) is dict,
}


def problems(obj_, command, want_exit, want_code):
    members = SCHEMA[command]
    said = []
    if type(obj_) is not dict:
        return ["not an object"]
    wrong = shape(obj_, dict(COMMON, **{k: (lambda v: True) for k in members}))
    if wrong:
        return ["members missing, extra or mistyped: %s" % wrong]
    if obj_["command"] != command:
        said.append("command %r, want %r" % (obj_["command"], command))
    if want_exit == 0:
        if obj_["ok"] is not True or obj_["error"] is not None:
            said.append("ok %r, error %r: want true, null" % (obj_["ok"], obj_["error"]))
        bad = [k for k, check in members.items() if not check(obj_[k])]
        if bad:
            said.append("members not of their type: %s" % bad)
        return said
    err = obj_["error"]
    want = {"code": want_code, "exit": want_exit}
    if obj_["ok"] is not False or type(err) is not dict or set(err) != {"code", "exit", "detail"}:
        said.append("ok %r, error %r: want false, {code, exit, detail}" % (obj_["ok"], err))
    elif {k: err[k] for k in want} != want or not is_str(err["detail"]):
        said.append("error %r, want %r and a detail" % (err, want))
    if any(obj_[k] is not None for k in members):
        said.append("a failure with members that are not null")
    return said


def at(value, path):
    for part in path.split("."):
        value = value[int(part)] if type(value) is list else value[part]
    return value


def main():
    path, command, want_exit, want_code = sys.argv[1:5]
    raw = open(path, "rb").read()
    lines = raw.split(b"\n")
    if len(lines) != 2 or lines[1] != b"":
        sys.exit("want exactly one line, got %d: %r" % (raw.count(b"\n"), raw[:600]))
    if any(b < 0x20 or b == 0x7F for b in lines[0]):
        sys.exit("a control character in the raw text: %r" % raw[:600])
    try:
        obj_ = json.loads(lines[0].decode("utf-8"))
    except ValueError as e:
        sys.exit("not JSON (%s): %r" % (e, raw[:600]))
    said = problems(obj_, command, int(want_exit), want_code)
    for check in sys.argv[5:]:
        key, _, text = check.partition("=")
        try:
            want = json.loads(text)
        except ValueError:
            want = text
        try:
            got = at(obj_, key)
        except (KeyError, IndexError, TypeError, ValueError):
            got = "(absent)"
        if got != want:
            said.append("%s is %r, want %r" % (key, got, want))
    if said:
        sys.exit("\n".join(said) + "\nobject: " + lines[0].decode("utf-8", "replace")[:1500])


main()
