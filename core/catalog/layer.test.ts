import { describe, expect, it } from 'vitest';
import { xxh32 } from '../format/checksum.js';
import { FormatError } from '../format/errors.js';
import { decodeLayer } from './layer.js';
import { applyChanges, type CatalogChange, mergeLayers } from './merge.js';
import { CatalogSnapshot } from './snapshot.js';

const shop = 'https://shop.example.com/products/';

const full: CatalogChange[] = [
  {
    upsert: {
      id: 'mug-1',
      title: 'Mug « one » ☕',
      url: `${shop}mug-1`,
      image: 'https://cdn.example.com/img/mug-1.jpg',
      price: 12.5,
      in_stock: true,
      category: 'Mugs',
      features: ['type:mug', 'theme:space', 'type:mug'],
    },
  },
  { upsert: { id: 'tee-7', title: 'Tee 7', url: `${shop}tee-7`, price: 19.99, in_stock: false, category: 'T-shirts', features: ['type:tee'] } },
  { upsert: { id: 'café-☕', title: null, url: null, price: null, in_stock: null, category: null, features: [] } },
];

function snapshotOf(base: Uint8Array | null, delta: Uint8Array | null = null, version = 1): CatalogSnapshot {
  return new CatalogSnapshot(version, base === null ? null : decodeLayer(base), delta === null ? null : decodeLayer(delta));
}

function entries(s: CatalogSnapshot): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let r = 0; r < s.size; r++) out[s.id(r)] = s.entry(r);
  return out;
}

/** A copy of a layer changed by `edit`, with both checksums recomputed. */
function patched(bytes: Uint8Array, edit: (b: Uint8Array, v: DataView) => void): Uint8Array {
  const b = bytes.slice();
  const v = new DataView(b.buffer);
  edit(b, v);
  v.setUint32(32, xxh32(b.subarray(40)), true);
  v.setUint32(36, xxh32(b.subarray(0, 36)), true);
  return b;
}

