#!/usr/bin/python3
"""Cut the small raw-source fixture under tests/fixtures/raw from a full fetch.

Usage: /usr/bin/python3 scripts/make-fixture.py DATA_DIR/raw tests/fixtures/raw

Only sources whose licences allow redistribution of excerpts are cut: Brown, the SpamAssassin
corpus, WordNet, the King James Bible and the Jargon File. FOLDOC (GFDL) is left out.
"""
import base64
import os
import shutil
import sys

src, dst = sys.argv[1], sys.argv[2]
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def copy(rel):
    os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
    shutil.copy(os.path.join(src, rel), os.path.join(dst, rel))


def head_lines(rel, keep):
    """Copy the lines of rel for which keep(index, line) is true."""
    with open(os.path.join(src, rel), "rb") as f:
        lines = f.readlines()
    os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
    with open(os.path.join(dst, rel), "wb") as f:
        f.writelines(l for i, l in enumerate(lines) if keep(i, l))


def b64(n):
    out = ""
    while True:
        out = B64[n % 64] + out
        n //= 64
        if n == 0:
            return out


# Brown: the first 60 non-blank lines of one file per genre used by the tiny preset.
files = {"ca01": "news", "ca02": "news", "cj01": "learned", "cj02": "learned",
         "ck01": "fiction", "cm01": "science_fiction"}
for name in files:
    seen = [0]

    def keep(i, line, seen=seen):
        if line.strip():
            seen[0] += 1
        return seen[0] <= 60

    head_lines(f"brown/{name}", keep)
with open(os.path.join(dst, "brown/cats.txt"), "w") as f:
    for name, genre in files.items():
        f.write(f"{name} {genre}\n")
copy("brown/README")
copy("brown/SOURCE")

# Mail: the smallest mails of one folder per kind that still carry prose.
for folder, count in (("easy-ham-1", 8), ("hard-ham-1", 3), ("spam-1", 10)):
    names = sorted(n for n in os.listdir(os.path.join(src, "mail", folder)) if n.endswith(".txt"))
    sizes = sorted((os.path.getsize(os.path.join(src, "mail", folder, n)), n) for n in names)
    chosen = [n for s, n in sizes if 2500 <= s <= 5000][:count]
    for n in chosen:
        copy(f"mail/{folder}/{n}")
copy("mail/LICENSE")
copy("mail/NOTICE")
copy("mail/SOURCE")

# WordNet: the licence header and the first 60 synsets of each part of speech.
for pos in ("noun", "verb", "adj", "adv"):
    count = [0]

    def keep(i, line, count=count):
        if line.startswith(b"  "):
            return True
        count[0] += 1
        return count[0] <= 60

    head_lines(f"wordnet/data.{pos}", keep)
copy("wordnet/copyright")
copy("wordnet/SOURCE")

# KJV: the first 120 verses and the first 60 verses of Matthew.
with open(os.path.join(src, "kjv/kjv.txt"), "rb") as f:
    verses = f.readlines()
matthew = next(i for i, l in enumerate(verses) if l.startswith(b"Mat1:1 "))
os.makedirs(os.path.join(dst, "kjv"), exist_ok=True)
with open(os.path.join(dst, "kjv/kjv.txt"), "wb") as f:
    f.writelines(verses[:120] + verses[matthew:matthew + 60])
copy("kjv/copyright")
copy("kjv/SOURCE")

# Jargon File: the database header entries and 60 entries of moderate length, re-indexed.
with open(os.path.join(src, "jargon/jargon.dict"), "rb") as f:
    dictionary = f.read()
with open(os.path.join(src, "jargon/jargon.index"), "rb") as f:
    index = [l.rstrip(b"\n").split(b"\t") for l in f]


def decode(s):
    n = 0
    for c in s.decode():
        n = n * 64 + B64.index(c)
    return n


entries = [(w, decode(o), decode(n)) for w, o, n in index]
meta = [e for e in entries if e[0].startswith(b"00")]
body = [e for e in entries if not e[0].startswith(b"00") and 200 <= e[2] <= 700][:60]
out_dict, out_index = b"", []
for word, offset, length in sorted(meta + body, key=lambda e: e[1]):
    out_index.append((word, len(out_dict), length))
    out_dict += dictionary[offset:offset + length]
os.makedirs(os.path.join(dst, "jargon"), exist_ok=True)
with open(os.path.join(dst, "jargon/jargon.dict"), "wb") as f:
    f.write(out_dict)
with open(os.path.join(dst, "jargon/jargon.index"), "wb") as f:
    for word, offset, length in sorted(out_index):
        f.write(word + b"\t" + b64(offset).encode() + b"\t" + b64(length).encode() + b"\n")
copy("jargon/copyright")
copy("jargon/SOURCE")
