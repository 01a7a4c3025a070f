import { csrFromCoo, type Csr } from '../../data/sparse.js';
import { Random } from '../../util/random.js';

/** A users x items matrix from (user, item, weight) triples, for hand-written examples. */
export function csrOf(users: number, items: number, entries: readonly (readonly [number, number, number?])[]): Csr {
  return csrFromCoo(
    users,
    items,
    Int32Array.from(entries, (e) => e[0]),
    Int32Array.from(entries, (e) => e[1]),
    Float32Array.from(entries, (e) => e[2] ?? 1),
  );
}

/**
 * Random interactions: each (user, item) pair is present with probability `density`, with
 * weight 1 or, with `weighted`, a weight in [0.5, 3). Every user gets at least one item.
 */
export function randomInteractions(opts: { users: number; items: number; density: number; seed?: number; weighted?: boolean }): Csr {
  const rng = new Random(opts.seed ?? 1);
  const entries: [number, number, number][] = [];
  for (let u = 0; u < opts.users; u++) {
    let any = false;
    for (let i = 0; i < opts.items; i++) {
      if (rng.next() >= opts.density) continue;
      entries.push([u, i, opts.weighted ? 0.5 + 2.5 * rng.next() : 1]);
      any = true;
    }
    if (!any) entries.push([u, rng.int(opts.items), 1]);
  }
  return csrOf(opts.users, opts.items, entries);
}

/** Row r of a CSR matrix as a dense array. */
export function denseRow(m: Csr, r: number): number[] {
  const row = new Array<number>(m.cols).fill(0);
  for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) row[m.indices[p]] = m.data[p];
  return row;
}
