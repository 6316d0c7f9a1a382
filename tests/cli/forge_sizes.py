#!/usr/bin/python3
"""Envelopes whose inner archive states a size it does not hold, for
t_space.sh.

    forge_sizes.py KEYS_DIR OUT_DIR

Each is sealed to alice and signed by signer with tests/envelope_ref.py; the
message's tar header states the size, then the archive ends after one block
of data, so nothing but the header can make a reader refuse it early:
  states-5g.env    5 GiB (over the command line's default maximum, 4 GiB)
  states-3m.env    3 MiB (over a 1 MiB file system)
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import envelope_ref as ref  # noqa: E402


def stating(size):
    def archive(name, message, manifest, sig, mtime=0):
        return ref.ustar_header(name, size, mtime=mtime) + bytes(ref.BLOCK)
    return archive


def main():
    keys, out = sys.argv[1], sys.argv[2]
    signer = ref.load_key(os.path.join(keys, "signer.pem"))
    alice = ref.load_key(os.path.join(keys, "alice.pub"))
    for file, size in (("states-5g.env", 5 << 30), ("states-3m.env", 3 << 20)):
        sealed = ref.seal(b"hello\n", name=b"big.bin", sign_key=signer, recipients=[alice],
                          archive=stating(size))
        with open(os.path.join(out, file), "wb") as f:
            f.write(sealed.envelope)


if __name__ == "__main__":
    main()
