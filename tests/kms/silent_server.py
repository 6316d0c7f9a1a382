"""A peer that takes TCP connections on 127.0.0.1 and never answers, and
counts them, so that a test can tell how many attempts a client made
without timing it.

    /usr/bin/python3 silent_server.py PORT_FILE

Writes "SILENT_PORT CONTROL_PORT" to PORT_FILE once both listen. A connection
to CONTROL_PORT is answered with one line, the number of connections the
silent port took since the last such answer, and closed. Before answering it
takes every connection still waiting in the listen queue: a client that
connected and gave up before it asks is counted, whatever the scheduling.
Exits after --max-lifetime seconds (default 900) at the latest.
"""

import argparse
import os
import selectors
import socket
import time


def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


def take_pending(silent, held):
    """Accept every queued connection without blocking; return how many."""
    n = 0
    silent.setblocking(False)
    try:
        while True:
            try:
                conn, _ = silent.accept()
            except BlockingIOError:
                return n
            held.append(conn)  # kept open, never read from or written to
            n += 1
    finally:
        silent.setblocking(True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port_file")
    ap.add_argument("--max-lifetime", type=float, default=900)
    args = ap.parse_args()
    silent, control = listener(), listener()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (silent.getsockname()[1],
                             control.getsockname()[1]))
    os.rename(tmp, args.port_file)  # the file appears whole
    sel = selectors.DefaultSelector()
    sel.register(silent, selectors.EVENT_READ)
    sel.register(control, selectors.EVENT_READ)
    held, count = [], 0
    end = time.monotonic() + args.max_lifetime
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=max(0.0, end - time.monotonic())):
            if key.fileobj is silent:
                count += take_pending(silent, held)
                continue
            conn, _ = control.accept()
            count += take_pending(silent, held)
            with conn:
                conn.sendall(b"%d\n" % count)
            count = 0


if __name__ == "__main__":
    main()
