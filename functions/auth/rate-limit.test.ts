import { describe, expect, it } from 'vitest';
import { TokenBuckets } from './rate-limit.js';

describe('TokenBuckets', () => {
  it('allows a burst, then refills at the rate, and says when to retry', () => {
    const b = new TokenBuckets();
    const limit = { rps: 2, burst: 3 };
    const at = (ms: number) => b.take('k', limit, ms);
    expect([at(0), at(0), at(0)].map((r) => r.ok)).toEqual([true, true, true]);
    const refused = at(0);
    expect(refused).toEqual({ ok: false, retryAfter: 1, remaining: 0 });
    expect(at(499).ok).toBe(false);
    expect(at(500).ok).toBe(true); // one token after 0.5 s at 2/s
    expect(at(10_000)).toMatchObject({ ok: true, remaining: 2 }); // capped at the burst
  });

  it('rounds Retry-After up to whole seconds at low rates', () => {
    const b = new TokenBuckets();
    const limit = { rps: 0.1, burst: 1 };
    expect(b.take('k', limit, 0).ok).toBe(true);
    expect(b.take('k', limit, 1000)).toMatchObject({ ok: false, retryAfter: 9 });
  });

  it('keeps buckets per key and forgets the least recently used beyond its size', () => {
    const b = new TokenBuckets(2);
    const limit = { rps: 1, burst: 1 };
    expect(b.take('a', limit, 0).ok).toBe(true);
    expect(b.take('b', limit, 0).ok).toBe(true);
    expect(b.take('a', limit, 0).ok).toBe(false);
    expect(b.take('c', limit, 0).ok).toBe(true); // drops b, the least recently used
    expect(b.take('b', limit, 0).ok).toBe(true); // a fresh bucket
  });
});
