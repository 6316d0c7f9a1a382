#!/usr/bin/python3
"""Checks the JSON Lines of one batch run of envelope (--out-dir --json).

usage: batch_json.py FILE COMMAND OK FAILED [INPUT=OUTPUT|INPUT=!CODE/EXIT ...]

FILE must hold one JSON object per input, each with exactly the members
schema (1), command (COMMAND), input, output, ok and error, then a last
{"schema": 1, "summary": {"ok": OK, "failed": FAILED}}. A successful input
has ok true, error null and output a string; a failed one ok false, output
null and error {"code", "exit", "detail"} (a string, an integer, a string).
Each INPUT=OUTPUT says that input succeeded with that output; INPUT=!CODE/EXIT
that it failed with that code and exit status. The inputs must come in the
order the arguments name them, when they name them all. Prints what differs
and exits 1.
"""
import json
import sys

MEMBERS = {"schema", "command", "input", "output", "ok", "error"}


def check_line(obj, command):
    if set(obj) != MEMBERS:
        return "members %s, want %s" % (sorted(obj), sorted(MEMBERS))
    if obj["schema"] != 1 or obj["command"] != command:
        return "schema %r command %r" % (obj["schema"], obj["command"])
    if type(obj["input"]) is not str or type(obj["ok"]) is not bool:
        return "input or ok of the wrong type"
    if obj["ok"]:
        if obj["error"] is not None or type(obj["output"]) is not str:
            return "ok, yet error %r output %r" % (obj["error"], obj["output"])
        return None
    err = obj["error"]
    if obj["output"] is not None or type(err) is not dict or set(err) != {"code", "exit", "detail"}:
        return "failed, yet output %r error %r" % (obj["output"], err)
    if type(err["code"]) is not str or type(err["exit"]) is not int or type(err["detail"]) is not str:
        return "error members of the wrong type: %r" % err
    if not err["detail"]:
        return "empty detail"
    return None


def main():
    path, command, ok, failed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    want = [a.split("=", 1) for a in sys.argv[5:]]
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines[-1] != "":
        sys.exit("the last line does not end in a newline")
    objs = [json.loads(line) for line in lines[:-1]]
    if not objs or objs[-1] != {"schema": 1, "summary": {"ok": ok, "failed": failed}}:
        sys.exit("last line %r, want the summary ok %d failed %d" % (objs[-1:], ok, failed))
    items = objs[:-1]
    if len(items) != ok + failed:
        sys.exit("%d objects, want %d" % (len(items), ok + failed))
    if sum(1 for o in items if type(o) is dict and o.get("ok") is True) != ok:
        sys.exit("the objects' ok do not add up to %d" % ok)
    for o in items:
        why = check_line(o, command)
        if why:
            sys.exit("%s: %s" % (json.dumps(o), why))
    by_input = {o["input"]: o for o in items}
    for inp, out in want:
        o = by_input.get(inp)
        if o is None:
            sys.exit("no object for input %r" % inp)
        if out.startswith("!"):
            code, ex = out[1:].split("/")
            if o["ok"] or o["error"]["code"] != code or o["error"]["exit"] != int(ex):
                sys.exit("%s: want code %s exit %s" % (json.dumps(o), code, ex))
        elif not o["ok"] or o["output"] != out:
            sys.exit("%s: want output %r" % (json.dumps(o), out))
    if len(want) == len(items) and [w[0] for w in want] != [o["input"] for o in items]:
        sys.exit("inputs in the order %r" % [o["input"] for o in items])


if __name__ == "__main__":
    main()