function rejection(bytes: Uint8Array): string {
  try {
    decodeLayer(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return (err as Error).message;
  }
  throw new Error('expected the layer to be rejected');
}

describe('catalog layers', () => {
  const layer = applyChanges(null, full);

  it('hold what was pushed, field by field, sorted by id, with null as unknown', () => {
    const s = snapshotOf(layer);
    expect(s.size).toBe(3);
    expect([0, 1, 2].map((r) => s.id(r))).toEqual(['café-☕', 'mug-1', 'tee-7']);
    expect(entries(s)).toEqual({
      'café-☕': { retired: false, title: '', url: '', price: null, in_stock: null, category: '', features: [] },
      'mug-1': {
        retired: false,
        title: 'Mug « one » ☕',
        url: `${shop}mug-1`,
        image: 'https://cdn.example.com/img/mug-1.jpg',
        price: 12.5,
        in_stock: true,
        category: 'Mugs',
        features: ['type:mug', 'theme:space', 'type:mug'],
      },
      'tee-7': { retired: false, title: 'Tee 7', url: `${shop}tee-7`, price: 19.99, in_stock: false, category: 'T-shirts', features: ['type:tee'] },
    });
    expect(s.find('tee-7')).toBe(2);
    expect(s.find('nope')).toBe(-1);
    // Links share a prefix; categories and tags are stored once.
    const d = decodeLayer(layer);
    expect(d.prefixCount).toBeGreaterThan(1);
  });

  it('keep what a later push leaves out, retire an item without losing its fields, and bring it back on an upsert', () => {
    const stock = applyChanges(decodeLayer(layer), [{ upsert: { id: 'mug-1', in_stock: false } }, { retire: 'tee-7' }, { retire: 'gone' }]);
    const s = snapshotOf(stock);
    expect(s.entry(s.find('mug-1'))).toMatchObject({ title: 'Mug « one » ☕', in_stock: false, price: 12.5, retired: false });
    expect(s.entry(s.find('tee-7'))).toMatchObject({ title: 'Tee 7', retired: true });
    expect(s.entry(s.find('gone'))).toEqual({ retired: true });
    const back = snapshotOf(applyChanges(decodeLayer(stock), [{ upsert: { id: 'tee-7', price: 9 } }]));
    expect(back.entry(back.find('tee-7'))).toMatchObject({ title: 'Tee 7', price: 9, retired: false });
  });

  it('read the delta over the base field by field, and a compaction gives the same catalog', () => {
    // Seeded pseudo-random calls over 40 ids.
    let seed = 7;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const randomCall = (): CatalogChange[] => {
      const ids = new Set<string>();
      while (ids.size < 8) ids.add(`sku-${Math.floor(rand() * 40)}`);
      return [...ids].map((id) => {
        if (rand() < 0.15) return { retire: id };
        const item: Record<string, unknown> = { id };
        if (rand() < 0.5) item.title = `Title ${Math.floor(rand() * 100)}`;
        if (rand() < 0.4) item.url = rand() < 0.2 ? null : `${shop}${id}/${Math.floor(rand() * 9)}`;
        if (rand() < 0.5) item.price = rand() < 0.2 ? null : Math.round(rand() * 1000) / 100;
        if (rand() < 0.5) item.in_stock = rand() < 0.2 ? null : rand() < 0.5;
        if (rand() < 0.3) item.category = ['mugs', 'tees', null][Math.floor(rand() * 3)];
        if (rand() < 0.3) item.features = ['a', 'b', 'c'].filter(() => rand() < 0.5);
        return { upsert: item as { id: string } };
      });
    };
    let base = applyChanges(null, randomCall());
    let delta: Uint8Array | null = null;
    for (let k = 0; k < 12; k++) {
      delta = applyChanges(delta === null ? null : decodeLayer(delta), randomCall());
      const layered = snapshotOf(base, delta);
      const compacted = snapshotOf(mergeLayers(decodeLayer(base), decodeLayer(delta)));
      expect(entries(compacted)).toEqual(entries(layered));
      if (k % 4 === 3) {
        base = mergeLayers(decodeLayer(base), decodeLayer(delta));
        delta = null;
      }
    }
  });

  it('are rejected when damaged, with a message that says how', () => {
    expect(rejection(new TextEncoder().encode('{"items":[]}'))).toBe('not a PlusOne catalog layer (magic 0x7b226974, expected 0x5031434c "P1CL")');
    expect(rejection(patched(layer, (b) => (b[4] = 2)))).toBe('unsupported catalog layer version 2; this reader supports 1');
    expect(rejection(layer.subarray(0, 30))).toBe('truncated: the layer header ends at byte 40 but the object has 30');
    const flipped = layer.slice();
    flipped[flipped.length - 1] ^= 1;
    expect(rejection(flipped)).toBe('checksum mismatch in the catalog layer');
    const header = layer.slice();
    header[9] ^= 1;
    expect(rejection(header)).toBe('checksum mismatch in the catalog layer header');
    expect(rejection(patched(layer, (_, v) => v.setUint32(8, 4, true)))).toMatch(/^catalog layer is \d+ bytes; \d+ expected for 4 entries/);
    // The ids' string indices swapped: no longer sorted.
    expect(
      rejection(
        patched(layer, (_, v) => {
          const a = v.getUint32(40, true);
          v.setUint32(40, v.getUint32(44, true), true);
          v.setUint32(44, a, true);
        }),
      ),
    ).toBe('catalog layer: ids are not sorted and unique at entry 1 ("café-☕")');
    expect(rejection(patched(layer, (_, v) => v.setUint32(40, 9999, true)))).toMatch(/^catalog layer: the id at 0 is string 9999 of \d+$/);
  });

  it('take tens of bytes per item for a shop-like catalog', () => {
    const items: CatalogChange[] = Array.from({ length: 2000 }, (_, i) => ({
      upsert: {
        id: `design-${i}-${['mug', 'tee', 'poster'][i % 3]}`,
        title: `Design ${i} ${['Mug', 'T-shirt', 'Poster'][i % 3]}`,
        url: `${shop}design-${i}`,
        image: `https://cdn.example.com/img/design-${i}.jpg`,
        price: 10 + (i % 30),
        in_stock: i % 7 !== 0,
        category: ['mugs', 'tees', 'posters'][i % 3],
        features: [`type:${['mug', 'tee', 'poster'][i % 3]}`, `theme:${i % 12}`, `colour:${i % 5}`],
      },
    }));
    const bytes = applyChanges(null, items);
    expect(bytes.length / 2000).toBeLessThan(130);
    expect(snapshotOf(bytes).entry(1000)).toMatchObject({ retired: false });
  });
});
