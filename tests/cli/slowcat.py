#!/usr/bin/python3
"""Copies FILE (or - for stdin) to stdout at about RATE bytes a second, in
64 KiB pieces: a slow producer or consumer for progress-bar tests.

usage: slowcat.py FILE RATE
"""
import sys
import time

CHUNK = 65536


def main():
    path, rate = sys.argv[1], float(sys.argv[2])
    src = sys.stdin.buffer if path == "-" else open(path, "rb")
    out = sys.stdout.buffer
    start, done = time.monotonic(), 0
    while True:
        data = src.read(CHUNK)
        if not data:
            break
        out.write(data)
        out.flush()
        done += len(data)
        ahead = done / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)


if __name__ == "__main__":
    main()
