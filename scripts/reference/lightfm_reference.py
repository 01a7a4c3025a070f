#!/usr/bin/env python3
"""Runs LightFM itself on the fixed benchmark splits, seed by seed, for comparison.

anchors.json holds one LightFM run per cell (random_state 42). Where a metric is at noise
level, one run says little; this script measures LightFM with the same seeds as
`npm run bench:lightfm`, so both sides can be compared run for run, mean for mean.

Same protocol as scripts/bench-lightfm.ts: dim 32, learning rate 0.05, adagrad, 30 epochs
on ml100k*, 20 on retail; cf = identity features only, hybrid = identity + metadata,
content = items by metadata only (ml100k-cold); feature rows normalised to sum 1. Ids are
numbered in the order the trainer's Dataset uses: first appearance in train.csv, then in
the feature files (cf too: they list the catalog); test rows with ids unknown to both are
skipped.

Metrics: computed here from LightFM's own user and item representations, with the
semantics of trainer/eval/metrics.ts (those of ../shared/bench/README.md): train positives
leave the ranking; on ml100k-cold only the items in test and not in train are ranked; ties
are broken uniformly at random and each metric is its expected value. lightfm.evaluation
itself counts every tie against the positive, which sinks the content model (items with
the same genres share a score); without ties the two agree.

Needs Python 3 with LightFM importable (`pip install lightfm==1.17`, or a source build on
PYTHONPATH), numpy and scipy. It is a benchmark helper, not part of the product.

  python3 scripts/reference/lightfm_reference.py [--bench ../shared/bench] [--seeds 1,2,3 | 1-30]
      [--threads 2] [--only ml100k,ml100k/hybrid] [--losses warp,bpr]
      [--out benchmarks/lightfm-reference.json]

Runs already in the output file for another (dataset, variant, loss, seed) are kept, so
cells can be measured in several calls; a cell measured again replaces its old run.
"""
import argparse
import csv
import json
import os
import platform
import sys
import time

import numpy as np
import scipy.sparse as sp

try:
    import lightfm
    from lightfm import LightFM
except ImportError as err:  # pragma: no cover - depends on the machine
    sys.exit(f"lightfm_reference: cannot import LightFM ({err}). Install it "
             "(pip install lightfm==1.17) or put a source build on PYTHONPATH.")

# (dataset, variant, epochs): the cells of scripts/bench-lightfm.ts.
CASES = [
    ("ml100k", "cf", 30),
    ("ml100k", "hybrid", 30),
    ("ml100k-cold", "content", 30),
    ("ml100k-cold", "hybrid", 30),
    ("retail", "cf", 20),
    ("retail", "hybrid", 20),
]
LOSSES = ["logistic", "bpr", "warp", "warp-kos"]
HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(os.path.dirname(HERE))


