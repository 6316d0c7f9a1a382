#!/usr/bin/python3
"""Runs a command on a new pseudo-terminal, as its controlling terminal.

usage: pty_run.py [--answer REGEX TEXT]... [--timeout SECONDS] -- COMMAND [ARG]...

The command's stdin, stdout and stderr are the terminal (redirect inside
`sh -c` to change that). Everything it writes to the terminal is copied to
our stdout, raw. Each --answer types TEXT and a newline once the transcript,
after the previous answer, matches REGEX. Exits with the command's status,
or 124 if it has not ended after SECONDS (default 120: only a hung command
should reach it, also under a sanitizer on a loaded machine), saying what it
was still waiting for.
"""
import os
import pty
import re
import select
import signal
import sys
import time


def parse(argv):
    answers, timeout = [], 120.0
    while argv and argv[0] != "--":
        if argv[0] == "--answer":
            answers.append((re.compile(argv[1].encode()), argv[2].encode() + b"\n"))
            argv = argv[3:]
        elif argv[0] == "--timeout":
            timeout = float(argv[1])
            argv = argv[2:]
        else:
            sys.exit("pty_run.py: unknown option " + argv[0])
    if not argv[1:]:
        sys.exit(__doc__)
    return answers, timeout, argv[1:]


def main():
    answers, timeout, cmd = parse(sys.argv[1:])
    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    transcript, seen, deadline = b"", 0, time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.buffer.write(transcript)
            waiting = ("the prompt /%s/" % answers[0][0].pattern.decode()
                       if answers else "the command to end")
            sys.stderr.write("pty_run.py: %s: still waiting for %s after %g s; killed\n"
                             % (cmd[0], waiting, timeout))
            sys.exit(124)
        ready, _, _ = select.select([master], [], [], min(left, 0.2))
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every holder of the slave side is gone
                data = b""
            if not data:
                break
            transcript += data
        if answers and answers[0][0].search(transcript, seen):
            seen = len(transcript)
            os.write(master, answers.pop(0)[1])
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(transcript)
    sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode")
             else (status >> 8))


if __name__ == "__main__":
    main()
