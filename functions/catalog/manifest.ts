/**
 * The catalog's manifest (spec/model-format.md, "Catalog updates (storage layout)"): which
 * layers make the current version of a seller's catalog overlay.
 */

/** Where a seller's catalog lives in R2. */
export const catalogStorage = {
  manifest: (seller: string) => `sellers/${seller}/catalog/manifest.json`,
  /** A new layer object: `<version, 10 digits>-<base|delta>-<8 hex>.bin`. */
  layer: (seller: string, version: number, kind: 'base' | 'delta', random: string) =>
    `sellers/${seller}/catalog/layers/${String(version).padStart(10, '0')}-${kind}-${random}.bin`,
  /** Every object of the seller's catalog starts with this. */
  prefix: (seller: string) => `sellers/${seller}/catalog/`,
};

/** A layer the manifest names. */
export interface LayerRef {
  key: string;
  entries: number;
  bytes: number;
}

export interface CatalogManifest {
  format: 1;
  version: number;
  updated: string;
  base: LayerRef | null;
  delta: LayerRef | null;
  /** Layers no longer named, and since when (ISO 8601): deleted by a write 300 s later. */
  garbage: { key: string; since: string }[];
}

function layerRef(v: unknown, seller: string, field: string): LayerRef | null {
  if (v === null) return null;
  const o = v as Partial<LayerRef> | undefined;
  if (
    typeof o !== 'object' ||
    typeof o.key !== 'string' ||
    !o.key.startsWith(catalogStorage.prefix(seller)) ||
    !Number.isInteger(o.entries) ||
    (o.entries as number) < 0 ||
    !Number.isInteger(o.bytes) ||
    (o.bytes as number) < 0
  ) {
    throw new Error(`the catalog manifest's ${field} is not {"key","entries","bytes"} under ${catalogStorage.prefix(seller)}`);
  }
  return { key: o.key, entries: o.entries as number, bytes: o.bytes as number };
}

/** Parses a stored manifest; throws naming what is wrong. */
export function parseManifest(text: string, seller: string): CatalogManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('the catalog manifest is not JSON');
  }
  const o = raw as Partial<Record<keyof CatalogManifest, unknown>> | null;
  if (typeof o !== 'object' || o === null || o.format !== 1) throw new Error('the catalog manifest is not format 1');
  if (!Number.isInteger(o.version) || (o.version as number) < 1) throw new Error('the catalog manifest has no version number');
  const garbage = Array.isArray(o.garbage)
    ? o.garbage.filter(
        (g): g is { key: string; since: string } =>
          typeof g?.key === 'string' && typeof g?.since === 'string' && g.key.startsWith(catalogStorage.prefix(seller)),
      )
    : [];
  return {
    format: 1,
    version: o.version as number,
    updated: typeof o.updated === 'string' ? o.updated : '',
    base: layerRef(o.base ?? null, seller, 'base'),
    delta: layerRef(o.delta ?? null, seller, 'delta'),
    garbage,
  };
}

/** What the routes answer about a version: `{"version","base_entries","delta_entries","updated"}`. */
export function catalogSummary(m: CatalogManifest) {
  return { version: m.version, base_entries: m.base?.entries ?? 0, delta_entries: m.delta?.entries ?? 0, updated: m.updated };
}
