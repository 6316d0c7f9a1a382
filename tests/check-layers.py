#!/usr/bin/python3
"""The library's dependency rules, checked on its objects (docs/DESIGN.md,
"Layers").

Which object needs which is read from `nm` on libenvelope.a: an object that
leaves a symbol undefined depends on the object that defines it. Four rules:

  * a folder uses only the folders its layer may use (LAYERS below);
  * no cycle between files, even inside a folder;
  * nothing outside aws/ reaches into it but the key backend table
    (keys/backends.o);
  * no object calls a library that is loaded with dlopen (libcurl,
    libxml2, libarchive) by name: only through the table its loader
    (aws/curl_dl.c, aws/xml_dl.c, pipeline/archive_dl.c) fills with dlsym,
    or the library would be linked back in.

Every source must have its object in the archive and every line of nm's
output must be read: a graph missing either would pass unseen. Types and
macros leave no symbol, so the first rule is also checked on the sources'
include lines (`"folder/file.h"`, `"../folder/file.h"`, `<folder/file.h>`).

Usage: check-layers.py LIBENVELOPE.A SOURCE_DIR
       check-layers.py --selftest
"""
import collections
import os
import re
import subprocess
import sys
import tempfile

# Each folder of libenvelope/ ("" is the top: the public entry points), and
# the folders its files may call. Read from the bottom up.
LAYERS = {
    "base": {"base"},
    "io": {"base", "io"},
    "format": {"base", "io", "format"},
    "keys": {"base", "io", "format", "keys"},
    "aws": {"base", "io", "format", "keys", "aws"},
    "pipeline": {"base", "io", "format", "keys", "pipeline"},
    "": {"base", "io", "format", "keys", "pipeline", ""},
}
# The one object allowed to name a backend that lives in a folder of its own.
BACKEND_TABLE = "keys/backends.o"
BACKEND_FOLDERS = {"aws"}
# Libraries loaded with dlopen, by the prefix of their functions' names.
DLOPENED = {"curl_": "libcurl", "xml": "libxml2", "archive_": "libarchive"}
# Objects allowed to call one of them by name anyway, and which: none.
STILL_LINKED = {}


def folders_of(source_dir):
    """Object name -> folder, from the sources; object names must be unique,
    since the archive keeps only base names."""
    where, problems = {}, []
    for root, _, files in os.walk(source_dir):
        for f in sorted(files):
            if not f.endswith(".c"):
                continue
            folder = os.path.relpath(root, source_dir)
            folder = "" if folder == "." else folder
            obj = f[:-2] + ".o"
            if obj in where:
                problems.append("two sources make %s: %s/ and %s/" % (obj, where[obj] or ".", folder or "."))
            where[obj] = folder
    return where, problems


# "folder/file.h", "../folder/file.h" or <folder/file.h>: each reaches the
# same header through -Ilibenvelope or the including file's own folder.
INCLUDE = re.compile(r'^\s*#\s*include\s+(?:"((?:\.\.?/)*)([a-z_0-9]+)/[^"]+"|<([a-z_0-9]+)/[^>]+>)', re.M)


def include_target(folder, m):
    """The folder an include line reaches, or None for a system header."""
    if m.group(3) is not None:
        return m.group(3) if m.group(3) in LAYERS else None
    if not m.group(1):
        return m.group(2)
    target = os.path.normpath(os.path.join(folder, m.group(1), m.group(2)))
    return "" if target == "." else target


def include_problems(source_dir):
    """The folder rule on the sources' include lines."""
    problems = []
    for root, dirs, files in os.walk(source_dir):
        dirs.sort()
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            folder = os.path.relpath(root, source_dir)
            folder = "" if folder == "." else folder
            path = os.path.join(root, f)
            with open(path, encoding="utf-8") as src:
                text = src.read()
            for m in INCLUDE.finditer(text):
                target = include_target(folder, m)
                if target is None:
                    continue
                rel = "%s/%s" % (folder, f) if folder else f
                if rel.replace(".c", ".o") == BACKEND_TABLE and target in BACKEND_FOLDERS:
                    continue
                if folder in LAYERS and target in LAYERS and target not in LAYERS[folder]:
                    line = text.count("\n", 0, m.start()) + 1
                    problems.append("%s:%d: includes %s/: %s may not use it" % (
                        os.path.join(source_dir, rel), line, target, (folder or "the top") + "/" * bool(folder)))
                elif target not in LAYERS:
                    line = text.count("\n", 0, m.start()) + 1
                    problems.append("%s:%d: includes from %s/, which has no layer rule" % (
                        os.path.join(source_dir, rel), line, target))
    return problems


