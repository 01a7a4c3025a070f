import { describe, expect, it } from 'vitest';
import { Dataset, IdMap } from './dataset.js';
import { InputError } from './errors.js';
import type { FeatureRows } from './features.js';
import type { InteractionRows } from './interactions.js';
import type { Csr } from './sparse.js';

function interactions(pairs: string[], extra: Partial<InteractionRows> = {}): InteractionRows {
  return {
    users: pairs.map((p) => p.split(':')[0]),
    items: pairs.map((p) => p.split(':')[1]),
    weights: null,
    timestamps: null,
    skipped: 0,
    ...extra,
  };
}

function features(pairs: string[], weights?: number[]): FeatureRows {
  return {
    ids: pairs.map((p) => p.split('=')[0]),
    features: pairs.map((p) => p.split('=')[1]),
    weights: weights ? Float32Array.from(weights) : null,
    skipped: 0,
  };
}

/** Dense copy of a CSR, for readable assertions. */
function dense(m: Csr): number[][] {
  const out = Array.from({ length: m.rows }, () => new Array<number>(m.cols).fill(0));
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) out[r][m.indices[p]] = m.data[p];
  }
  return out;
}

describe('IdMap', () => {
  it('assigns indices in insertion order, idempotently', () => {
    const m = new IdMap();
    expect([m.add('b'), m.add('a'), m.add('b'), m.add('c')]).toEqual([0, 1, 0, 2]);
    expect(m.size).toBe(3);
    expect(m.get('a')).toBe(1);
    expect(m.get('zzz')).toBeUndefined();
    expect(m.id(2)).toBe('c');
    expect(() => m.id(3)).toThrow(RangeError);
    expect(m.toJSON()).toEqual(['b', 'a', 'c']);
  });

  it('round-trips through JSON and rejects duplicates', () => {
    const original = new IdMap();
    original.add('x');
    original.add('y');
    const m = IdMap.fromJSON(JSON.parse(JSON.stringify(original)));
    expect(m.toJSON()).toEqual(['x', 'y']);
    expect(m.get('y')).toBe(1);
    expect(() => IdMap.fromJSON(['x', 'y', 'x'])).toThrow(/"x" appears twice \(entries 0 and 2\)/);
    expect(() => IdMap.fromJSON([1 as unknown as string])).toThrow(InputError);
  });
});

describe('Dataset: mapping', () => {
  it('keeps indices stable: interactions first, then feature files; fitPartial only appends', () => {
    const ds = new Dataset().fit({
      interactions: [interactions(['u2:i2', 'u1:i1', 'u2:i1'])],
      itemFeatures: features(['i1=red', 'i9=blue', 'i2=red']),
      userFeatures: features(['u3=fr']),
    });
    expect(ds.users.toJSON()).toEqual(['u2', 'u1', 'u3']);
    expect(ds.items.toJSON()).toEqual(['i2', 'i1', 'i9']);
    expect(ds.itemFeatures.toJSON()).toEqual(['red', 'blue']);
    ds.fitPartial({ interactions: [interactions(['u4:i1', 'u1:i7'])] });
    expect(ds.users.toJSON()).toEqual(['u2', 'u1', 'u3', 'u4']);
    expect(ds.items.toJSON()).toEqual(['i2', 'i1', 'i9', 'i7']);
    // fit() starts over.
    ds.fit({ interactions: [interactions(['u1:i1'])] });
    expect([ds.users.size, ds.items.size, ds.itemFeatures.size]).toEqual([1, 1, 0]);
  });

  it('registers plain id lists after the interactions, before the feature files', () => {
    const ds = new Dataset().fit({
      interactions: [interactions(['u1:i1'])],
      items: ['i3', 'i1', 'i2'],
      users: ['u2'],
      itemFeatures: features(['i4=red']),
    });
    expect(ds.items.toJSON()).toEqual(['i1', 'i3', 'i2', 'i4']);
    expect(ds.users.toJSON()).toEqual(['u1', 'u2']);
    // A listed item without features gets its identity feature only.
    expect(dense(ds.buildItemFeatures(undefined, false))[1]).toEqual([0, 1, 0, 0, 0]);
  });

  it('gives an index to a cold item known only through its features', () => {
    const ds = new Dataset().fit({
      interactions: [interactions(['u1:i1'])],
      itemFeatures: features(['i1=red', 'cold=red', 'cold=new']),
    });
    const cold = ds.items.get('cold')!;
    expect(cold).toBe(1);
    const m = ds.buildItemFeatures(features(['i1=red', 'cold=red', 'cold=new']), false);
    // Columns: id:i1, id:cold, red, new.
    expect(dense(m)).toEqual([
      [1, 0, 1, 0],
      [0, 1, 1, 1],
    ]);
    expect(ds.featureNames('item')).toEqual(['id:i1', 'id:cold', 'red', 'new']);
  });

  it('round-trips through toJSON/fromJSON and rebuilds the same matrices', () => {
    const itemFeatures = features(['i1=red', 'i2=blue', 'i2=big'], [1, 2, 1]);
    const ds = new Dataset({ userIdentity: false }).fit({
      interactions: [interactions(['u1:i1', 'u2:i2'])],
      itemFeatures,
    });
    const back = Dataset.fromJSON(JSON.parse(JSON.stringify(ds)));
    expect(back.toJSON()).toEqual(ds.toJSON());
    expect(back.userIdentity).toBe(false);
    expect(back.buildItemFeatures(itemFeatures)).toEqual(ds.buildItemFeatures(itemFeatures));
    expect(back.buildUserFeatures()).toEqual(ds.buildUserFeatures());
  });

  it('rejects a malformed mapping with a clear message', () => {
    const good = new Dataset().toJSON();
    expect(() => Dataset.fromJSON(null)).toThrow(/not a PlusOne dataset/);
    expect(() => Dataset.fromJSON({ ...good, version: 2 })).toThrow(/version 2 is not supported \(supported: 1\)/);
    expect(() => Dataset.fromJSON({ ...good, items: ['a', 'a'] })).toThrow(/"items": id "a" appears twice/);
    expect(() => Dataset.fromJSON({ ...good, userIdentity: 'yes' })).toThrow(/"userIdentity" must be true or false/);
  });

  it('validates its options', () => {
    expect(() => new Dataset({ itemIdentity: 1 as unknown as boolean })).toThrow('itemIdentity must be true or false');
  });
});

