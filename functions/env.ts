import type { Log } from '../core/recommend/recommend.js';
import type { KeyRecord } from '../core/storage/keys.js';
import type { Budget } from './auth/rate-limit.js';
import type { CatalogCache } from './catalog/cache.js';
import type { EventsMessage } from './events/event.js';
import type { RunningExperiments } from './experiments/store.js';
import type { ModelCache } from './models/model-cache.js';
import type { ModelSource } from './models/model-source.js';

/** The worker's bindings (wrangler.toml) and optional settings (`[vars]`, all text). */
export interface Env {
  /** Active-version pointers, API key records (and the per-customer records of versions published before the shards). */
  KV: KVNamespace;
  /** Model artifacts and customer shards. */
  MODELS: R2Bucket;
  /** Events, experiments, deleted customers (migrations/). */
  DB: D1Database;
  /** Event intake: each accepted call becomes one message; the worker's queue handler writes it to D1. */
  EVENTS: Queue<EventsMessage>;
  /** "on" serves the demo storefront at /demo (local development only). */
  DEMO_STOREFRONT?: string;
  /** Seconds an isolate reuses a pointer or key read before reading KV again (default 5; 0 reads every time). */
  MEMO_SECONDS?: string;
  /** `cacheTtl` of KV reads, seconds (default 60; KV's minimum is 30). */
  KV_CACHE_TTL?: string;
  /** Decoded models kept per isolate, in MB of artifact bytes, least recently used dropped first (default 80). */
  MODEL_CACHE_MB?: string;
  /** Customer shard indexes and records kept per isolate, in MB, least recently used dropped first (default 16). */
  CUSTOMER_CACHE_MB?: string;
  /** Catalog layers kept per isolate over all sellers, in MB, least recently used seller dropped first (default 32). */
  CATALOG_CACHE_MB?: string;
  /** Default per-key rate limit per isolate: sustained requests per second (default 50) and burst (default 100). */
  RATE_LIMIT_RPS?: string;
  RATE_LIMIT_BURST?: string;
  /** Failed requests (authentication refused) an address may make per minute, in this isolate, where the binding is absent (default 60). */
  RATE_LIMIT_FAILURES_PER_MINUTE?: string;
  /** The share of a publishable key's budget one address may use, 0 to 1 (default 0.5). */
  RATE_LIMIT_ADDRESS_SHARE?: string;
  /** Cloudflare's Rate Limiting bindings (wrangler.toml), where deployed: failures per address, requests per key, per key and address. */
  RATE_LIMIT_FAILURES?: RateLimit;
  RATE_LIMIT_KEYS?: RateLimit;
  RATE_LIMIT_KEY_ADDRESSES?: RateLimit;
}

/** Settings parsed from {@link Env}, with defaults. */
export interface Settings {
  memoMs: number;
  kvCacheTtl: number;
  modelCacheBytes: number;
  customerCacheBytes: number;
  catalogCacheBytes: number;
  rateLimit: Budget;
  /** Failed requests per address: per second and at once. */
  failures: Budget;
  /** The share of a publishable key's budget one address may use. */
  addressShare: number;
}

const DEFAULT_SETTINGS: Settings = {
  memoMs: 5_000,
  kvCacheTtl: 60,
  modelCacheBytes: 80 * 1024 * 1024,
  customerCacheBytes: 16 * 1024 * 1024,
  catalogCacheBytes: 32 * 1024 * 1024,
  rateLimit: { rps: 50, burst: 100 },
  failures: { rps: 1, burst: 60 },
  addressShare: 0.5,
};

function num(text: string | undefined, fallback: number, min: number): number {
  if (text === undefined || text.trim() === '') return fallback;
  const v = Number(text);
  return Number.isFinite(v) && v >= min ? v : fallback;
}

let cached: { env: Env; settings: Settings } | undefined;

/** The settings of this env (parsed once per env object; a bad value falls back to the default). */
export function settingsOf(env: Env): Settings {
  if (cached?.env === env) return cached.settings;
  const d = DEFAULT_SETTINGS;
  const settings: Settings = {
    memoMs: num(env.MEMO_SECONDS, d.memoMs / 1000, 0) * 1000,
    kvCacheTtl: Math.round(num(env.KV_CACHE_TTL, d.kvCacheTtl, 30)),
    modelCacheBytes: num(env.MODEL_CACHE_MB, d.modelCacheBytes / 1048576, 1) * 1048576,
    customerCacheBytes: num(env.CUSTOMER_CACHE_MB, d.customerCacheBytes / 1048576, 0) * 1048576,
    catalogCacheBytes: num(env.CATALOG_CACHE_MB, d.catalogCacheBytes / 1048576, 0) * 1048576,
    rateLimit: { rps: num(env.RATE_LIMIT_RPS, d.rateLimit.rps, 0.001), burst: num(env.RATE_LIMIT_BURST, d.rateLimit.burst, 1) },
    failures: (() => {
      const perMinute = num(env.RATE_LIMIT_FAILURES_PER_MINUTE, d.failures.burst, 1);
      return { rps: perMinute / 60, burst: perMinute };
    })(),
    addressShare: Math.min(1, num(env.RATE_LIMIT_ADDRESS_SHARE, d.addressShare, 0.01)),
  };
  cached = { env, settings };
  return settings;
}

/**
 * Values the middleware hands on to the handlers. The first group is set for every request
 * by `shared()` (functions/http/context.ts), the rest by `authenticate` on seller routes.
 */
export interface Variables {
  /** This request's settings, parsed from its env. */
  settings: Settings;
  /** The isolate's decoded models. */
  models: ModelCache;
  /** The isolate's catalogs (catalog updates) and the live views of the models' items under them. */
  catalogs: CatalogCache;
  /** Where this request's models come from. */
  source: ModelSource;
  /** The sellers' running experiments, as the recommendation path reads them. */
  experiments: RunningExperiments;
  log: Log;
  /** The clock (epoch ms). */
  now: () => number;
  /** The checked key of a seller route. */
  key: KeyRecord;
  /** The origin to allow through CORS on this response, when one is allowed. */
  corsOrigin: string | null;
}

/** The Hono environment of the app. */
export interface AppEnv {
  Bindings: Env;
  Variables: Variables;
}
