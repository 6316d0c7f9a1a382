#!/usr/bin/python3
"""Every reference in the repository to one of its own documents, sections
or files resolves (make test-refs).

Scanned: the tracked text files (git ls-files) whose names end in one of
TEXT_SUFFIXES or are one of TEXT_NAMES: documents, code and its comments,
tests, bench, fuzz, the man page. Checked, line by line:

* a document reference, `X.md` or `dir/X.md`, names a tracked file: a path
  with a folder is taken from the top of the tree (or, in a markdown link,
  from the linking file's folder); a bare name from the linking file's
  folder, then docs/, then the top;
* a title that follows one, `docs/FORMAT.md, "ASCII armor"` or
  `FORMAT.md "Header"` (on the same line, or at the start of the next one
  when the line ends after the name, never split over two), is one of
  that document's headings, compared without markdown backquotes, without
  a leading step number ("1. "), case aside; a title may also be a
  heading's part before its first colon or parenthesis ("Start-up" for "Start-up: where the time
  ... go", "Manifest" for "Manifest (`manifest.json`)");
* a `#anchor` after one (`FORMAT.md#ascii-armor`) is the anchor GitHub
  makes of one of its headings;
* a repository path (under one of PATH_ROOTS) names a tracked file or
  folder; a path holding a pattern or a placeholder (`*`, `?`, `<`, `{`,
  `$`, `%`, or a part in capitals such as NAME) is skipped;
* in a document, a C file in backquotes, bare (`kms_endpoint.c`) or by
  its folder in libenvelope/ (`aws/curl_dl.c`), is a tracked file;
* nothing refers to a section by number ("section 5", "sections 2 to 9",
  "§5", "DESIGN 4.8"): numbers shift when a document grows, titles do not.
  A number that follows the name of an outside standard on the same line
  (RFC 4648 section 4, FIPS 186-5 section 6) is the standard's and allowed.

Exit status 0 when everything resolves, 1 with one line per fault:
FILE:LINE: REFERENCE: why.

    check-refs.py [ROOT]       check the tree at ROOT (default: this repository)
    check-refs.py --selftest   check that a fake tree's faults are each found
"""

import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile

TEXT_SUFFIXES = (".md", ".c", ".h", ".py", ".sh", ".js", ".ts", ".dict", ".1", ".txt",
                 ".toml", ".map", ".in", ".ini", ".supp", ".json", ".cfg")
TEXT_NAMES = ("Makefile", "run")
# This checker: its examples and self-test are faults on purpose.
SELF = "tests/check-refs.py"
PATH_ROOTS = ("libenvelope", "tests", "cli", "docs", "bench", "fuzz", "include", "bindings")

DOC_REF = re.compile(r"(?<![\w./$}-])((?:[\w.-]+/)*[\w.-]+\.md)(#[\w-]+)?")
MD_LINK = re.compile(r"\]\(([^)\s#]+\.md)?(#[^)\s]+)?\)")
TITLE_AFTER = re.compile(r"""^,?\s*["“]([A-Za-z`][^"”]*)["”]""")
NUMBERED = re.compile(r"(?:\bsections?\s+|§\s*)\d+(?:\.\d+)*(?:(?:,|\s+and|\s+to)\s+\d+)*",
                      re.IGNORECASE)
DOC_NUMBER = re.compile(r"(?<![\w./-])(?:[\w.-]+/)*[\w.-]+\.md,?\s+\d+(?:\.\d+)*\b"
                        r"|\bDESIGN\s+\d+(?:\.\d+)*\b")
OUTSIDE_STANDARD = re.compile(r"\b(?:RFC|FIPS|SP|NIST|SEC|X9\.\d+|ISO|IEEE|PKCS\s*#?\d*|"
                              r"POSIX|C11|C99|ECMA)\b[\w .#/-]{0,24}$")
PATH_REF = re.compile(r"(?<![\w./$-])((?:%s)/[\w./*?<>{}$%%@+-]*)" % "|".join(PATH_ROOTS))
# Patterns, and parts in capitals that stand for a name: fuzz_NAME.c,
# test_X, DIR/; a tracked README.md is found before this is asked.
PLACEHOLDER = re.compile(r"[*?<>{}$%]|[a-z0-9][_-][A-Z][A-Z0-9]*\b|(?:^|/)[A-Z][A-Z0-9_]*(?:/|$)"
                         r"|(?:^|/)(?:NAME|X|N|FILE|KEY|OUT|DIR|TARGET)\.")
