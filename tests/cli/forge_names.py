#!/usr/bin/python3
"""Envelopes whose names would act on a terminal, for t_names.sh.

    forge_names.py KEYS_DIR OUT_DIR

Each is sealed to alice and signed by signer with tests/envelope_ref.py:
  name-esc.env     the message is named "a<ESC>[2Jb" (refused: a control)
  name-csi.env     the message is named "a<U+009B>31mb" (CSI; a valid name)
  name-bidi.env    the message is named "<U+202E>txt.exe<U+2066>" (valid)
  entry2-evil.env  the second entry is named "<U+202E><U+2066><U+009B>x<ESC>"
                   instead of manifest.json (refused before any signature)
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import envelope_ref as ref  # noqa: E402

EVIL = "\u202e\u2066\u009bx\x1b".encode()


def second_entry_evil(name, message, manifest, sig, mtime=0):
    return ref.tar_archive([ref.tar_entry(name, message, mtime=mtime),
                            ref.tar_entry(EVIL, manifest, mtime=mtime),
                            ref.tar_entry(b"manifest.sig", sig, mtime=mtime)])


def main():
    keys, out = sys.argv[1], sys.argv[2]
    signer = ref.load_key(os.path.join(keys, "signer.pem"))
    alice = ref.load_key(os.path.join(keys, "alice.pub"))
    cases = {
        "name-esc.env": ("a\x1b[2Jb".encode(), None),
        "name-csi.env": ("a\u009b31mb".encode(), None),
        "name-bidi.env": ("\u202etxt.exe\u2066".encode(), None),
        "entry2-evil.env": (b"note.txt", second_entry_evil),
    }
    for file, (name, archive) in cases.items():
        sealed = ref.seal(b"hello\n", name=name, sign_key=signer, recipients=[alice],
                          archive=archive)
        with open(os.path.join(out, file), "wb") as f:
            f.write(sealed.envelope)


if __name__ == "__main__":
    main()
