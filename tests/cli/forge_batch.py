#!/usr/bin/python3
"""Envelopes whose message names would leave an output directory, for
t_batch.sh: each signed by signer and sealed to alice with
tests/envelope_ref.py, valid in every other way.

    forge_batch.py KEYS_DIR OUT_DIR

  up.env      the message is named "../up"
  slash.env   the message is named "sub/x"
  dot.env     the message is named ".hidden"
  dotdot.env  the message is named ".."
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import envelope_ref as ref  # noqa: E402


def main():
    keys, out = sys.argv[1], sys.argv[2]
    signer = ref.load_key(os.path.join(keys, "signer.pem"))
    alice = ref.load_key(os.path.join(keys, "alice.pub"))
    cases = {"up.env": b"../up", "slash.env": b"sub/x", "dot.env": b".hidden",
             "dotdot.env": b".."}
    for file, name in cases.items():
        sealed = ref.seal(b"escaped\n", name=name, sign_key=signer, recipients=[alice])
        with open(os.path.join(out, file), "wb") as f:
            f.write(sealed.envelope)


if __name__ == "__main__":
    main()
