import type { Artifact } from '../format/artifact.js';
import { CATALOG_FLAGS } from '../format/spec.js';

/** Business filters from the query; each null (or false) when not asked for. */
export interface FilterSpec {
  /** Exact category, compared without regard to case. */
  category: string | null;
  /** Only items known to be in stock. */
  inStock: boolean;
  minPrice: number | null;
  maxPrice: number | null;
}

/** Which items a filter lets through. */
type ItemFilter = (item: number) => boolean;

const categoryIndex = new WeakMap<Artifact, Map<string, number[]>>();

/** Lower-cased category -> the catalog string indices that spell it (built once per artifact). */
function categoriesOf(artifact: Artifact): Map<string, number[]> {
  let map = categoryIndex.get(artifact);
  if (map !== undefined) return map;
  map = new Map();
  const catalog = artifact.catalog;
  if (catalog !== undefined) {
    const seen = new Set<number>();
    for (let i = 0; i < artifact.itemCount; i++) {
      const k = catalog.category[i];
      if (k === 0 || seen.has(k)) continue;
      seen.add(k);
      const name = catalog.string(k).toLowerCase();
      const list = map.get(name);
      if (list === undefined) map.set(name, [k]);
      else list.push(k);
    }
  }
  categoryIndex.set(artifact, map);
  return map;
}

/**
 * The filter of `spec` over the artifact's catalog; null when nothing is filtered. An
 * artifact without a catalog cannot say an item passes, so any filter lets nothing through.
 * Items without a price never pass a price bound; items whose stock is unknown never pass
 * `inStock`.
 */
export function compileFilter(artifact: Artifact, spec: FilterSpec): ItemFilter | null {
  const active = spec.category !== null || spec.inStock || spec.minPrice !== null || spec.maxPrice !== null;
  if (!active) return null;
  const catalog = artifact.catalog;
  if (catalog === undefined) return () => false;
  let wanted: number[] | null = null;
  if (spec.category !== null) {
    wanted = categoriesOf(artifact).get(spec.category.toLowerCase()) ?? [];
    if (wanted.length === 0) return () => false;
  }
  const { category, price, flags } = catalog;
  const stockMask = CATALOG_FLAGS.stockKnown | CATALOG_FLAGS.inStock;
  const min = spec.minPrice ?? Number.NEGATIVE_INFINITY;
  const max = spec.maxPrice ?? Number.POSITIVE_INFINITY;
  const priced = spec.minPrice !== null || spec.maxPrice !== null;
  const single = wanted !== null && wanted.length === 1 ? wanted[0] : -1;
  return (i) => {
    if (wanted !== null && (single >= 0 ? category[i] !== single : !wanted.includes(category[i]))) return false;
    if (spec.inStock && (flags[i] & stockMask) !== stockMask) return false;
    if (priced) {
      const p = price[i];
      // NaN (unknown price) fails both comparisons.
      if (!(p >= min && p <= max)) return false;
    }
    return true;
  };
}
