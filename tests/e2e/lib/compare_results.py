"""Compares every dataset and trial attribute under /tasks of two results files bit for bit.

Usage: compare_results.py A.h5 B.h5. Provenance attributes on the root (times, command line)
and the wall-time datasets named "seconds" are not compared. Exits 0 when identical, 1 with the differences otherwise.
"""
import sys

import h5py
import numpy as np

differences = []


def visit(a, b, path):
    if set(a.keys()) != set(b.keys()):
        differences.append("%s: members %s vs %s" % (path, sorted(a.keys()), sorted(b.keys())))
        return
    for name in set(a.attrs.keys()) | set(b.attrs.keys()):
        va, vb = a.attrs.get(name), b.attrs.get(name)
        if not np.array_equal(np.asarray(va), np.asarray(vb), equal_nan=isinstance(va, float)):
            differences.append("%s@%s: %r vs %r" % (path, name, va, vb))
    for name in a.keys():
        if name == "seconds":
            continue
        x, y = a[name], b[name]
        if isinstance(x, h5py.Group):
            visit(x, y, path + "/" + name)
            continue
        vx, vy = x[()], y[()]
        same = vx.shape == vy.shape and vx.dtype == vy.dtype
        if same and vx.dtype.kind == "f":
            same = np.array_equal(vx.view(np.uint64) if vx.dtype.itemsize == 8 else vx,
                                  vy.view(np.uint64) if vy.dtype.itemsize == 8 else vy)
        elif same:
            same = np.array_equal(vx, vy)
        if not same:
            differences.append("%s/%s differs" % (path, name))


with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    visit(a["tasks"], b["tasks"], "/tasks")
for d in differences[:20]:
    print(d)
sys.exit(1 if differences else 0)
