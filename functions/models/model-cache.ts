import { toHex } from '../../core/storage/keys.js';
import type { LoadedModel } from '../../core/recommend/model.js';
import { decodeForScoring, prepareScoring } from '../../core/scoring/wasm-kernel.js';
import type { ActivePointer } from '../../core/storage/pointer.js';
import type { ServingConfig } from '../../core/storage/slots.js';
import type { ModelSource } from './model-source.js';

/** Something that went wrong while loading a seller's model. */
interface LoadProblem {
  version: string | null;
  message: string;
  at: string;
}

/** What the cache knows about a seller (the admin route shows it). */
interface SellerModelStatus {
  pointer: ActivePointer | null;
  serving: { version: string; type: string; items: number; bytes: number; kernel: 'wasm' | 'js'; kernelBytes: number; loaded: string } | null;
  lastProblem: LoadProblem | null;
}

interface ModelCacheOptions {
  /** How long a version that failed to load is not retried (ms); default 60 s. */
  retryMs?: number;
  /** Where problems are reported; default console.error as one JSON line. */
  log?: (event: Record<string, unknown>) => void;
}

interface GetOptions {
  /** How long a pointer read is reused (ms). */
  memoMs: number;
  /** Bytes of loaded models to keep over all sellers ({@link footprint}; least recently used dropped first). */
  maxBytes: number;
  now: number;
}

interface SellerState {
  pointer: ActivePointer | null;
  /** When the pointer was read; -Infinity before the first read. */
  pointerAt: number;
  good: LoadedModel | null;
  loading: { version: string; promise: Promise<LoadedModel | null> } | null;
  /** Versions that failed, and until when they are not retried. */
  failed: Map<string, number>;
  lastProblem: LoadProblem | null;
  usedAt: number;
}

/**
 * Bytes a loaded model holds: its artifact, plus the WebAssembly kernel's memory unless the
 * artifact was decoded straight into it (then that memory is the artifact).
 */
export function footprint(model: LoadedModel): number {
  return model.scoring.inPlace ? model.scoring.wasmBytes : model.artifact.byteLength + model.scoring.wasmBytes;
}

/** Serving configurations memoised per isolate at most (the oldest read dropped first). */
const MAX_CONFIGS = 10_000;

const defaultLog = (event: Record<string, unknown>) => console.error(JSON.stringify(event));

/**
 * Decoded models in isolate memory, keyed by seller and version. The pointer is read from
 * the source (and reused for `memoMs`); a version is fetched and decoded once; a version
 * that is missing, damaged or fails its SHA-256 is logged and skipped (not retried for
 * `retryMs`), and the last good version of the seller keeps serving.
 */
export class ModelCache {
  private readonly sellers = new Map<string, SellerState>();
  /** Serving configurations by seller, and when they were read. */
  private readonly configs = new Map<string, { config: ServingConfig | null; at: number }>();
  private readonly retryMs: number;
  private readonly log: (event: Record<string, unknown>) => void;

  constructor(options: ModelCacheOptions = {}) {
    this.retryMs = options.retryMs ?? 60_000;
    this.log = options.log ?? defaultLog;
  }

  private state(seller: string): SellerState {
    let s = this.sellers.get(seller);
    if (s === undefined) {
      s = { pointer: null, pointerAt: Number.NEGATIVE_INFINITY, good: null, loading: null, failed: new Map(), lastProblem: null, usedAt: 0 };
      this.sellers.set(seller, s);
    }
    return s;
  }

  private problem(s: SellerState, seller: string, version: string | null, event: string, err: unknown, now: number): void {
    const message = err instanceof Error ? err.message : String(err);
    s.lastProblem = { version, message, at: new Date(now).toISOString() };
    this.log({ event, seller, version, error: message, serving: s.good?.version ?? null });
  }

  /**
   * The current version of one of the seller's slots, or without `slot` the seller's older
   * active pointer; null when there is none (or no good version loaded yet). Never throws
   * for storage or data problems. Slots and pointers naming one version share it decoded.
   */
  async get(seller: string, source: ModelSource, options: GetOptions, slot?: string): Promise<LoadedModel | null> {
    const key = slot === undefined ? seller : `${seller}\u0000${slot}`;
    const s = this.state(key);
    const { now } = options;
    s.usedAt = now;
    if (now - s.pointerAt >= options.memoMs) {
      try {
        s.pointer = await source.pointer(seller, slot);
        s.pointerAt = now;
        // Nothing published (or unpublished): free the memory.
        if (s.pointer === null) s.good = null;
      } catch (err) {
        // Keep what we had; the next request reads again.
        this.problem(s, seller, null, 'pointer_unreadable', err, now);
      }
    }
    const p = s.pointer;
    if (p === null) return s.good;
    if (s.good?.version === p.version) return s.good;
    const shared = this.decoded(seller, p);
    if (shared !== null) {
      s.good = shared;
      return shared;
    }
    const retryAt = s.failed.get(p.version);
    if (retryAt !== undefined && now < retryAt) return s.good;

    if (s.loading?.version !== p.version) {
      const promise = this.load(s, seller, p, source, now);
      s.loading = { version: p.version, promise };
    }
    const loading = s.loading;
    const loaded = await loading.promise;
    if (s.loading === loading) s.loading = null;
    if (loaded === null) {
      s.failed.set(p.version, now + this.retryMs);
      return s.good;
    }
    s.failed.delete(p.version);
    // A slower load of an older pointer must not replace a newer good version.
    if (s.pointer?.version === loaded.version || s.good === null) s.good = loaded;
    this.evict(key, options.maxBytes);
    return s.good;
  }

