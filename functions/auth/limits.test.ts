import { describe, expect, it } from 'vitest';
import type { KeyRecord } from '../../core/storage/keys.js';
import { Limits, type LimitSettings } from './limits.js';

const settings: LimitSettings = { rateLimit: { rps: 1, burst: 4 }, failures: { rps: 1 / 60, burst: 3 }, addressShare: 0.5 };
const key = (over: Partial<KeyRecord> = {}): KeyRecord => ({
  id: 'key_0000000000000001',
  seller: 's',
  type: 'publishable',
  origins: ['*'],
  created: '2026-01-01T00:00:00Z',
  revoked: null,
  rps: null,
  burst: null,
  ...over,
});

/** A binding that allows `allow` calls per key, counting them. */
function binding(allow: number) {
  const calls = new Map<string, number>();
  return {
    calls,
    limit: async ({ key: k }: { key: string }) => {
      calls.set(k, (calls.get(k) ?? 0) + 1);
      return { success: calls.get(k)! <= allow };
    },
  };
}

describe('Limits', () => {
  it('without bindings: counts failures per address in the isolate and refuses before the next lookup', async () => {
    const l = new Limits();
    for (let k = 0; k < 3; k++) {
      expect(l.checkAddress('a', settings, {}, 0)).toBeNull();
      await l.recordFailure('a', settings, {}, 0);
    }
    expect(l.checkAddress('a', settings, {}, 0)).toMatchObject({ retryAfter: 60 });
    expect(l.checkAddress('b', settings, {}, 0)).toBeNull();
    expect(l.checkAddress('a', settings, {}, 60_000)).toBeNull(); // one failure refilled
    expect(l.checkAddress(null, settings, {}, 0)).toBeNull(); // no address, no address limit
  });

  it('with the failure binding: an address it refuses is remembered for its period and refused before any lookup', async () => {
    const l = new Limits();
    const b = binding(2);
    const bindings = { RATE_LIMIT_FAILURES: b };
    for (let k = 0; k < 3; k++) await l.recordFailure('a', settings, bindings, 1000);
    expect(b.calls.get('fail:a')).toBe(3);
    expect(l.checkAddress('a', settings, bindings, 1000)).toMatchObject({ retryAfter: 60 });
    expect(l.checkAddress('a', settings, bindings, 61_001)).toBeNull();
  });

  it("uses the key bindings for keys with the default budget, the isolate's buckets for keys with their own", async () => {
    const l = new Limits();
    const keys = binding(3);
    const addresses = binding(2);
    const bindings = { RATE_LIMIT_KEYS: keys, RATE_LIMIT_KEY_ADDRESSES: addresses };
    const answers = [];
    for (let k = 0; k < 3; k++) answers.push(await l.checkKey(key(), 'x', settings, bindings, 0));
    expect(answers.map((a) => a?.retryAfter ?? null)).toEqual([null, null, 10]);
    expect(addresses.calls.get('addr:key_0000000000000001:x')).toBe(3);
    // Another address: its own share, the key's count goes on (3 allowed in all).
    expect(await l.checkKey(key(), 'y', settings, bindings, 0)).toBeNull();
    expect(await l.checkKey(key(), 'z', settings, bindings, 0)).toMatchObject({ retryAfter: 10 });
    // A key with its own budget is not counted by the bindings.
    const own = key({ id: 'key_0000000000000002', rps: 0.001, burst: 2 });
    expect(await l.checkKey(own, 'x', settings, bindings, 0)).toBeNull();
    expect(await l.checkKey(own, 'x', settings, bindings, 0)).toMatchObject({ message: expect.stringMatching(/for one address/) });
    expect(keys.calls.has('key:key_0000000000000002')).toBe(false);
  });

  it('falls back to the buckets when a binding fails, and logs it', async () => {
    const logged: Record<string, unknown>[] = [];
    const l = new Limits(100, (e) => logged.push(e));
    const broken = {
      limit: async () => {
        throw new Error('binding down');
      },
    };
    const secret = key({ type: 'secret' });
    const answers = [];
    for (let k = 0; k < 5; k++) answers.push(await l.checkKey(secret, 'x', settings, { RATE_LIMIT_KEYS: broken }, 0));
    expect(answers.map((a) => (a === null ? 'ok' : 'refused'))).toEqual(['ok', 'ok', 'ok', 'ok', 'refused']);
    expect(logged[0]).toMatchObject({ event: 'rate_limit_binding_failed', which: 'keys', error: 'binding down' });
  });
});
