"""Compare two duet results files: every dataset and attribute under /tasks must be exactly
equal (NaN equal to NaN), except the wall-clock `seconds` datasets. Exit 0 when equal, 1 with
the first differences listed otherwise. Run with /usr/bin/python3 (needs h5py and numpy)."""
import sys

import h5py
import numpy as np


def collect(path):
    items = {}

    def visit(name, obj):
        for key, value in obj.attrs.items():
            items["%s@%s" % (name, key)] = np.asarray(value)
        if isinstance(obj, h5py.Dataset) and name.rsplit("/", 1)[-1] != "seconds":
            items[name] = obj[()]

    with h5py.File(path, "r") as f:
        visit("tasks", f["tasks"])
        f["tasks"].visititems(lambda name, obj: visit("tasks/" + name, obj))
    return items


def equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return False
    if a.dtype.kind == "f":
        return np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


def main():
    left, right = collect(sys.argv[1]), collect(sys.argv[2])
    problems = []
    for key in sorted(set(left) | set(right)):
        if key not in left or key not in right:
            problems.append("%s: only in %s" % (key, sys.argv[1] if key in left else sys.argv[2]))
        elif not equal(left[key], right[key]):
            problems.append("%s: %r != %r" % (key, left[key], right[key]))
    for line in problems[:20]:
        print(line)
    if problems:
        print("%d differences between %s and %s" % (len(problems), sys.argv[1], sys.argv[2]))
        return 1
    print("equal: %d datasets and attributes under /tasks" % len(left))
    return 0


if __name__ == "__main__":
    sys.exit(main())
