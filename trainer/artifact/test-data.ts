import { Random } from '../util/random.js';
import type { CatalogRow } from './catalog.js';
import type { ArtifactInput, ItemFeaturesInput } from './encode.js';

/**
 * A small artifact input with every section: vectors (one row of zeros, one with a tiny
 * and a large value), biases, neighbours (one empty row), popularity, trending, a catalog
 * that lacks one item and has one the model does not know, and a non-ASCII id.
 * Deterministic for a given seed.
 */
export function sampleInput(opts: { items?: number; dim?: number; seed?: number } = {}): ArtifactInput {
  const { items: n = 6, dim = 4, seed = 3 } = opts;
  const rng = new Random(seed);
  const itemIds = Array.from({ length: n }, (_, i) => (i === 1 ? 'tasse-café-☕' : `sku-${100 + i}`));
  const itemVectors = new Float32Array(n * dim);
  for (let k = 0; k < itemVectors.length; k++) itemVectors[k] = rng.normal() * 0.3;
  if (n > 2) itemVectors.fill(0, 2 * dim, 3 * dim);
  if (n > 3) {
    itemVectors[3 * dim] = 1e-6;
    itemVectors[3 * dim + 1] = -2.5;
  }
  const itemBiases = Float32Array.from({ length: n }, () => rng.normal());

  // Each row lists up to three other items, best first; row 0 is empty.
  const indptr = new Int32Array(n + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      for (let k = 1; k <= Math.min(3, n - 1); k++) {
        indices.push((i + k) % n);
        data.push(1 / (k + rng.next()));
      }
    }
    indptr[i + 1] = indices.length;
  }

  const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  const catalog = new Map<string, CatalogRow>();
  itemIds.forEach((id, i) => {
    if (i === n - 1) return; // not in the catalog
    catalog.set(id, {
      title: i === 1 ? 'Tasse « café » ☕' : `Item ${i}`,
      url: `https://shop.example.com/products/${id}`,
      image: i % 2 === 0 ? `https://cdn.example.com/img/${id}.jpg` : '',
      category: i % 2 === 0 ? 'mugs' : 't-shirts',
      price: i === 2 ? null : 9.99 + i,
      inStock: i === 3 ? null : i % 3 !== 0,
    });
  });
  catalog.set('not-in-model', { title: 'Gone' });

  return {
    modelType: 'lightfm',
    itemIds,
    dim,
    itemVectors,
    itemBiases,
    neighbours: { indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) },
    popularity: { order, scores: Float32Array.from(order, (_, r) => n - r) },
    trending: { order: order.slice(0, Math.min(3, n)).reverse(), scores: Float32Array.from({ length: Math.min(3, n) }, (_, r) => 0.5 - r / 10) },
    catalog,
    meta: { version: 'v-test', created: '2026-01-02T03:04:05.000Z', loss: 'warp', epochs: 3, precisionAt10: 0.125 },
  };
}

/**
 * An `item-features` section for {@link sampleInput}'s dimension: three named features (one
 * non-ASCII), one row of zeros, deterministic for a seed.
 */
export function sampleFeatures(opts: { dim?: number; seed?: number } = {}): ItemFeaturesInput {
  const { dim = 4, seed = 11 } = opts;
  const rng = new Random(seed);
  const names = ['colour:red', 'type:mug', 'thème:café'];
  const embeddings = Float32Array.from({ length: names.length * dim }, () => rng.normal() * 0.5);
  embeddings.fill(0, 2 * dim, 3 * dim);
  return { names, embeddings, biases: Float32Array.from(names, (_, k) => 0.25 - k / 8), normalised: true, identity: false };
}