def read_pairs(path):
    """Rows of a two-column CSV with a header, as (first, second) string pairs."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = csv.reader(fh)
        next(rows)
        return [(r[0], r[1]) for r in rows if len(r) >= 2]


class Index:
    """External id -> dense index, numbered in order of first sight."""

    def __init__(self):
        self.ids = {}

    def add(self, key):
        return self.ids.setdefault(key, len(self.ids))

    def __len__(self):
        return len(self.ids)


def feature_matrix(n_rows, rows_index, pairs, with_identity):
    """Rows: entity; columns: [identity block] + metadata features; each row sums to 1."""
    names = Index()
    for _, f in pairs:
        names.add(f)
    offset = n_rows if with_identity else 0
    r, c = [], []
    if with_identity:
        r.extend(range(n_rows))
        c.extend(range(n_rows))
    for key, f in pairs:
        r.append(rows_index.ids[key])
        c.append(offset + names.ids[f])
    m = sp.coo_matrix((np.ones(len(r), dtype=np.float32), (r, c)),
                      shape=(n_rows, offset + len(names))).tocsr()
    m.sum_duplicates()
    sums = np.asarray(m.sum(axis=1)).ravel()
    sums[sums == 0] = 1
    return sp.csr_matrix(sp.diags(1 / sums) @ m, dtype=np.float32)


def load(bench, dataset, variant):
    folder = os.path.join(bench, dataset)
    train = read_pairs(os.path.join(folder, "train.csv"))
    test = read_pairs(os.path.join(folder, "test.csv"))
    with_features = variant != "cf"
    # The feature files list the whole catalog: every variant ranks all of it (cf registers
    # the ids only), as anchors.json does.
    item_pairs = read_pairs(os.path.join(folder, "item_features.csv"))
    user_pairs = read_pairs(os.path.join(folder, "user_features.csv"))

    users, items = Index(), Index()
    for u, i in train:
        users.add(u)
        items.add(i)
    for i, _ in item_pairs:
        items.add(i)
    for u, _ in user_pairs:
        users.add(u)

    def interactions(pairs):
        kept = [(users.ids[u], items.ids[i]) for u, i in pairs if u in users.ids and i in items.ids]
        r = [u for u, _ in kept]
        c = [i for _, i in kept]
        m = sp.coo_matrix((np.ones(len(kept), dtype=np.float32), (r, c)), shape=(len(users), len(items)))
        m.sum_duplicates()
        m.data[:] = 1
        return m

    train_m = interactions(train).tocsr()
    test_m = interactions(test).tocsr()
    candidates = None
    if dataset == "ml100k-cold":
        warm = np.zeros(len(items), dtype=bool)
        warm[train_m.indices] = True
        cold = np.zeros(len(items), dtype=bool)
        cold[test_m.indices] = True
        candidates = np.flatnonzero(cold & ~warm)

    user_features = item_features = None
    if with_features:
        user_features = feature_matrix(len(users), users, user_pairs, True)
        item_features = feature_matrix(len(items), items, item_pairs, variant != "content")
    return {
        "train": train_m,
        "test": test_m,
        "candidates": candidates,
        "user_features": user_features,
        "item_features": item_features,
    }


def scores_for(user_repr, item_repr):
    """user x item scores in float64, each a plain sum over the same terms, so that items with
    equal representations tie exactly (as they do in the trainer's scorer)."""
    return (user_repr[:, None, :] * item_repr[None, :, :]).sum(axis=2)


def rank_metrics(model, data, k=10):
    """Mean p@k and AUC over users with a test positive among the candidates."""
    user_bias, user_emb = model.get_user_representations(data["user_features"])
    item_bias, item_emb = model.get_item_representations(data["item_features"])
    # score = u . i + b_u + b_i, written as one dot product of extended vectors
    users = np.hstack([user_emb, user_bias[:, None], np.ones((len(user_bias), 1))]).astype(np.float64)
    items = np.hstack([item_emb, np.ones((len(item_bias), 1)), item_bias[:, None]]).astype(np.float64)
    train, test, candidates = data["train"], data["test"], data["candidates"]
    n_items = items.shape[0]
    allowed = np.ones(n_items, dtype=bool)
    if candidates is not None:
        allowed[:] = False
        allowed[candidates] = True
    precision, auc = [], []
    for start in range(0, test.shape[0], 64):  # 64 users at a time bound the memory
        block = scores_for(users[start:start + 64], items)
        for row in range(block.shape[0]):
            u = start + row
            positives = test.indices[test.indptr[u]:test.indptr[u + 1]]
            positives = positives[allowed[positives]]
            if len(positives) == 0:
                continue
            pool = allowed.copy()
            pool[train.indices[train.indptr[u]:train.indptr[u + 1]]] = False
            s = block[row]
            ranked = np.sort(s[pool])
            pos_s = s[positives]
            in_pool = pool[positives]
            lo = np.searchsorted(ranked, pos_s, side="left")
            hi = np.searchsorted(ranked, pos_s, side="right")
            above = len(ranked) - hi
            equal = hi - lo - in_pool
            # expected hits in the top k when ties are ordered at random
            hits = np.where(above < k, np.minimum(1.0, (k - above) / (equal + 1)), 0.0).sum()
            precision.append(hits / k)
            # negatives = pool minus the positives in it; other positives above/tied don't count
            other = in_pool[None, :] & ~np.eye(len(positives), dtype=bool)
            pos_gt = ((pos_s[None, :] > pos_s[:, None]) & other).sum(axis=1)
            pos_eq = ((pos_s[None, :] == pos_s[:, None]) & other).sum(axis=1)
            negatives = len(ranked) - in_pool.sum()
            if negatives > 0:
                wrong = (above - pos_gt) + (equal - pos_eq) / 2
                auc.append(float(np.mean(1 - wrong / negatives)))
            else:
                auc.append(0.5)
    return float(np.mean(precision)), float(np.mean(auc))


def run(data, loss, seed, epochs, threads):
    model = LightFM(no_components=32, learning_rate=0.05, learning_schedule="adagrad",
                    loss=loss, random_state=seed)
    start = time.perf_counter()
    model.fit(data["train"], user_features=data["user_features"], item_features=data["item_features"],
              epochs=epochs, num_threads=threads)
    fit_s = time.perf_counter() - start
    p10, auc = rank_metrics(model, data)
    return {"fit_s": round(fit_s, 4), "p@10": p10, "auc": auc}


def parse_seeds(text):
    """ "1,2,3", "1-30" or "1-3,42" -> list of seeds."""
    seeds = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            sys.exit(f"lightfm_reference: --seeds: cannot read {part!r}; write 1,2,3 or a range 1-30")
        seeds.extend(range(int(first), int(last or first) + 1))
    return seeds


def wanted(only, dataset, variant):
    return only is None or dataset in only or f"{dataset}/{variant}" in only


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", default=os.path.join(PROJECT, "..", "shared", "bench"))
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", help="datasets or dataset/variant cells, comma-separated")
    parser.add_argument("--losses", default=",".join(LOSSES))
    parser.add_argument("--out", default=os.path.join(PROJECT, "benchmarks", "lightfm-reference.json"))
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds)
    losses = args.losses.split(",")
    for loss in losses:
        if loss not in LOSSES:
            sys.exit(f"lightfm_reference: unknown loss {loss!r}; use one of {', '.join(LOSSES)}")
    only = set(args.only.split(",")) if args.only else None
    if not os.path.isdir(args.bench):
        sys.exit(f"lightfm_reference: no benchmark folder at {args.bench}; pass --bench DIR")

    previous = []
    if os.path.exists(args.out):
        with open(args.out) as fh:
            previous = json.load(fh).get("runs", [])
    runs = []
    for dataset, variant, epochs in CASES:
        if not wanted(only, dataset, variant):
            continue
        data = load(args.bench, dataset, variant)
        for loss in losses:
            for seed in seeds:
                result = run(data, loss, seed, epochs, args.threads)
                runs.append({"dataset": dataset, "variant": variant, "loss": loss, "seed": seed,
                             "epochs": epochs, "threads": args.threads, **result})
                print(f"{dataset:<12} {variant:<8} {loss:<9} seed {seed:<3} fit {result['fit_s']:7.2f} s  "
                      f"p@10 {result['p@10']:.4f}  auc {result['auc']:.4f}", flush=True)

    key = lambda r: (r["dataset"], r["variant"], r["loss"], r["seed"])  # noqa: E731
    fresh = {key(r) for r in runs}
    kept = [r for r in previous if key(r) not in fresh]
    out = {
        "system": "lightfm",
        "lightfm": getattr(lightfm, "__version__", "unknown"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "protocol": {"dim": 32, "lr": 0.05, "schedule": "adagrad", "threads": args.threads},
        "runs": sorted(kept + runs, key=key),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"wrote {len(runs)} run(s) to {args.out} ({len(out['runs'])} in the file)")


if __name__ == "__main__":
    main()