describe('Dataset.buildInteractions', () => {
  it('merges duplicate pairs: weights summed, latest timestamp kept, in CSR order', () => {
    const rows = interactions(['u1:i2', 'u0:i1', 'u1:i2', 'u0:i0', 'u1:i2'], {
      weights: Float32Array.from([1, 2, 3, 4, 0.5]),
      timestamps: Float64Array.from([30, 10, 50, 20, 40]),
    });
    const ds = new Dataset().fit({ interactions: [interactions(['u0:i0', 'u0:i1', 'u1:i2'])] });
    const b = ds.buildInteractions(rows, { unknown: 'error' });
    expect(Array.from(b.users)).toEqual([0, 0, 1]);
    expect(Array.from(b.items)).toEqual([0, 1, 2]);
    expect(Array.from(b.weights)).toEqual([4, 2, 4.5]);
    expect(Array.from(b.timestamps!)).toEqual([20, 10, 50]);
    expect(Array.from(b.csr.indptr)).toEqual([0, 2, 3]);
    expect(Array.from(b.csr.data)).toEqual([4, 2, 4.5]);
    expect([b.csr.rows, b.csr.cols, b.skippedUnknown]).toEqual([2, 3, 0]);
  });

  it('counts repeated rows as weight when there are no weights', () => {
    const ds = new Dataset().fit({ interactions: [interactions(['u:a', 'u:a', 'u:b'])] });
    const b = ds.buildInteractions(interactions(['u:a', 'u:a', 'u:b']), { unknown: 'error' });
    expect(Array.from(b.weights)).toEqual([2, 1]);
    expect(b.timestamps).toBeNull();
  });

  it('skips or refuses unknown users and items', () => {
    const ds = new Dataset().fit({ interactions: [interactions(['u1:i1'])] });
    const rows = interactions(['u1:i1', 'u9:i1', 'u1:i9']);
    expect(ds.buildInteractions(rows, { unknown: 'skip' }).skippedUnknown).toBe(2);
    expect(() => ds.buildInteractions(rows, { unknown: 'error' })).toThrow(/interaction 2: user "u9" is not in the dataset/);
  });
});

describe('Dataset feature matrices', () => {
  const itemRows = features(['a=red', 'a=big', 'b=red', 'a=red'], [1, 2, 1, 1]);

  it('puts identity first, then named features, each row summing to 1', () => {
    const ds = new Dataset().fit({ interactions: [interactions(['u:a', 'u:b', 'u:c'])], itemFeatures: itemRows });
    const m = ds.buildItemFeatures(itemRows);
    expect([m.rows, m.cols]).toEqual([3, 3 + 2]);
    // a: identity 1, red 1+1 (repeated row summed), big 2 -> total 5.
    const d = dense(m);
    expect(d[0].map((v) => +v.toFixed(6))).toEqual([0.2, 0, 0, 0.4, 0.4]);
    expect(d[1].map((v) => +v.toFixed(6))).toEqual([0, 0.5, 0, 0.5, 0]);
    expect(d[2]).toEqual([0, 0, 1, 0, 0]);
    for (const row of d) expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
  });

  it('keeps raw weights without normalize', () => {
    const ds = new Dataset().fit({ interactions: [interactions(['u:a', 'u:b'])], itemFeatures: itemRows });
    expect(dense(ds.buildItemFeatures(itemRows, false))).toEqual([
      [1, 0, 2, 2],
      [0, 1, 1, 0],
    ]);
  });

  it('without identity: only named features, and an empty row for an entity without any', () => {
    const ds = new Dataset({ itemIdentity: false }).fit({
      interactions: [interactions(['u:a', 'u:b', 'u:c'])],
      itemFeatures: itemRows,
    });
    const m = ds.buildItemFeatures(itemRows);
    expect([m.rows, m.cols]).toEqual([3, 2]);
    expect(dense(m).map((r) => r.map((v) => +v.toFixed(6)))).toEqual([
      [0.5, 0.5],
      [1, 0],
      [0, 0],
    ]);
    expect(ds.featureNames('item')).toEqual(['red', 'big']);
  });

  it('identity only when no feature rows are given', () => {
    const ds = new Dataset().fit({ interactions: [interactions(['u1:a', 'u2:a'])] });
    expect(dense(ds.buildUserFeatures())).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(ds.featureNames('user')).toEqual(['id:u1', 'id:u2']);
  });

  it('refuses ids or features the dataset was not fitted with, unless told to skip', () => {
    const ds = new Dataset().fit({ interactions: [interactions(['u:a'])], itemFeatures: features(['a=red']) });
    const other = features(['a=red', 'a=new', 'z=red']);
    expect(() => ds.buildItemFeatures(other)).toThrow(/item features, row 2: feature "new" is not in the dataset/);
    expect(dense(ds.buildItemFeatures(other, false, { unknown: 'skip' }))).toEqual([[1, 1]]);
  });
});
