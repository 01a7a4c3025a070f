/**
 * Writing a seller's catalog overlay (spec/model-format.md, "Catalog updates (storage
 * layout)"): a call's changes merged into the delta (compacting into the base when the delta
 * grows past its size), new layers written under new keys, then the manifest replaced only
 * if no other write got in between; else the write starts again. Readers see a call whole or
 * not at all, and concurrent calls never lose each other's items.
 */
import { decodeLayer, type CatalogLayer } from '../../core/catalog/layer.js';
import { applyChanges, type CatalogChange, mergeLayers } from '../../core/catalog/merge.js';
import { ApiError } from '../../core/errors/api-error.js';
import type { Log } from '../../core/recommend/recommend.js';
import { type CatalogManifest, catalogStorage, type LayerRef, parseManifest } from './manifest.js';
import type { CatalogObjects } from './objects.js';

/** The sizes the storage is designed for. */
export const CATALOG_LIMITS = {
  /** Items in one PUT. */
  callItems: 10_000,
  /** Delta entries beyond which a write compacts the delta into the base. */
  deltaEntries: 20_000,
  /** Entries of the overlay (base entries + delta entries). */
  entries: 250_000,
  /** Attempts of a write that meets other writes. */
  attempts: 5,
  /** How long a layer no manifest names is kept for readers that read the manifest before (ms). */
  garbageMs: 300_000,
} as const;

interface WriteOptions {
  now: () => number;
  log: Log;
}

/** What a write did. */
export interface WriteResult {
  manifest: CatalogManifest;
  /** Whether the delta was merged into a new base. */
  compacted: boolean;
  /** Attempts it took (1 without concurrent writes). */
  attempts: number;
}

function randomHex(): string {
  const b = crypto.getRandomValues(new Uint8Array(4));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The seller's manifest and its etag; null when nothing was ever written. Throws 503 when it cannot be read. */
export async function readManifest(objects: CatalogObjects, seller: string): Promise<{ manifest: CatalogManifest; etag: string } | null> {
  const got = await objects.get(catalogStorage.manifest(seller));
  if (got === null) return null;
  try {
    return { manifest: parseManifest(new TextDecoder().decode(got.bytes), seller), etag: got.etag };
  } catch (err) {
    throw new ApiError('unavailable', `the catalog of seller ${seller} cannot be read now (${(err as Error).message}); nothing was changed: try again`, {
      'Retry-After': '5',
    });
  }
}

/** A layer the manifest names, decoded; 503 when it is missing or damaged. */
export async function readLayer(objects: CatalogObjects, seller: string, ref: LayerRef): Promise<CatalogLayer> {
  const got = await objects.get(ref.key);
  try {
    if (got === null) throw new Error(`no object at ${ref.key}`);
    return decodeLayer(got.bytes);
  } catch (err) {
    throw new ApiError('unavailable', `the catalog of seller ${seller} cannot be read now (${(err as Error).message}); nothing was changed: try again`, {
      'Retry-After': '5',
    });
  }
}

/**
 * Applies `changes` (validated, each id once) to the seller's catalog as one new version.
 * Throws 413 `too_many_items` when the overlay would pass its size, 409 `catalog_conflict`
 * when other writes kept getting in first, 503 when the stored catalog cannot be read;
 * nothing is changed then.
 */
export async function writeCatalog(objects: CatalogObjects, seller: string, changes: readonly CatalogChange[], options: WriteOptions): Promise<WriteResult> {
  for (let attempt = 1; attempt <= CATALOG_LIMITS.attempts; attempt++) {
    const current = await readManifest(objects, seller);
    const m = current?.manifest ?? null;
    const delta = m?.delta ? await readLayer(objects, seller, m.delta) : null;
    const deltaBytes = applyChanges(delta, changes);
    let newDelta: LayerRef | null;
    let newBase = m?.base ?? null;
    const version = (m?.version ?? 0) + 1;
    const written: { key: string; bytes: Uint8Array }[] = [];
    const deltaLayer = decodeLayer(deltaBytes);
    const compacted = deltaLayer.count > CATALOG_LIMITS.deltaEntries;
    if (compacted) {
      const base = m?.base ? await readLayer(objects, seller, m.base) : null;
      const baseBytes = mergeLayers(base, deltaLayer);
      const key = catalogStorage.layer(seller, version, 'base', randomHex());
      written.push({ key, bytes: baseBytes });
      newBase = { key, entries: decodeLayer(baseBytes).count, bytes: baseBytes.length };
      newDelta = null;
    } else {
      const key = catalogStorage.layer(seller, version, 'delta', randomHex());
      written.push({ key, bytes: deltaBytes });
      newDelta = { key, entries: deltaLayer.count, bytes: deltaBytes.length };
    }
    const entries = (newBase?.entries ?? 0) + (newDelta?.entries ?? 0);
    if (entries > CATALOG_LIMITS.entries) {
      throw new ApiError(
        'too_many_items',
        `this call would take the catalog overlay of seller ${seller} to ${entries} entries; it holds at most ${CATALOG_LIMITS.entries}. Retire items no longer sold, or publish a model whose artifact carries the catalog`,
      );
    }
    const now = options.now();
    const nowIso = new Date(now).toISOString();
    // Layers this version stops naming wait in `garbage` for readers of the previous manifest.
    const replaced = [m?.delta, m?.base].filter((r): r is LayerRef => r != null && r.key !== newBase?.key && r.key !== newDelta?.key);
    const expired = (m?.garbage ?? []).filter((g) => now - Date.parse(g.since) >= CATALOG_LIMITS.garbageMs || Number.isNaN(Date.parse(g.since)));
    const kept = (m?.garbage ?? []).filter((g) => !expired.includes(g));
    const manifest: CatalogManifest = {
      format: 1,
      version,
      updated: nowIso,
      base: newBase,
      delta: newDelta,
      garbage: [...kept, ...replaced.map((r) => ({ key: r.key, since: nowIso }))],
    };
    for (const w of written) await objects.put(w.key, w.bytes);
    const ok = await objects.put(
      catalogStorage.manifest(seller),
      new TextEncoder().encode(JSON.stringify(manifest)),
      current === null ? { absent: true } : { etag: current.etag },
    );
    if (!ok) {
      // Another write got in first: drop what this attempt wrote and merge again on top of it.
      await objects.delete(written.map((w) => w.key)).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 20 * attempt)));
      continue;
    }
    if (expired.length > 0) {
      try {
        await objects.delete(expired.map((g) => g.key));
      } catch (err) {
        options.log({ event: 'catalog_garbage_failed', seller, keys: expired.length, error: (err as Error).message });
      }
    }
    return { manifest, compacted, attempts: attempt };
  }
  throw new ApiError(
    'catalog_conflict',
    `other catalog writes for seller ${seller} kept changing the catalog while this call was applied (${CATALOG_LIMITS.attempts} attempts); nothing of it was written: send it again`,
  );
}
