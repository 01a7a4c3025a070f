import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeArtifact } from '../../trainer/artifact/encode.js';
import { sampleInput } from '../../trainer/artifact/test-data.js';
import type { ActivePointer } from '../../core/storage/pointer.js';
import { parseServingConfig } from '../../core/storage/slots.js';
import { footprint, ModelCache } from './model-cache.js';
import type { ModelSource } from './model-source.js';

/** The given sellers, each with one published artifact of `items` items, in memory. */
function sourceOf(sellers: string[], items: number): ModelSource & { reads: string[] } {
  const artifacts = new Map<string, Uint8Array>();
  const pointers = new Map<string, ActivePointer>();
  for (const [s, seller] of sellers.entries()) {
    const bytes = encodeArtifact(sampleInput({ items, dim: 16, seed: s + 1 }), { quantize: 'int8' });
    const key = `sellers/${seller}/models/v1/artifact.bin`;
    artifacts.set(key, bytes);
    pointers.set(seller, {
      version: 'v1',
      model: 'lightfm',
      artifact: key,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      items,
      customers: 0,
      published: '2026-12-01T00:00:00.000Z',
      previous: null,
    });
  }
  const reads: string[] = [];
  return {
    name: 'test',
    reads,
    pointer: async (seller: string) => pointers.get(seller) ?? null,
    artifact: async (key: string) => {
      reads.push(key);
      return artifacts.get(key)?.slice() ?? null;
    },
    userRecord: async () => null,
    forgetCustomer: () => {},
    serving: async () => null,
    slots: async () => ({ pointers: new Map(), entries: [], legacyEntries: [], legacyTypePointers: new Map(), serving: null, problems: [] }),
  };
}

describe('ModelCache memory bound', () => {
  it('counts the artifact and the kernel memory of a model, and evicts the least recently used seller over the bound', async () => {
    const source = sourceOf(['a', 'b', 'c'], 2000);
    const events: Record<string, unknown>[] = [];
    const cache = new ModelCache({ log: (e) => events.push(e) });
    const first = await cache.get('a', source, { memoMs: 60_000, maxBytes: Number.MAX_SAFE_INTEGER, now: 1 });
    expect(first).not.toBeNull();
    const one = footprint(first!);
    expect(one).toBeGreaterThanOrEqual(first!.artifact.byteLength);
    if (!first!.scoring.inPlace) expect(one).toBe(first!.artifact.byteLength + first!.scoring.wasmBytes);

    // Room for two models: loading c drops a, the least recently used (b was used after a).
    const options = (now: number) => ({ memoMs: 60_000, maxBytes: Math.floor(2.5 * one), now });
    await cache.get('b', source, options(2));
    await cache.get('c', source, options(3));
    expect(events.filter((e) => e.event === 'model_evicted').map((e) => e.seller)).toEqual(['a']);
    expect(cache.status('a').serving).toBeNull();
    expect(cache.status('b').serving?.version).toBe('v1');
    expect(cache.status('c').serving?.version).toBe('v1');

    // a comes back on its next request (read again), and b, now the oldest, makes room.
    const again = await cache.get('a', source, options(4));
    expect(again?.version).toBe('v1');
    expect(source.reads.filter((k) => k.startsWith('sellers/a/'))).toHaveLength(2);
    expect(events.filter((e) => e.event === 'model_evicted').map((e) => e.seller)).toEqual(['a', 'b']);
  });

  it('keeps the model of the seller being served even when it alone is over the bound', async () => {
    const source = sourceOf(['a'], 2000);
    const cache = new ModelCache({ log: () => {} });
    const model = await cache.get('a', source, { memoMs: 60_000, maxBytes: 1, now: 1 });
    expect(model?.version).toBe('v1');
    expect(cache.status('a').serving).not.toBeNull();
  });
});

describe('ModelCache serving configurations', () => {
  it('reuses a read for memoMs, reads again after it, keeps the last good one when a read fails, and logs rules it cannot parse', async () => {
    let stored: string | null = JSON.stringify({ surfaces: { basket: { slot: 'ease', fallback: null } }, updated: 't0' });
    let fail = false;
    let reads = 0;
    const source = {
      ...sourceOf([], 1),
      serving: async (seller: string) => {
        reads++;
        if (fail) throw new Error('KV: 503');
        return stored === null ? null : parseServingConfig(stored, seller);
      },
    };
    const events: Record<string, unknown>[] = [];
    const cache = new ModelCache({ log: (e) => events.push(e) });
    const at = (now: number) => cache.serving('s1', source, { memoMs: 5_000, now });
    expect((await at(0))?.surfaces.basket?.slot).toBe('ease');
    stored = JSON.stringify({ surfaces: { basket: { slot: 'warp', fallback: null }, similar: { slot: 'Bad!' } }, updated: 't1' });
    expect((await at(4_999))?.surfaces.basket?.slot).toBe('ease');
    expect(reads).toBe(1);
    const next = await at(5_000);
    expect(next?.surfaces).toEqual({ basket: { slot: 'warp', fallback: null } });
    expect(events).toMatchObject([{ event: 'serving_unreadable', seller: 's1' }]);
    expect(String(events[0].error)).toMatch(/similar.slot/);
    fail = true;
    expect((await at(10_000))?.surfaces.basket?.slot).toBe('warp');
    expect(events.at(-1)).toMatchObject({ event: 'serving_unreadable', error: 'KV: 503' });
    // This isolate changed it: forgotten at once.
    fail = false;
    stored = null;
    cache.forgetServing('s1');
    expect(await at(10_001)).toBeNull();
  });
});