# libenvelope/1: the format's name and version, not a path.
VERSION_NAME = re.compile(r"^[\w]+/\d+$")
STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
CODE_SUFFIXES = (".c", ".h", ".js", ".ts", ".py")
# A C file a document names in backquotes: `kms_endpoint.c`, or by its
# folder in the library, `aws/curl_dl.c`.
C_FILE = re.compile(r"`((?:(?:base|io|format|keys|aws|pipeline)/)?[\w.-]+\.[ch])`")
# What a comment continuation line starts with, before its text.
CONTINUATION = re.compile(r"^\s*(?:#+|\*|//|/\*|;+|\.\\\"|--|<!--)?\s*")


def tracked_files(root):
    """git ls-files; outside a git checkout (a release tarball), or where git
    is not installed, every file but build trees and installed packages."""
    try:
        r = subprocess.run(["git", "-C", root, "ls-files", "-z"], capture_output=True)
    except OSError:
        r = None
    if r is not None and r.returncode == 0:
        return [p for p in r.stdout.decode().split("\0") if p]
    files = []
    for d, subdirs, names in os.walk(root):
        subdirs[:] = sorted(s for s in subdirs if not s.startswith("build")
                            and s not in (".git", "node_modules", "__pycache__"))
        files += [os.path.relpath(os.path.join(d, n), root) for n in sorted(names)]
    return files


def is_text(path):
    name = os.path.basename(path)
    return name.endswith(TEXT_SUFFIXES) or name in TEXT_NAMES


def github_anchor(heading):
    """The anchor GitHub gives a heading: lower case, punctuation other than
    hyphens and underscores dropped, each space a hyphen."""
    text = heading_text(heading, keep_number=True).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def heading_text(heading, keep_number=False):
    text = heading.replace("`", "").strip()
    if not keep_number:
        text = re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", text)
    return text


class Doc:
    """A tracked markdown document's headings and anchors."""

    def __init__(self, path):
        self.headings = []
        fence = False
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("```"):
                    fence = not fence
                m = None if fence else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
                if m:
                    self.headings.append(m.group(2))
        self.anchors = set()
        seen = {}
        for h in self.headings:
            a = github_anchor(h)
            n = seen.get(a, 0)
            seen[a] = n + 1
            self.anchors.add(a if n == 0 else f"{a}-{n}")

    def has_title(self, title):
        want = heading_text(title).casefold()
        for h in self.headings:
            text = heading_text(h).casefold()
            if want == text or want == re.split(r"[:(]", text, 1)[0].strip():
                return True
        return False

    def listing(self):
        return "; ".join('"%s"' % heading_text(h) for h in self.headings[1:]) or "(none)"


