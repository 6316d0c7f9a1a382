"""No dependency cycle between the given object files.

An object depends on another when it uses a symbol the other defines, as
nm lists them. A cycle is printed with the symbols behind each of its
edges, and the check fails.

    /usr/bin/python3 tests/check-deps.py OBJECT.o...
"""

import collections
import os
import subprocess
import sys


def symbols(objects):
    """(defined, used): symbol -> object, and object -> symbols."""
    out = subprocess.run(["nm", "-A", "-P"] + objects, check=True,
                         capture_output=True, text=True).stdout
    defined, used = {}, collections.defaultdict(set)
    for line in out.splitlines():
        path, rest = line.split(": ", 1)
        fields = rest.split()
        if len(fields) < 2:
            continue
        name, kind = fields[0], fields[1]
        if kind == "U":
            used[path].add(name)
        elif kind in "TDBRCV" and kind.isupper():
            defined[name] = path
    return defined, used


def edges(objects):
    """object -> {object it depends on: the symbols behind the edge}."""
    defined, used = symbols(objects)
    graph = {o: collections.defaultdict(set) for o in objects}
    for obj, names in used.items():
        for name in names:
            if name in defined and defined[name] != obj:
                graph[obj][defined[name]].add(name)
    return graph


def cycles(graph):
    """The strongly connected components of more than one object
    (Tarjan's, without recursion)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def name(path):
    return os.path.splitext(os.path.basename(path))[0]


def main(objects):
    if not objects:
        print("usage: check-deps.py OBJECT.o...", file=sys.stderr)
        return 2
    graph = edges(objects)
    found = cycles(graph)
    for component in found:
        print("cycle between %s:" % " ".join(name(o) for o in component))
        for obj in component:
            for dep in sorted(set(graph[obj]) & set(component)):
                print("  %s -> %s (%s)" % (name(obj), name(dep),
                                           " ".join(sorted(graph[obj][dep]))))
    if found:
        print("0 passed, 1 failed")
        return 1
    print("deps: %d objects, no cycle" % len(objects))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