# One line of `nm -A` on an archive, GNU's "lib.a:x.o:0000 T sym" and
# llvm-nm's "lib.a:x.o: 0000 T sym" alike; undefined symbols have no value.
NM_LINE = re.compile(r"^.*:([^:\s]+\.o):\s*(?:[0-9a-fA-F]+\s+)?([A-Za-z?-])\s+(\S+)\s*$")
# Global definitions: code, data, read-only data, bss, common, weak, GNU's
# indirect functions and unique globals.
DEFINED = set("TDRBCGSVWiu")


def graph_from_nm(nm_text):
    """Object -> set of objects it needs, from `nm -A` output, and the lines
    that could not be read: a line skipped would hide its dependency."""
    defined, needs, unread = {}, collections.defaultdict(set), []
    for line in nm_text.splitlines():
        if not line.strip():
            continue
        m = NM_LINE.match(line)
        if m is None:
            unread.append(line)
            continue
        obj, kind, sym = m.groups()
        needs.setdefault(obj, set())
        if kind in DEFINED:
            defined[sym] = obj
        elif kind == "U":
            needs[obj].add(sym)
    graph = {o: set() for o in set(defined.values()) | set(needs)}
    for obj, syms in needs.items():
        for s in syms:
            if s in defined and defined[s] != obj:
                graph[obj].add(defined[s])
    return graph, unread


def outside_calls(nm_text):
    """Object -> the symbols it leaves undefined that no object of the
    archive defines: calls into other libraries."""
    defined, undefined = set(), collections.defaultdict(set)
    for line in nm_text.splitlines():
        m = NM_LINE.match(line)
        if m is None:
            continue
        obj, kind, sym = m.groups()
        if kind in DEFINED:
            defined.add(sym)
        elif kind == "U":
            undefined[obj].add(sym)
    return {o: syms - defined for o, syms in undefined.items() if syms - defined}


def dlopen_problems(calls, where, still_linked=None):
    """The dlopen rule on outside_calls()'s answer; still_linked: object ->
    library it may call by name (STILL_LINKED), each such leave used."""
    still_linked = STILL_LINKED if still_linked is None else still_linked
    name = lambda o: "%s/%s" % (where[o], o) if where.get(o) else o
    problems, used = [], set()
    for o in sorted(calls):
        for prefix, lib in sorted(DLOPENED.items()):
            syms = sorted(s for s in calls[o] if s.startswith(prefix))
            if not syms:
                continue
            if still_linked.get(o) == lib:
                used.add(o)
                continue
            problems.append("%s calls %s by name (%s): %s is loaded with dlopen, call it "
                            "through its loader's table" % (name(o), lib, ", ".join(syms[:3]) +
                                                            (", ..." if len(syms) > 3 else ""), lib))
    for o in sorted(set(still_linked) - used):
        problems.append("%s may call %s by name but does not: drop it from STILL_LINKED" % (
            name(o), still_linked[o]))
    return problems