class Checker:
    def __init__(self, root):
        self.root = root
        self.files = tracked_files(root)
        self.tracked = set(self.files)
        self.basenames = {os.path.basename(p) for p in self.files}
        self.dirs = {os.path.dirname(p) for p in self.files}
        for d in list(self.dirs):
            while d:
                self.dirs.add(d)
                d = os.path.dirname(d)
        self.docs = {}
        self.faults = []
        self.refs = 0

    def doc(self, path):
        if path not in self.docs:
            self.docs[path] = Doc(os.path.join(self.root, path))
        return self.docs[path]

    def fault(self, where, ref, why):
        self.faults.append(f"{where}: {ref}: {why}")

    def resolve_doc(self, src, name, link):
        """The tracked path a document reference names, or None."""
        here = os.path.dirname(src)
        if link:
            cands = [os.path.normpath(os.path.join(here, name))]
        elif "/" in name:
            cands = [os.path.normpath(name), os.path.normpath(os.path.join(here, name))]
        else:
            cands = [os.path.join(here, name), os.path.join("docs", name), name]
        for c in map(os.path.normpath, cands):
            if c in self.tracked:
                return c
        return None

    def check_doc_ref(self, where, src, name, anchor, title, link=False):
        self.refs += 1
        ref = name + (anchor or "") + (f', "{title}"' if title else "")
        path = self.resolve_doc(src, name, link)
        if path is None:
            self.fault(where, ref, f"no file {name} in the repository")
            return
        doc = self.doc(path)
        if anchor and anchor[1:] not in doc.anchors:
            self.fault(where, ref, f"no heading with anchor {anchor} in {path}; its anchors: "
                       + ", ".join("#" + a for a in sorted(doc.anchors)))
        if title and not doc.has_title(title):
            self.fault(where, ref, f'no heading titled "{title}" in {path}; its headings: '
                       + doc.listing())

    def check_path(self, where, src, path):
        path = path.rstrip(".,:;)'`\"]")
        if PLACEHOLDER.search(path) or VERSION_NAME.match(path) or re.search(r"\.md(#|$)", path):
            return  # documents are checked as documents
        self.refs += 1
        bare = path.rstrip("/")
        # From the top, or from a folder above the file (bindings/python's
        # README says tests/forge.py); a program is named by its source.
        base = os.path.dirname(src)
        while True:
            full = os.path.normpath(os.path.join(base, bare))
            if full in self.dirs or any(full + s in self.tracked for s in ("", ".c", ".py", ".sh")):
                return
            if not base:
                break
            base = os.path.dirname(base)
        self.fault(where, path, "no such file or folder in the repository")

    def check_c_file(self, where, name):
        if PLACEHOLDER.search(name):
            return
        self.refs += 1
        if "/" in name:
            found = "libenvelope/" + name in self.tracked
        else:
            found = name in self.basenames
        if not found:
            self.fault(where, name, "no such C file in the repository")

    def check_numbers(self, where, line):
        for m in NUMBERED.finditer(line):
            if OUTSIDE_STANDARD.search(line[:m.start()]):
                continue
            self.fault(where, m.group(0), "a section named by its number; name it by its title")
        for m in DOC_NUMBER.finditer(line):
            self.fault(where, m.group(0), "a section named by its number; name it by its title")

    def check_file(self, src):
        try:
            with open(os.path.join(self.root, src), encoding="utf-8") as f:
                lines = f.read().split("\n")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            return
        for i, line in enumerate(lines):
            where = f"{src}:{i + 1}"
            nxt = CONTINUATION.sub("", lines[i + 1], count=1) if i + 1 < len(lines) else ""
            self.check_doc_refs(where, src, line, nxt)
            self.check_paths(where, src, line)
            self.check_numbers(where, line)

    def check_doc_refs(self, where, src, line, nxt):
        """Markdown links, then document names with any title after them."""
        linked = set()
        for m in MD_LINK.finditer(line):
            if m.group(1) and re.match(r"^[a-z]+:", m.group(1)):
                continue  # a URL
            if m.group(1) is None and not src.endswith(".md"):
                continue
            name = m.group(1) or os.path.basename(src)
            self.check_doc_ref(where, src, name, m.group(2), None, link=True)
            linked.add(m.start(1))
        for m in DOC_REF.finditer(line):
            if m.start(1) in linked or re.search(r"[a-z]+://\S*$", line[:m.start()]):
                continue
            rest = line[m.end():]
            if re.match(r"""^,?\s*["“][A-Za-z`][^"”]*$""", rest):
                self.fault(where, m.group(1) + rest.rstrip(),
                           "a title split over two lines; keep it on one line")
                continue
            t = TITLE_AFTER.match(rest)
            if t is None and re.fullmatch(r",?\s*(?:\*/)?\s*", rest):
                t = TITLE_AFTER.match(nxt)
            self.check_doc_ref(where, src, m.group(1), m.group(2), t.group(1) if t else None)

    def check_paths(self, where, src, line):
        strings = []
        if src.endswith(CODE_SUFFIXES):
            strings = [m.span() for m in STRING.finditer(line.replace('"""', "   "))]
        for m in PATH_REF.finditer(line):
            if re.search(r"[a-z]+://\S*$", line[:m.start()]):
                continue
            if any(a < m.start() < b for a, b in strings):
                continue  # a string the code uses: its own tests say whether it exists
            self.check_path(where, src, m.group(1))
        if src.endswith(".md"):
            for m in C_FILE.finditer(line):
                self.check_c_file(where, m.group(1))

    def run(self):
        for src in self.files:
            if is_text(src) and src != SELF:
                self.check_file(src)
        return self.faults


def check(root):
    c = Checker(root)
    faults = c.run()
    for f in faults:
        print(f)
    scanned = sum(1 for p in c.files if is_text(p) and p != SELF)
    print(f"references: {c.refs} checked in {scanned} files, "
          f"{len(faults)} dangling")
    if c.refs == 0:
        # A tree inside another checkout, or git failing: nothing was read.
        print(f"references: none found under {root}: nothing was checked")
        return 1
    return 1 if faults else 0


# ---------------------------------------------------------------- self-test

