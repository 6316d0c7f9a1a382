"""Where the run's files go. The ratios are measured with outputs on a
tmpfs, so that no disk's write-back skews them (BENCH_TMPDIR); what flushing
to a disk costs is measured apart, in a directory on a disk (BENCH_DISKDIR).
bench/run.sh asks `bench.py --pick-dirs` for both bases and makes one
temporary directory under each."""

import os
import re
import subprocess

MIB = 1 << 20
SHM = "/dev/shm"


def mount_of(path):
    """(mount point, file system type) of path, from /proc/self/mounts; the
    type from `stat -f` (which names ext4 "ext2/ext3") where that is not
    readable."""
    path = os.path.realpath(path)
    best = ("", "")
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) < 3:
                    continue
                # The kernel writes space, tab, newline and backslash as \ooo.
                mnt = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1])
                inside = path == mnt or path.startswith(mnt.rstrip("/") + "/")
                if inside and len(mnt) >= len(best[0]):
                    best = (mnt, fields[2])
    except OSError:
        pass
    if best[1]:
        return best
    kind = subprocess.run(["stat", "-f", "-c", "%T", path], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True).stdout.strip()
    return path, kind or "unknown"


def fs_type(path):
    return mount_of(path)[1]


def describe(path):
    """"tmpfs at /dev/shm": the file system a directory is on, for the report."""
    return f"{fs_type(path)} at {path}"


def mem_available():
    """MemAvailable in bytes: a tmpfs's pages are memory, whatever its size."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def room_needed(sizes):
    """Bytes the work directory holds at once at the largest size: the
    message, libenvelope's envelope, one sealed copy per peer tool (the
    peers section keeps them all for its round-robin) and the output being
    written; 8 copies covers libenvelope and four peers. Plus keys, the
    GnuPG home, the batch messages and the KMS server's files."""
    return 8 * max(sizes, default=0) + 256 * MIB


def tmpfs_with_room(path, need):
    if not os.path.isdir(path) or not os.access(path, os.W_OK | os.X_OK):
        return False
    if fs_type(path) != "tmpfs":
        return False
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    mem = mem_available()
    return free >= need and (mem is None or mem >= need)


def pick_tmpdir(sizes):
    """BENCH_TMPDIR, else /dev/shm when it is a writable tmpfs with room for
    the largest size, else $TMPDIR, else /tmp."""
    if os.environ.get("BENCH_TMPDIR"):
        return os.environ["BENCH_TMPDIR"]
    if tmpfs_with_room(SHM, room_needed(sizes)):
        return SHM
    return os.environ.get("TMPDIR") or "/tmp"


def pick_diskdir():
    """BENCH_DISKDIR, else /var/tmp when it is not a tmpfs (it outlives a
    reboot, so it is a disk on most systems), else $TMPDIR, else /tmp."""
    if os.environ.get("BENCH_DISKDIR"):
        return os.environ["BENCH_DISKDIR"]
    if os.path.isdir("/var/tmp") and fs_type("/var/tmp") != "tmpfs":
        return "/var/tmp"
    return os.environ.get("TMPDIR") or "/tmp"
