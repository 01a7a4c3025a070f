#!/usr/bin/env python3
"""Times LightFM's epochs on the exact matrices `npm run bench:warp` trains on.

A benchmark helper, not part of the product. scripts/bench-warp.ts writes, for one case,
the interactions (COO: users and items as little-endian int32, weights as float32) and the
user and item feature matrices (CSR: indptr and indices int32, data float32), then runs this
script between its own runs, so that both sides are timed on the same data under the same
load. It trains LightFM(loss, no_components=dim, learning_rate, adagrad, max_sampled 10)
with fit_partial one epoch at a time, as the trainer's epochs are timed.

  PYTHONPATH=/path/to/lightfm python3 scripts/reference/lightfm_epoch.py DIR \
      --epochs 5 --threads 2 --dim 32 --loss warp --seed 1

DIR holds meta.json ({"users", "items", "user_features", "item_features"}) and the .bin
files. Prints one JSON line: {"epoch_s": [...], "lightfm": version}.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import scipy.sparse as sp

try:
    import lightfm
    from lightfm import LightFM
except ImportError as err:  # pragma: no cover - depends on the machine
    sys.exit(f"lightfm_epoch: cannot import LightFM ({err}). Install it (pip install lightfm==1.17) or put a source build on PYTHONPATH.")


def read(dir_, name, dtype):
    return np.fromfile(os.path.join(dir_, name + ".bin"), dtype=dtype)


def csr(dir_, prefix, rows, cols):
    return sp.csr_matrix(
        (read(dir_, prefix + ".data", "<f4"), read(dir_, prefix + ".indices", "<i4"), read(dir_, prefix + ".indptr", "<i4")),
        shape=(rows, cols),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--loss", default="warp")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with open(os.path.join(args.dir, "meta.json")) as fh:
        meta = json.load(fh)
    users = read(args.dir, "users", "<i4")
    items = read(args.dir, "items", "<i4")
    weights = read(args.dir, "weights", "<f4")
    shape = (meta["users"], meta["items"])
    interactions = sp.coo_matrix((np.ones_like(weights), (users, items)), shape=shape)
    sample_weight = sp.coo_matrix((weights, (users, items)), shape=shape)
    uf = csr(args.dir, "user_features", meta["users"], meta["user_features"])
    itf = csr(args.dir, "item_features", meta["items"], meta["item_features"])
    model = LightFM(loss=args.loss, no_components=args.dim, learning_rate=args.lr, learning_schedule="adagrad", random_state=args.seed)
    times = []
    for _ in range(args.epochs):
        t0 = time.perf_counter()
        model.fit_partial(interactions, user_features=uf, item_features=itf, sample_weight=sample_weight, epochs=1, num_threads=args.threads)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"epoch_s": times, "lightfm": getattr(lightfm, "__version__", "?")}))


if __name__ == "__main__":
    main()