FAKE = {
    "docs/A.md": "# A\n\n## Header\n\n## ASCII armor\n\n## Start-up: where it goes\n"
                 "\n```sh\n# not a heading\n```\n",
    "src/ok.c": '/* docs/A.md, "Header"; A.md "ASCII armor"; docs/A.md, "Start-up";\n'
                " * docs/A.md#ascii-armor; the tail of docs/A.md,\n"
                ' * "Header"; RFC 4648 section 4; docs/tests/NAME.sh; tests/*.sh */\n',
    "docs/B.md": "# B\n\nSee [armor](A.md#ascii-armor) and [here](#b).\n",
    "src/bad_file.c": "/* see docs/Missing.md */\n",
    "src/bad_title.c": '/* docs/A.md, "Trailer" */\n',
    "src/bad_wrapped_title.c": "/* the tail of docs/A.md,\n * \"Footer\" */\n",
    "src/bad_number.c": "/* docs/A.md section 3 */\n",
    "src/bad_number_short.py": "# DESIGN 4.8, and A.md 2\n",
    "src/bad_path.sh": "# moved: libenvelope/gone.c\n",
    "src/bad_split_title.c": '/* docs/A.md, "ASCII\n * armor" */\n',
    "docs/D.md": "# D\n\n`ok.c` and `keep.sh`; `fuzz_NAME.c`; `aws/gone.c`\n",
    "docs/C.md": "# C\n\n[no anchor](A.md#nope), [fine](B.md)\n",
    "tests/keep.sh": "true\n",
}

# (file, a piece of the reference, a piece of the reason)
EXPECTED = [
    ("src/bad_file.c:1", "docs/Missing.md", "no file docs/Missing.md"),
    ("src/bad_title.c:1", '"Trailer"', 'no heading titled "Trailer" in docs/A.md'),
    ("src/bad_wrapped_title.c:1", '"Footer"', 'no heading titled "Footer"'),
    ("src/bad_number.c:1", "section 3", "by its number"),
    ("src/bad_number_short.py:1", "DESIGN 4.8", "by its number"),
    ("src/bad_number_short.py:1", "A.md 2", "by its number"),
    ("src/bad_path.sh:1", "libenvelope/gone.c", "no such file"),
    ("src/bad_split_title.c:1", '"ASCII', "split over two lines"),
    ("docs/D.md:3", "aws/gone.c", "no such C file"),
    ("docs/C.md:3", "A.md#nope", "no heading with anchor #nope"),
]


def selftest():
    with tempfile.TemporaryDirectory() as root:
        for path, text in FAKE.items():
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
        subprocess.run(["git", "-C", root, "init", "-q"], check=True)
        subprocess.run(["git", "-C", root, "add", "."], check=True)
        faults = Checker(root).run()
        # Without git (a tarball on a machine that has none): the same faults.
        path = os.environ.get("PATH", "")
        os.environ["PATH"] = ""
        try:
            no_git = Checker(root).run()
        finally:
            os.environ["PATH"] = path
    bad = 0
    if sorted(no_git) != sorted(faults):
        print(f"selftest: without git, reported {len(no_git)} faults, not the same "
              f"{len(faults)}: {sorted(set(no_git) ^ set(faults))[:3]}")
        bad += 1
    for where, ref, why in EXPECTED:
        if not any(f.startswith(where + ":") and ref in f and why in f for f in faults):
            print(f"selftest: not reported: {where}: {ref} ({why})")
            bad += 1
    for f in faults:
        if not any(f.startswith(w + ":") and r in f for w, r, _ in EXPECTED):
            print(f"selftest: reported wrongly: {f}")
            bad += 1
    with tempfile.TemporaryDirectory() as root:
        subprocess.run(["git", "-C", root, "init", "-q"], check=True)
        with open(os.path.join(root, "untracked.md"), "w") as f:
            f.write("see docs/Missing.md\n")
        with contextlib.redirect_stdout(io.StringIO()) as said:
            rc = check(root)
        if rc != 1:
            print(f"selftest: a tree with no tracked file passed: {said.getvalue().strip()}")
            bad += 1
    print(f"check-refs selftest: {len(EXPECTED)} faults planted, {len(faults)} reported, "
          f"{bad} problem(s)")
    return 1 if bad else 0


def main(argv):
    if argv[1:] == ["--selftest"]:
        return selftest()
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith("-")):
        print("usage: check-refs.py [ROOT] | --selftest", file=sys.stderr)
        return 2
    root = argv[1] if len(argv) == 2 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return check(root)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
