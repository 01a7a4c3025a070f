/**
 * Applying catalog updates to layers (spec/model-format.md, "Catalog updates (storage
 * layout)"): a call's items merged into the delta, field by field, and the delta merged
 * into the base (compaction). Both walk sorted ids once; entries of existing layers are
 * copied without decoding their strings.
 */
import { sharedPrefixes } from '../format/string-table.js';
import { MAX_PREFIXES } from '../format/spec.js';
import { type CatalogLayer, compareBytes, ENTRY_FLAGS, FIELD } from './layer.js';
import { type BuildEntry, LayerBuilder, type Str } from './layer-builder.js';

/** One item of a catalog call, validated: a field left out is not changed; null makes it unknown. */
export interface CatalogItem {
  id: string;
  title?: string | null | undefined;
  url?: string | null | undefined;
  image?: string | null | undefined;
  price?: number | null | undefined;
  in_stock?: boolean | null | undefined;
  category?: string | null | undefined;
  features?: readonly string[] | undefined;
}

/** A change to one item: an upsert (which also brings a retired item back), or a retirement. */
export type CatalogChange = { upsert: CatalogItem } | { retire: string };

/** An empty entry of `id`: no field set. */
function blank(id: Str): BuildEntry {
  return { id, fields: 0, flags: 0, title: '', url: '', image: '', category: '', price: Number.NaN, tags: [] };
}

/** Entry `i` of a layer, its strings as references into the layer. */
export function layerEntry(layer: CatalogLayer, i: number): BuildEntry {
  const ref = (k: number): Str => (k === 0 ? '' : { layer, k });
  const tags: Str[] = [];
  for (let p = layer.tagOffsets[i]; p < layer.tagOffsets[i + 1]; p++) tags.push({ layer, k: layer.tagList[p] });
  return {
    id: { layer, k: layer.idString(i) },
    fields: layer.fields[i],
    flags: layer.flags[i],
    title: ref(layer.titleCol[i]),
    url: ref(layer.urlCol[i]),
    image: ref(layer.imageCol[i]),
    category: ref(layer.categoryCol[i]),
    price: layer.price[i],
    tags,
  };
}

/** The entry a change makes on its own (what it sets, nothing else). */
function changeEntry(change: CatalogChange): BuildEntry {
  if ('retire' in change) {
    const e = blank(change.retire);
    e.fields = FIELD.retired;
    e.flags = ENTRY_FLAGS.retired;
    return e;
  }
  const item = change.upsert;
  const e = blank(item.id);
  // An upsert brings the item back: it sets "not retired".
  e.fields = FIELD.retired;
  if (item.title !== undefined) {
    e.fields |= FIELD.title;
    e.title = item.title ?? '';
  }
  if (item.url !== undefined) {
    e.fields |= FIELD.url;
    e.url = item.url ?? '';
  }
  if (item.image !== undefined) {
    e.fields |= FIELD.image;
    e.image = item.image ?? '';
  }
  if (item.price !== undefined) {
    e.fields |= FIELD.price;
    e.price = item.price ?? Number.NaN;
  }
  if (item.in_stock !== undefined) {
    e.fields |= FIELD.inStock;
    if (item.in_stock !== null) e.flags |= ENTRY_FLAGS.stockKnown | (item.in_stock ? ENTRY_FLAGS.inStock : 0);
  }
  if (item.category !== undefined) {
    e.fields |= FIELD.category;
    e.category = item.category ?? '';
  }
  if (item.features !== undefined) {
    e.fields |= FIELD.features;
    e.tags = item.features;
  }
  return e;
}

const STOCK_FLAGS = ENTRY_FLAGS.stockKnown | ENTRY_FLAGS.inStock;

/** `upper` over `lower`, field by field: what `upper` sets wins, the rest is `lower`'s. */
export function overlay(lower: BuildEntry, upper: BuildEntry): BuildEntry {
  const u = upper.fields;
  const pick = <T>(bit: number, a: T, b: T): T => ((u & bit) !== 0 ? a : b);
  let flags = 0;
  flags |= (u & FIELD.inStock) !== 0 ? upper.flags & STOCK_FLAGS : lower.flags & STOCK_FLAGS;
  flags |= (u & FIELD.retired) !== 0 ? upper.flags & ENTRY_FLAGS.retired : lower.flags & ENTRY_FLAGS.retired;
  return {
    id: upper.id,
    fields: lower.fields | u,
    flags,
    title: pick(FIELD.title, upper.title, lower.title),
    url: pick(FIELD.url, upper.url, lower.url),
    image: pick(FIELD.image, upper.image, lower.image),
    category: pick(FIELD.category, upper.category, lower.category),
    price: pick(FIELD.price, upper.price, lower.price),
    tags: pick(FIELD.features, upper.tags, lower.tags),
  };
}

const encoder = new TextEncoder();

/**
 * The layer of `changes` applied to `delta` (none: an empty one). Changes to one id apply
 * in order (the caller refuses repeated ids in one call; a retirement is one change).
 */
export function applyChanges(delta: CatalogLayer | null, changes: readonly CatalogChange[]): Uint8Array {
  // The call's entries, one per id, sorted by the ids' bytes.
  const byId = new Map<string, BuildEntry>();
  for (const c of changes) {
    const e = changeEntry(c);
    const id = e.id as string;
    const before = byId.get(id);
    byId.set(id, before === undefined ? e : overlay(before, e));
  }
  const calls = [...byId.values()].map((e) => ({ e, key: encoder.encode(e.id as string) }));
  calls.sort((a, b) => compareBytes(a.key, b.key));
  // Prefixes: the delta's, then those the call's titles and links share.
  const texts: string[] = [];
  for (const { e } of calls) for (const v of [e.title, e.url, e.image]) if (typeof v === 'string' && v !== '') texts.push(v);
  const builder = new LayerBuilder([...prefixesOf(delta), ...sharedPrefixes(new Set(texts), MAX_PREFIXES - 1)]);
  let d = 0;
  const n = delta?.count ?? 0;
  for (const { e, key } of calls) {
    while (d < n && compareBytes(delta!.idBytes(d), key) < 0) builder.add(layerEntry(delta!, d++));
    if (d < n && compareBytes(delta!.idBytes(d), key) === 0) builder.add(overlay(layerEntry(delta!, d++), e));
    else builder.add(e);
  }
  while (d < n) builder.add(layerEntry(delta!, d++));
  return builder.finish();
}

/** The layer of `upper` merged over `lower` (a compaction: the delta into the base). */
export function mergeLayers(lower: CatalogLayer | null, upper: CatalogLayer): Uint8Array {
  const builder = new LayerBuilder([...prefixesOf(lower), ...prefixesOf(upper)]);
  const n = lower?.count ?? 0;
  let b = 0;
  for (let u = 0; u < upper.count; u++) {
    const key = upper.idBytes(u);
    while (b < n && compareBytes(lower!.idBytes(b), key) < 0) builder.add(layerEntry(lower!, b++));
    if (b < n && compareBytes(lower!.idBytes(b), key) === 0) builder.add(overlay(layerEntry(lower!, b++), layerEntry(upper, u)));
    else builder.add(layerEntry(upper, u));
  }
  while (b < n) builder.add(layerEntry(lower!, b++));
  return builder.finish();
}

function prefixesOf(layer: CatalogLayer | null): string[] {
  const out: string[] = [];
  if (layer !== null) for (let p = 1; p < layer.prefixCount; p++) out.push(layer.prefix(p));
  return out;
}
