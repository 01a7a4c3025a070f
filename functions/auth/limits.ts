import type { KeyRecord } from '../../core/storage/keys.js';
import { type Budget, TokenBuckets } from './rate-limit.js';

/**
 * The rate limits of seller routes (spec/edge-api.md, "Rate limits"):
 *
 * - per client address (CF-Connecting-IP), for requests that fail authentication (no key, an
 *   unknown, malformed or revoked key, another seller's key, a refused origin, a secret key in
 *   the URL): an address over its failure budget is refused with 429 before its key is hashed
 *   or looked up in KV, so unknown keys cost nothing once an address has failed too often;
 * - per key, for authenticated requests: the key's own `rps`/`burst`, or the defaults;
 * - per publishable key and address: one address may use at most a share of its key's budget,
 *   so a scraper with a storefront's public key cannot use it all up (a shopper elsewhere still
 *   gets answers); secret keys are used by one server and have no such share.
 *
 * Where the worker has Cloudflare's Rate Limiting bindings (wrangler.toml: RATE_LIMIT_FAILURES,
 * RATE_LIMIT_KEYS, RATE_LIMIT_KEY_ADDRESSES) they count, over all isolates of a location, with
 * the budgets configured there; a key with its own rps/burst (which a binding's fixed budget
 * cannot express), or a worker without the bindings, counts in this isolate's token buckets.
 * A request without CF-Connecting-IP (Cloudflare always sets it; only local tools and tests
 * lack it) has no address limits.
 */

/** What a failed check answers: seconds to wait, and what was exceeded. */
export interface Refusal {
  retryAfter: number;
  message: string;
}

/** The bindings, when the worker has them. */
export interface LimitBindings {
  RATE_LIMIT_FAILURES?: RateLimit | undefined;
  RATE_LIMIT_KEYS?: RateLimit | undefined;
  RATE_LIMIT_KEY_ADDRESSES?: RateLimit | undefined;
}

/** The budgets (from the settings). */
export interface LimitSettings {
  /** A key's default budget. */
  rateLimit: Budget;
  /** Failed requests an address may make: per second, and at once. */
  failures: Budget;
  /** The share of its key's budget one address may use (publishable keys), in (0, 1]. */
  addressShare: number;
}

/** The periods of the bindings in wrangler.toml (seconds): a refused request waits that long at most. */
const BINDING_PERIOD = { failures: 60, keys: 10 } as const;

/** Addresses remembered as over their failure budget, at most. */
const MAX_BLOCKED = 10_000;

export class Limits {
  private readonly buckets: TokenBuckets;
  /** Addresses the failure binding refused, until when (epoch ms): checked before any key lookup. */
  private readonly blocked = new Map<string, number>();

  constructor(
    maxBuckets = 10_000,
    private readonly log: (event: Record<string, unknown>) => void = () => {},
  ) {
    this.buckets = new TokenBuckets(maxBuckets);
  }

  /** Before the key is looked at: is this address over its failure budget? */
  checkAddress(address: string | null, settings: LimitSettings, bindings: LimitBindings, now: number): Refusal | null {
    if (address === null) return null;
    const until = this.blocked.get(address);
    if (until !== undefined) {
      if (until > now) return refusedAddress(Math.ceil((until - now) / 1000));
      this.blocked.delete(address);
    }
    if (bindings.RATE_LIMIT_FAILURES !== undefined) return null;
    const id = `fail:${address}`;
    if (this.buckets.has(id, settings.failures, now)) return null;
    return refusedAddress(this.buckets.wait(id, settings.failures, now));
  }

  /** Counts a failed request against its address. */
  async recordFailure(address: string | null, settings: LimitSettings, bindings: LimitBindings, now: number): Promise<void> {
    if (address === null) return;
    const binding = bindings.RATE_LIMIT_FAILURES;
    if (binding !== undefined) {
      const ok = await this.viaBinding(binding, `fail:${address}`, 'failures');
      if (ok === false) {
        if (this.blocked.size >= MAX_BLOCKED) this.blocked.delete(this.blocked.keys().next().value as string);
        this.blocked.set(address, now + BINDING_PERIOD.failures * 1000);
      }
      if (ok !== null) return;
    }
    this.buckets.take(`fail:${address}`, settings.failures, now);
  }

  /** After the key was accepted: its budget, and for a publishable key its address's share of it. */
  async checkKey(key: KeyRecord, address: string | null, settings: LimitSettings, bindings: LimitBindings, now: number): Promise<Refusal | null> {
    const own = key.rps !== null || key.burst !== null;
    const limit = { rps: key.rps ?? settings.rateLimit.rps, burst: key.burst ?? settings.rateLimit.burst };
    if (key.type === 'publishable' && address !== null) {
      const share = { rps: limit.rps * settings.addressShare, burst: Math.max(1, Math.floor(limit.burst * settings.addressShare)) };
      const refused = await this.take(own ? undefined : bindings.RATE_LIMIT_KEY_ADDRESSES, `addr:${key.id}:${address}`, share, now);
      if (refused !== null) {
        return {
          retryAfter: refused,
          message: `rate limit of this key for one address exceeded (${round(share.rps)} requests/s, burst ${share.burst}: ${Math.round(settings.addressShare * 100)}% of the key's budget); retry after ${refused} s`,
        };
      }
    }
    const refused = await this.take(own ? undefined : bindings.RATE_LIMIT_KEYS, `key:${key.id}`, limit, now);
    if (refused === null) return null;
    return { retryAfter: refused, message: `rate limit of this key exceeded (${round(limit.rps)} requests/s, burst ${limit.burst}); retry after ${refused} s` };
  }

  /** One token of `id`: from the binding when given (and working), else the isolate's bucket. Null when allowed, else seconds to wait. */
  private async take(binding: RateLimit | undefined, id: string, limit: Budget, now: number): Promise<number | null> {
    if (binding !== undefined) {
      const ok = await this.viaBinding(binding, id, 'keys');
      if (ok !== null) return ok ? null : BINDING_PERIOD.keys;
    }
    const t = this.buckets.take(id, limit, now);
    return t.ok ? null : t.retryAfter;
  }

  /** The binding's verdict, or null when it failed (then the bucket decides; logged). */
  private async viaBinding(binding: RateLimit, id: string, which: string): Promise<boolean | null> {
    try {
      return (await binding.limit({ key: id })).success;
    } catch (err) {
      this.log({ event: 'rate_limit_binding_failed', which, error: err instanceof Error ? err.message : String(err) });
      return null;
    }
  }

  /** Forgets every count (tests). */
  clear(): void {
    this.buckets.clear();
    this.blocked.clear();
  }
}

function refusedAddress(retryAfter: number): Refusal {
  return {
    retryAfter: Math.max(1, retryAfter),
    message: `too many failed requests from this address (wrong, missing or unknown keys); retry after ${Math.max(1, retryAfter)} s with a valid key`,
  };
}

const round = (x: number) => Number(x.toPrecision(3));
