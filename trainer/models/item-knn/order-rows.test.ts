import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../api.js';
import { InputError } from '../../data/errors.js';
import type { Csr } from '../../data/sparse.js';
import { loadModel } from '../load.js';
import type { ItemKnnModel } from './item-knn.js';

/**
 * Order-level item-item: the weights come from the order x item matrix (each order a row),
 * not the customer x item one. A small example worked by hand:
 *
 *   order  customer  items        customer rows (order lines per item)
 *   o1     u1        a, b         u1: a 1, b 2, c 1
 *   o2     u2        a, b         u2: a 2, b 1
 *   o3     u1        b, c
 *   o4     u2        a
 *
 * Order rows: G = XᵀX = [[3,2,0],[2,3,1],[0,1,1]]; with lambda 1, G + I = [[4,2,0],[2,4,1],[0,1,2]],
 * whose determinant is 20 and inverse P = 1/20 [[7,-4,2],[-4,8,-4],[2,-4,12]]. EASE's
 * B[i][j] = -P[i][j] / P[j][j]: row a = (b 1/2, c -1/6), row b = (a 4/7, c 1/3),
 * row c = (a -2/7, b 1/2).
 */
let dir = '';
let orders = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-order-rows-'));
  orders = join(dir, 'orders.csv');
  const lines = [
    ['o1', 'u1', 'a'],
    ['o1', 'u1', 'b'],
    ['o2', 'u2', 'a'],
    ['o2', 'u2', 'b'],
    ['o3', 'u1', 'b'],
    ['o3', 'u1', 'c'],
    ['o4', 'u2', 'a'],
  ];
  await writeFile(orders, ['order_id,customer_id,item_id,quantity', ...lines.map((l) => `${l.join(',')},1`)].join('\n') + '\n');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Row i of a CSR as {item id: weight}. */
function rowOf(m: Csr, ids: readonly string[], i: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let p = m.indptr[i]; p < m.indptr[i + 1]; p++) out[ids[m.indices[p]]] = m.data[p];
  return out;
}

async function fitted(params: Record<string, unknown>, input: { orders: string } | { interactions: string } = { orders }) {
  const out = join(dir, `m-${Math.random().toString(36).slice(2)}`);
  const report = await train({ input, model: 'item-knn', params, out });
  const model = await loadModel(out);
  return { report, model, ids: model.dataset.items.toJSON(), neighbours: (model.scorer as ItemKnnModel).neighbours };
}

const close = (got: Record<string, number>, want: Record<string, number>) => {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [k, v] of Object.entries(want)) expect(got[k], k).toBeCloseTo(v, 5);
};

describe('order-level item-item (--orders, rows = orders)', () => {
  it('exact EASE on the order x item matrix equals the hand-computed weights, and is the default for an orders file', async () => {
    const { report, neighbours, ids } = await fitted({ similarity: 'ease', lambda: 1, neighbours: 2 });
    expect(report).toMatchObject({ rows: 'orders', lambda: 1 });
    const row = (id: string) => rowOf(neighbours, ids, ids.indexOf(id));
    close(row('a'), { b: 1 / 2, c: -1 / 6 });
    close(row('b'), { a: 4 / 7, c: 1 / 3 });
    close(row('c'), { a: -2 / 7, b: 1 / 2 });
  });

  it('customer rows give the customer-level weights instead', async () => {
    // Customer rows (order lines per item): G = [[5,4,1],[4,5,2],[1,2,1]].
    const { report, neighbours, ids } = await fitted({ similarity: 'ease', lambda: 1, neighbours: 2, rows: 'customers' });
    expect(report.rows).toBe('customers');
    // G + I = [[6,4,1],[4,6,2],[1,2,2]], det = 6(12-4) - 4(8-2) + 1(8-6) = 48 - 24 + 2 = 26;
    // cofactors: P = 1/26 [[8,-6,2],[-6,11,-8],[2,-8,20]].
    const row = (id: string) => rowOf(neighbours, ids, ids.indexOf(id));
    close(row('a'), { b: 6 / 11, c: -2 / 20 });
    close(row('b'), { a: 6 / 8, c: 8 / 20 });
    close(row('c'), { a: -2 / 8, b: 8 / 11 });
  });

  it('cosine and approximate EASE take the order rows too', async () => {
    const cos = await fitted({ similarity: 'cosine', neighbours: 2 });
    const cosRow = (id: string) => rowOf(cos.neighbours, cos.ids, cos.ids.indexOf(id));
    // a: orders {1,2,4}, b: {1,2,3}, c: {3}.
    close(cosRow('a'), { b: 2 / 3 });
    close(cosRow('b'), { a: 2 / 3, c: 1 / Math.sqrt(3) });
    // Approximate EASE regresses each item on the items it shares an order with:
    // column a on {b}: 2 / (3 + 1); column b on {a, c}: diag(4, 2) x = (2, 1); column c on {b}: 1 / (3 + 1).
    const approx = await fitted({ similarity: 'ease-approx', lambda: 1, neighbours: 2, candidates: 5 });
    const row = (id: string) => rowOf(approx.neighbours, approx.ids, approx.ids.indexOf(id));
    close(row('a'), { b: 1 / 2 });
    close(row('b'), { a: 1 / 2, c: 1 / 4 });
    close(row('c'), { b: 1 / 2 });
  });

  it('the history stays the customers: what each bought, with its order lines', async () => {
    const { model, ids } = await fitted({ similarity: 'ease', lambda: 1, neighbours: 2 });
    const u1 = model.dataset.users.get('u1')!;
    expect(rowOf(model.train, ids, u1)).toEqual({ a: 1, b: 2, c: 1 });
  });

  it('--rows orders needs order ids', async () => {
    const interactions = join(dir, 'interactions.csv');
    await writeFile(interactions, 'user_id,item_id\nu1,a\nu1,b\nu2,a\n');
    await expect(fitted({ rows: 'orders' }, { interactions })).rejects.toThrow(InputError);
    await expect(fitted({ rows: 'orders' }, { interactions })).rejects.toThrow('--rows orders needs order ids');
    // auto on interactions: customer rows.
    expect((await fitted({ similarity: 'ease', lambda: 1, neighbours: 2 }, { interactions })).report.rows).toBe('customers');
  });
});
