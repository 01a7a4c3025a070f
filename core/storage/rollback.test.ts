import { describe, expect, it } from 'vitest';
import { planRollback, RollbackRefused, rollbackPointer, slotVersions } from './rollback.js';
import type { KeyValueReads } from './slot-reads.js';
import { slotStorage } from './slots.js';

const SELLER = 'shop1';
const sha = (c: string) => c.repeat(64);

/** A store of KV values, as the shared readers take it. */
function reads(values: Record<string, unknown>): KeyValueReads {
  const map = new Map(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  return {
    async getValues(keys) {
      return new Map(keys.map((k) => [k, map.get(k) ?? null]));
    },
    async listKeys(prefix) {
      return [...map.keys()].filter((k) => k.startsWith(prefix)).sort();
    },
  };
}

const entry = (version: string, published: string, extra: Record<string, unknown> = {}) => ({
  version,
  model: 'item-knn',
  sha256: sha(version.slice(-1)),
  bytes: 100,
  items: 40,
  customers: 12,
  published,
  ...extra,
});

const pointer = (version: string) => ({
  version,
  model: 'item-knn',
  artifact: `sellers/${SELLER}/models/${version}/artifact.bin`,
  sha256: sha(version.slice(-1)),
  items: 40,
  customers: 12,
  published: '2026-01-03T00:00:00.000Z',
  previous: null,
  slot: 'ease',
});

// Three versions of slot ease; the second and third published in the same second, ordered by ms.
const V1 = '20260101T000000Z-ease-a';
const V2 = '20260102T000000Z-ease-b';
const V3 = '20260102T000000Z-ease-c';
const store = (current: string) =>
  reads({
    [slotStorage.version(SELLER, 'ease', V1)]: entry(V1, '2026-01-01T00:00:00.000Z'),
    [slotStorage.version(SELLER, 'ease', V3)]: entry(V3, '2026-01-02T00:00:00.900Z', { customerShards: { count: 4, format: 1 } }),
    [slotStorage.version(SELLER, 'ease', V2)]: entry(V2, '2026-01-02T00:00:00.100Z'),
    [slotStorage.pointer(SELLER, 'ease')]: pointer(current),
    [slotStorage.version(SELLER, 'warp', 'other-f')]: entry('other-f', '2026-01-05T00:00:00.000Z'),
  });

describe('rollback (shared by the publisher and the edge)', () => {
  it('lists a slot’s versions oldest first by publish time, only that slot’s', async () => {
    expect((await slotVersions(store(V3), SELLER, 'ease')).map((v) => v.version)).toEqual([V1, V2, V3]);
  });

  it('goes back one version by default, or to a named one, and writes a pointer to it with its own layout', async () => {
    const plan = await planRollback(store(V3), SELLER, 'ease');
    expect(plan.current?.version).toBe(V3);
    expect(plan.target.version).toBe(V2);
    const now = new Date('2026-02-01T00:00:00Z');
    expect(rollbackPointer(SELLER, 'ease', plan, 41, now)).toEqual({
      version: V2,
      model: 'item-knn',
      artifact: `sellers/${SELLER}/models/${V2}/artifact.bin`,
      sha256: sha('b'),
      items: 41,
      customers: 12,
      published: '2026-02-01T00:00:00.000Z',
      previous: V3,
      slot: 'ease',
    });
    const forward = await planRollback(store(V1), SELLER, 'ease', V3);
    expect(rollbackPointer(SELLER, 'ease', forward, 40, now)).toMatchObject({ version: V3, previous: V1, customerShards: { count: 4, format: 1 } });
  });

  it('refuses, naming why, a bad slot name, an empty slot, a slot at its oldest version, and a version the slot does not keep', async () => {
    const refusal = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RollbackRefused);
      return [(err as RollbackRefused).reason, (err as RollbackRefused).message];
    };
    expect(await refusal(planRollback(store(V3), SELLER, 'Ease!'))).toEqual(['invalid_slot', expect.stringMatching(/is not a valid name/)]);
    expect(await refusal(planRollback(store(V3), SELLER, 'bpr'))).toEqual(['empty_slot', 'seller shop1 has nothing published in slot bpr']);
    expect(await refusal(planRollback(store(V1), SELLER, 'ease'))).toEqual([
      'no_older_version',
      `slot ease of seller shop1 has no version older than its current ${V1}`,
    ]);
    expect(await refusal(planRollback(store(V3), SELLER, 'ease', 'other-f'))).toEqual([
      'unknown_version',
      expect.stringMatching(new RegExp(`^version other-f is not among the versions of shop1's slot ease \\(${V1}, ${V2}, ${V3}\\)`)),
    ]);
  });
});
