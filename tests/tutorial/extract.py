"""Writes each ```sh block of a Markdown file to DIR/NN.sh and prints one
line per block: "NN ROLE first-line". A block's role comes from the
<!-- as: ROLE --> comment right before it; a sh block without one is an
error, so no command in the document goes untested."""
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
out = sys.argv[2]
pattern = re.compile(r"(?:<!-- as: (\w+) -->\n)?```(\w*)\n(.*?)```", re.S)
n = 0
for m in pattern.finditer(text):
    role, lang, body = m.group(1), m.group(2), m.group(3)
    if lang != "sh":
        continue
    if role is None:
        sys.exit("a sh block has no <!-- as: ROLE --> comment: " + body.splitlines()[0])
    n += 1
    with open(f"{out}/{n:02d}.sh", "w", encoding="utf-8") as f:
        f.write(body)
    print(f"{n:02d} {role} {body.splitlines()[0]}")
