import { csrFromCoo, type Csr } from '../../data/sparse.js';
import { Random } from '../../util/random.js';

/** A synthetic problem with planted structure, for tests and examples. */
export interface PlantedProblem {
  nUsers: number;
  nItems: number;
  users: Int32Array;
  items: Int32Array;
  /** 1 for positives; -1 for the explicit negatives (only with `negatives`). */
  weights: Float32Array;
  train: Csr;
  test: Csr;
  /** users x (users + clusters): identity plus the user's cluster, rows summing to 1. */
  userFeatures: Csr;
  /** items x (items + clusters): identity plus the item's cluster. */
  itemFeatures: Csr;
  userCluster: Int32Array;
  itemCluster: Int32Array;
}

/**
 * Users and items fall into `clusters` groups; each user likes a random share of the items
 * of its own group. A quarter of each user's positives are held out as test positives.
 * With `negatives`, every user also gets explicit negatives from other groups (for the
 * logistic loss, which needs both labels).
 */
export function plantedProblem(
  opts: { nUsers?: number; nItems?: number; clusters?: number; density?: number; negatives?: boolean; seed?: number } = {},
): PlantedProblem {
  const { nUsers = 60, nItems = 40, clusters = 4, density = 0.8, negatives = false, seed = 7 } = opts;
  const rng = new Random(seed);
  const userCluster = Int32Array.from({ length: nUsers }, (_, u) => u % clusters);
  const itemCluster = Int32Array.from({ length: nItems }, (_, i) => i % clusters);
  const tu: number[] = [];
  const ti: number[] = [];
  const tw: number[] = [];
  const su: number[] = [];
  const si: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) {
      if (itemCluster[i] === userCluster[u]) {
        if (rng.next() >= density) continue;
        if (rng.next() < 0.25) {
          su.push(u);
          si.push(i);
        } else {
          tu.push(u);
          ti.push(i);
          tw.push(1);
        }
      } else if (negatives && rng.next() < density / 2) {
        tu.push(u);
        ti.push(i);
        tw.push(-1);
      }
    }
  }
  const users = Int32Array.from(tu);
  const items = Int32Array.from(ti);
  const weights = Float32Array.from(tw);
  const posU = users.filter((_, k) => weights[k] > 0);
  const posI = items.filter((_, k) => weights[k] > 0);
  return {
    nUsers,
    nItems,
    users,
    items,
    weights,
    train: csrFromCoo(nUsers, nItems, posU, posI),
    test: csrFromCoo(nUsers, nItems, Int32Array.from(su), Int32Array.from(si)),
    userFeatures: identityPlusGroup(userCluster, clusters),
    itemFeatures: identityPlusGroup(itemCluster, clusters),
    userCluster,
    itemCluster,
  };
}

function identityPlusGroup(group: Int32Array, groups: number): Csr {
  const n = group.length;
  const rows = new Int32Array(2 * n);
  const cols = new Int32Array(2 * n);
  const vals = new Float32Array(2 * n).fill(0.5);
  for (let i = 0; i < n; i++) {
    rows[2 * i] = i;
    cols[2 * i] = i;
    rows[2 * i + 1] = i;
    cols[2 * i + 1] = n + group[i];
  }
  return csrFromCoo(n, n + groups, rows, cols, vals);
}