  /** A version of this seller already decoded for another pointer (a slot and the older pointers may name the same one). */
  private decoded(seller: string, p: ActivePointer): LoadedModel | null {
    for (const other of this.sellers.values()) {
      const g = other.good;
      if (g !== null && g.seller === seller && g.version === p.version && g.pointer.sha256 === p.sha256) return g;
    }
    return null;
  }

  private async load(s: SellerState, seller: string, p: ActivePointer, source: ModelSource, now: number): Promise<LoadedModel | null> {
    let bytes: Uint8Array | null;
    try {
      bytes = await source.artifact(p.artifact);
    } catch (err) {
      this.problem(s, seller, p.version, 'artifact_unreadable', err, now);
      return null;
    }
    if (bytes === null) {
      this.problem(s, seller, p.version, 'artifact_missing', new Error(`no object at ${p.artifact}`), now);
      return null;
    }
    try {
      const digest = toHex(await crypto.subtle.digest('SHA-256', bytes));
      if (digest !== p.sha256) throw new Error(`the artifact's SHA-256 is ${digest}, the pointer says ${p.sha256}`);
      // The shared decoder; with the WebAssembly kernel in use, straight into the kernel's memory.
      const artifact = decodeForScoring(bytes);
      // Readied now (any copy into the kernel's memory) rather than on the first request.
      const scoring = prepareScoring(artifact);
      return { seller, version: p.version, pointer: p, artifact, loadedAt: now, scoring, scores: new Float32Array(artifact.itemCount) };
    } catch (err) {
      this.problem(s, seller, p.version, 'artifact_rejected', err, now);
      return null;
    }
  }

  /** Drops the least recently used sellers' models until the total fits `maxBytes` (never `keep`'s). */
  private evict(keep: string, maxBytes: number): void {
    let total = 0;
    const counted = new Set<LoadedModel>();
    for (const s of this.sellers.values()) {
      if (s.good !== null && !counted.has(s.good)) {
        counted.add(s.good);
        total += footprint(s.good);
      }
    }
    if (total <= maxBytes) return;
    const kept = this.sellers.get(keep)?.good ?? null;
    const byAge = [...this.sellers.values()].filter((s) => s.good !== null && s.good !== kept).sort((a, b) => a.usedAt - b.usedAt);
    for (const s of byAge) {
      if (total <= maxBytes) break;
      const g = s.good!;
      s.good = null;
      s.pointerAt = Number.NEGATIVE_INFINITY;
      // Memory comes back only when no other slot still holds this version.
      if ([...this.sellers.values()].some((o) => o.good === g)) continue;
      total -= footprint(g);
      this.log({ event: 'model_evicted', seller: g.seller, version: g.version, bytes: footprint(g) });
    }
  }

  /**
   * The seller's serving configuration, read from the source and reused for `memoMs` (like
   * a pointer); null when there is none. A configuration that cannot be read or parsed is
   * logged (`serving_unreadable`) and the last good one kept; rules that do not parse are
   * logged and left out.
   */
  async serving(seller: string, source: ModelSource, options: Pick<GetOptions, 'memoMs' | 'now'>): Promise<ServingConfig | null> {
    const hit = this.configs.get(seller);
    const { now } = options;
    if (hit !== undefined && now - hit.at < options.memoMs) return hit.config;
    try {
      const read = await source.serving(seller);
      if (read !== null && read.problems.length > 0) this.log({ event: 'serving_unreadable', seller, error: read.problems.join('; ') });
      const config = read?.config ?? null;
      if (this.configs.size >= MAX_CONFIGS && !this.configs.has(seller)) this.configs.delete(this.configs.keys().next().value as string);
      this.configs.set(seller, { config, at: now });
      return config;
    } catch (err) {
      this.log({ event: 'serving_unreadable', seller, error: (err as Error).message, serving: hit === undefined ? null : 'the last one read' });
      return hit?.config ?? null;
    }
  }

  /** Forgets the memo of a slot's pointer (this isolate just moved it): the next request reads it again. */
  forgetPointer(seller: string, slot: string): void {
    const s = this.sellers.get(`${seller}\u0000${slot}`);
    if (s !== undefined) s.pointerAt = Number.NEGATIVE_INFINITY;
  }

  /** Forgets the memo of a seller's serving configuration (this isolate just changed it). */
  forgetServing(seller: string): void {
    this.configs.delete(seller);
  }

  /** What the cache knows about a seller's older active pointer, or one of its slots. */
  status(seller: string, slot?: string): SellerModelStatus {
    const s = this.sellers.get(slot === undefined ? seller : `${seller}\u0000${slot}`);
    const g = s?.good ?? null;
    return {
      pointer: s?.pointer ?? null,
      serving: g && {
        version: g.version,
        type: g.artifact.modelType,
        items: g.artifact.itemCount,
        bytes: g.artifact.byteLength,
        kernel: g.scoring.kernel,
        kernelBytes: g.scoring.wasmBytes,
        loaded: new Date(g.loadedAt).toISOString(),
      },
      lastProblem: s?.lastProblem ?? null,
    };
  }

  /** Forgets everything (tests). */
  clear(): void {
    this.sellers.clear();
    this.configs.clear();
  }
}
