#!/usr/bin/python3
"""Runs CMD with its stdin on a pipe this script feeds, and acts at a point
the test chooses, without sleeping as synchronisation: it writes the first
AT bytes of FILE, waits until CMD has read them all and is blocked reading
stdin again (the pipe is empty and /proc/PID/syscall shows read(0, ...)),
then either sends SIGNAL or, with --spool, copies every deleted or
unnamed file CMD holds open to DUMP_DIR; then it writes the rest (unless a
signal was sent) and waits for CMD. Prints CMD's fate: "exit N" or
"signal N".

usage: interrupt.py FILE AT (SIGNAL | --spool DUMP_DIR) CMD...
"""
import fcntl
import os
import platform
import signal
import struct
import subprocess
import sys
import termios
import time

POLLS = 200000  # each yields for ~1 ms: minutes, only if something is broken
READ = {"x86_64": 0, "aarch64": 63, "riscv64": 63}[platform.machine()]  # read(2)


def queued(fd):
    """Bytes written to the pipe and not yet read."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def blocked_reading_stdin(pid):
    try:
        with open(f"/proc/{pid}/syscall") as f:
            fields = f.read().split()
    except OSError:
        return False
    # "NR 0x0 ...": read(2) on descriptor 0
    return len(fields) > 1 and fields[0] == str(READ) and int(fields[1], 16) == 0


def wait_until_blocked(pid, wfd, proc):
    for _ in range(POLLS):
        if proc.poll() is not None:
            sys.exit(f"interrupt.py: {proc.args[0]} ended early: {proc.returncode}")
        if queued(wfd) == 0 and blocked_reading_stdin(pid):
            return
        time.sleep(0.001)  # a yield between polls, not a synchronisation
    sys.exit("interrupt.py: the command never blocked on its input")


def dump_spools(pid, dump):
    """Copies what CMD holds open under no name in $TMPDIR: the spools."""
    tmp = os.environ.get("TMPDIR") or "/tmp"
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
        if target.endswith("(deleted)") and target.startswith(tmp + "/"):
            with open(f"/proc/{pid}/fd/{fd}", "rb") as src:
                data = src.read()
            with open(os.path.join(dump, f"spool{n}"), "wb") as out:
                out.write(data)
            n += 1
    return n


def main():
    path, at, action, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    dump = None
    if action == "--spool":
        dump, rest = rest[0], rest[1:]
    with open(path, "rb") as f:
        data = f.read()
    rfd, wfd = os.pipe()
    proc = subprocess.Popen(rest, stdin=rfd)
    os.close(rfd)
    os.write(wfd, data[:at])
    wait_until_blocked(proc.pid, wfd, proc)
    if dump is None:
        os.kill(proc.pid, getattr(signal, action))
    else:
        print(f"spools {dump_spools(proc.pid, dump)}")
        try:
            os.write(wfd, data[at:])
        except BrokenPipeError:
            pass
    os.close(wfd)
    proc.wait()
    code = proc.returncode
    print(f"signal {-code}" if code < 0 else f"exit {code}")


if __name__ == "__main__":
    main()
