#!/usr/bin/python3
"""Runs CMD, whose output is the named pipe FIFO, with no reader on FIFO,
and reports when CMD opens it: CMD's open(2) of a pipe with no reader waits
in the kernel, where /proc/PID/syscall and /proc/PID/wchan show it. Without sleeping as
synchronisation: it polls until CMD either ends or waits there.

  - CMD ends first: prints "exit N" (it never opened FIFO);
  - /proc/PID/syscall cannot be read (CMD makes itself undumpable, which
    only root can see past): kills CMD and prints "unobservable";
  - CMD waits in openat(2) on FIFO: with --read, opens FIFO for reading,
    copies what CMD writes to OUT.got and prints "opened; exit N"; with a
    signal name, sends it and prints "opened; signal N" or "opened; exit N".

usage: fifo_late.py FIFO (--read OUT | SIGNAL) CMD...
"""
import os
import platform
import signal
import subprocess
import sys
import time

POLLS = 200000  # each yields for ~1 ms: minutes, only if something is broken
OPENAT = {"x86_64": 257, "aarch64": 56, "riscv64": 56}[platform.machine()]


def waiting_in_open(pid):
    """In openat(2), and asleep where only a pipe's open waits for its
    other end (where the kernel names it), not in a file's open."""
    try:
        with open(f"/proc/{pid}/syscall") as f:
            fields = f.read().split()
        with open(f"/proc/{pid}/wchan") as f:
            wchan = f.read().strip()
    except PermissionError:
        raise
    except OSError:
        return False
    if not fields or fields[0] != str(OPENAT):
        return False
    return wchan in ("wait_for_partner", "0", "")


def fate(proc):
    code = proc.wait()
    return f"signal {-code}" if code < 0 else f"exit {code}"


def main():
    fifo, mode = sys.argv[1], sys.argv[2]
    out = sys.argv[3] if mode == "--read" else None
    cmd = sys.argv[4:] if out else sys.argv[3:]
    proc = subprocess.Popen(cmd)
    for _ in range(POLLS):
        if proc.poll() is not None:
            print(fate(proc))
            return
        try:
            if waiting_in_open(proc.pid):
                break
        except PermissionError:
            proc.kill()  # the command is not dumpable: only root sees it
            proc.wait()
            print("unobservable")
            return
        time.sleep(0.001)  # a yield between polls, not a synchronisation
    else:
        proc.kill()
        sys.exit("fifo_late.py: the command neither ended nor opened the FIFO")
    if out is None:
        proc.send_signal(getattr(signal, mode))
        print("opened; " + fate(proc))
        return
    with open(fifo, "rb") as r, open(out, "wb") as w:
        w.write(r.read())
    print("opened; " + fate(proc))


main()