def cycles(graph):
    """The strongly connected components of more than one object (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def check(graph, where):
    def name(o):
        return "%s/%s" % (where[o], o) if where.get(o) else o

    problems = []
    for o in sorted(graph):
        if o not in where:
            problems.append("%s: no source file for this object" % o)
    # An object the graph lacks would pass every rule unseen.
    for o in sorted(where):
        if o not in graph:
            problems.append("%s: a source whose object nm did not show in the archive" % name(o))
    into_backends = set()
    for o in sorted(graph):
        for d in sorted(graph[o]):
            fo, fd = where.get(o), where.get(d)
            if fo is None or fd is None:
                continue
            if fd in BACKEND_FOLDERS and fo != fd:
                into_backends.add(o)
                if name(o) == BACKEND_TABLE:
                    continue
            if fo not in LAYERS:
                problems.append("%s: folder %s/ has no layer rule" % (name(o), fo))
            elif fd not in LAYERS[fo]:
                problems.append("%s -> %s: %s may not use %s" % (
                    name(o), name(d), (fo or "the top") + "/" * bool(fo), (fd or "the top") + "/" * bool(fd)))
    extra = sorted(name(o) for o in into_backends if name(o) != BACKEND_TABLE)
    if extra:
        problems.append("objects other than %s reach into %s: %s" % (
            BACKEND_TABLE, ", ".join(sorted(BACKEND_FOLDERS)), ", ".join(extra)))
    for comp in cycles(graph):
        members = set(comp)
        edges = ["%s -> %s" % (name(a), name(b)) for a in comp for b in sorted(graph[a]) if b in members]
        problems.append("cycle of %d files: %s" % (len(comp), "; ".join(edges)))
    return problems


def selftest():
    where = {"context.o": "base", "fail.o": "base", "stream.o": "format", "keys.o": "keys",
             "backends.o": "keys", "kms_key.o": "aws", "kms.o": "aws", "seal.o": "pipeline",
             "api.o": ""}
    sound = {"context.o": {"fail.o"}, "fail.o": set(), "stream.o": {"fail.o"},
             "keys.o": {"fail.o", "stream.o"}, "backends.o": {"kms_key.o"},
             "kms_key.o": {"kms.o", "keys.o"}, "kms.o": {"fail.o"},
             "seal.o": {"keys.o", "stream.o"}, "api.o": {"seal.o"}}
    cases = [
        ("sound", {}, None),
        ("upward", {"fail.o": {"stream.o"}}, "base/fail.o -> format/stream.o: base/ may not use format/"),
        ("pipeline names aws", {"seal.o": {"kms.o"}}, "pipeline/seal.o -> aws/kms.o: pipeline/ may not use aws/"),
        ("second object into aws", {"keys.o": {"kms.o"}}, "objects other than keys/backends.o reach into aws: keys/keys.o"),
        ("cycle", {"kms.o": {"fail.o", "kms_key.o"}}, "cycle of 2 files: aws/kms.o -> aws/kms_key.o; aws/kms_key.o -> aws/kms.o"),
        ("unknown object", {"api.o": {"seal.o", "stray.o"}, "stray.o": set()}, "stray.o: no source file for this object"),
        ("object missing", {"kms.o": None}, "aws/kms.o: a source whose object nm did not show in the archive"),
    ]
    failed = 0
    for title, change, want in cases:
        graph = {k: set(v) for k, v in sound.items()}
        for k, v in change.items():
            if v is None:
                del graph[k]
            else:
                graph[k] = set(v)
        got = check(graph, where)
        ok = (got == []) if want is None else (want in got)
        if not ok:
            failed += 1
            print("selftest %s: want %r, got %r" % (title, want or "no problem", got))
    nm = ("build/libenvelope.a:a.o:0000000000000000 T a_fn\n"
          "build/libenvelope.a:a.o:                 U b_fn\n"
          "build/libenvelope.a:b.o:0000000000000040 T b_fn\n"
          "build/libenvelope.a:b.o:0000000000000000 b local_fn\n"
          "build/libenvelope.a:b.o:                 U a_fn\n"
          "build/libenvelope.a:b.o:                 U malloc\n")
    # llvm-nm puts a space between the object's name and a symbol's value.
    llvm = re.sub(r"\.o:(?=[0-9a-f])", ".o: ", nm)
    for style, text in (("GNU", nm), ("llvm", llvm)):
        g, unread = graph_from_nm(text)
        if g != {"a.o": {"b.o"}, "b.o": {"a.o"}} or cycles(g) != [["a.o", "b.o"]] or unread:
            failed += 1
            print("selftest nm parsing (%s): got %r, cycles %r, unread %r" % (style, g, cycles(g), unread))
    g, unread = graph_from_nm(nm + "build/libenvelope.a:b.o: T\n")
    if unread != ["build/libenvelope.a:b.o: T"]:
        failed += 1
        print("selftest nm line not understood: want it reported, got %r" % unread)
    dl_nm = ("lib.a:archive_dl.o:0000000000000000 T archive_dl_get\n"
             "lib.a:archive_dl.o:                 U dlsym\n"
             "lib.a:compat.o:                 U archive_dl_get\n"
             "lib.a:compat.o:                 U archive_write_new\n"
             "lib.a:bundle_read.o:                 U archive_read_new\n"
             "lib.a:http.o:                 U curl_easy_init\n")
    dl_where = {"archive_dl.o": "pipeline", "compat.o": "pipeline", "bundle_read.o": "format",
                "http.o": "aws"}
    got = dlopen_problems(outside_calls(dl_nm), dl_where,
                          {"bundle_read.o": "libarchive", "bundle_raw.o": "libarchive"})
    want = ["pipeline/compat.o calls libarchive by name (archive_write_new): libarchive is "
            "loaded with dlopen, call it through its loader's table",
            "aws/http.o calls libcurl by name (curl_easy_init): libcurl is loaded with dlopen, "
            "call it through its loader's table",
            "bundle_raw.o may call libarchive by name but does not: drop it from STILL_LINKED"]
    if got != want:
        failed += 1
        print("selftest dlopen: want %r, got %r" % (want, got))
    with tempfile.TemporaryDirectory() as tree:
        for rel, text in [("format/stream.c", '#include "base/buf.h"\n#include "keys/keys.h"\n'),
                          ("keys/backends.c", '#include "aws/kms_key.h"\n'),
                          ("keys/keys.c", '  # include "aws/kms.h"\n'),
                          ("keys/key_ops.c", '#include "../aws/kms.h"\n#include "keys.h"\n'),
                          ("pipeline/seal.c", '#include <openssl/evp.h>\n#include <aws/kms.h>\n')]:
            os.makedirs(os.path.join(tree, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(tree, rel), "w", encoding="utf-8") as out:
                out.write(text)
        got = include_problems(tree)
        want = [os.path.join(tree, "format/stream.c") + ":2: includes keys/: format/ may not use it",
                os.path.join(tree, "keys/key_ops.c") + ":1: includes aws/: keys/ may not use it",
                os.path.join(tree, "keys/keys.c") + ":1: includes aws/: keys/ may not use it",
                os.path.join(tree, "pipeline/seal.c") + ":2: includes aws/: pipeline/ may not use it"]
        if got != want:
            failed += 1
            print("selftest includes: want %r, got %r" % (want, got))
    total = len(cases) + 5
    print("check-layers selftest: %d of %d cases right" % (total - failed, total))
    return 1 if failed else 0


def main(argv):
    if argv[1:] == ["--selftest"]:
        return selftest()
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    lib, source_dir = argv[1], argv[2]
    nm = subprocess.run(["nm", "-A", lib], capture_output=True, text=True)
    if nm.returncode != 0:
        print("nm %s failed (exit %d): %s" % (lib, nm.returncode, nm.stderr.strip()[-500:]))
        return 1
    where, problems = folders_of(source_dir)
    problems += include_problems(source_dir)
    graph, unread = graph_from_nm(nm.stdout)
    problems += ["nm line not understood: %s" % line for line in unread[:5]]
    if len(unread) > 5:
        problems.append("... and %d more nm lines not understood" % (len(unread) - 5))
    problems += check(graph, where)
    problems += dlopen_problems(outside_calls(nm.stdout), where)
    edges = sum(len(v) for v in graph.values())
    if problems:
        for p in problems:
            print("layers: " + p)
        print("layers: %d problem(s) in %d objects, %d dependencies" % (len(problems), len(graph), edges))
        return 1
    reach = sorted("%s/%s" % (where[o], o) if where.get(o) else o for o in graph if any(where.get(d) in BACKEND_FOLDERS for d in graph[o])
                   and where.get(o) not in BACKEND_FOLDERS)
    print("layers: %d objects, %d dependencies, no cycle; into %s only from %s" % (
        len(graph), edges, "/".join(sorted(BACKEND_FOLDERS)) + "/", ", ".join(reach) or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
