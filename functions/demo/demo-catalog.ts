import type { Artifact } from '../../core/format/artifact.js';

/** A product of the demo storefront: an item of the artifact's catalog. */
export interface Product {
  id: string;
  title: string;
  category: string;
  price: number | null;
  inStock: boolean | null;
  /** The catalog's image URL when it is one a page may show (http(s) or a path), else ''. */
  image: string;
}

/** The listed items of an artifact's catalog, best sellers first, with lookups. */
export interface DemoCatalog {
  products: readonly Product[];
  /** Categories with their product counts, largest first. */
  categories: readonly { name: string; count: number }[];
  byId(id: string): Product | undefined;
}

const built = new WeakMap<Artifact, DemoCatalog>();

/** A URL a page may put in `src`: http(s) or a same-origin path. */
function showable(url: string): string {
  return /^https?:\/\//i.test(url) || (url.startsWith('/') && !url.startsWith('//')) ? url : '';
}

/**
 * The demo catalog of an artifact, built once per decoded artifact (kept as long as the
 * model cache keeps the artifact): items with a catalog row, ordered by the popularity
 * ranking (items outside it after, in item order).
 */
export function demoCatalog(artifact: Artifact): DemoCatalog {
  const cached = built.get(artifact);
  if (cached !== undefined) return cached;
  const catalog = artifact.catalog;
  const n = artifact.itemCount;
  const order: number[] = [];
  const placed = new Uint8Array(n);
  for (const i of artifact.popularity?.items ?? []) {
    if (i < n && placed[i] === 0) {
      placed[i] = 1;
      order.push(i);
    }
  }
  for (let i = 0; i < n; i++) if (placed[i] === 0) order.push(i);

  const products: Product[] = [];
  const byId = new Map<string, Product>();
  const counts = new Map<string, number>();
  if (catalog !== undefined) {
    for (const i of order) {
      const e = catalog.entry(i);
      if (!e.listed) continue;
      const id = artifact.itemId(i);
      const p: Product = { id, title: e.title || id, category: e.category, price: e.price, inStock: e.inStock, image: showable(e.image) };
      products.push(p);
      byId.set(id, p);
      if (e.category !== '') counts.set(e.category, (counts.get(e.category) ?? 0) + 1);
    }
  }
  const categories = [...counts.entries()].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  const result: DemoCatalog = { products, categories, byId: (id) => byId.get(id) };
  built.set(artifact, result);
  return result;
}
