#!/usr/bin/env python3
"""Times numpy's inverse of the EASE Gram matrices that `npm run bench:ease` writes.

A benchmark helper, not part of the product: scripts/bench-ease.ts writes each Gram matrix
G = X^T X + lambda I (the matrix the trainer's exact EASE inverts) as raw little-endian
float64, n x n row-major, and runs this script once per timing, interleaved with its own
solver, so that both are measured under the same load. numpy.linalg.inv is LAPACK's
getrf + getri through numpy's BLAS (OpenBLAS here), on every core it is allowed.

  python3 scripts/reference/ease_reference.py GRAM.f64 N [--out P.f64]

Prints one JSON line: {"n", "seconds", "blas"}; with --out it writes the inverse in the
same format, so the benchmark can compare the two inverses entry by entry.
"""
import argparse
import json
import sys
import time

import numpy as np


def blas_name():
    """The BLAS numpy was built against, as numpy reports it (best effort)."""
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # pragma: no cover - older numpy
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gram")
    ap.add_argument("n", type=int)
    ap.add_argument("--out")
    args = ap.parse_args()
    g = np.fromfile(args.gram, dtype="<f8")
    if g.size != args.n * args.n:
        sys.exit(f"ease_reference: {args.gram} holds {g.size} values, not {args.n} x {args.n}")
    g = g.reshape(args.n, args.n)
    t0 = time.perf_counter()
    p = np.linalg.inv(g)
    seconds = time.perf_counter() - t0
    if args.out:
        p.astype("<f8").tofile(args.out)
    print(json.dumps({"n": args.n, "seconds": seconds, "blas": blas_name()}))


if __name__ == "__main__":
    main()
