import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { KvR2Source } from '../../functions/models/kv-r2-source.js';
import { MemorySource } from '../../functions/models/memory-source.js';
import type { ModelSource } from '../../functions/models/model-source.js';
import { fixtures, fromBase64, pointerOf, recordOf, seedModels, SELLERS } from './helpers.js';

/** One suite, run against every ModelSource implementation. */
function describeSource(name: string, make: () => ModelSource): void {
  describe(`ModelSource: ${name}`, () => {
    const seller = SELLERS.lightfm;

    it('reads the active pointer, null for a seller without one', async () => {
      const source = make();
      expect(await source.pointer(seller)).toMatchObject(pointerOf(seller));
      expect(await source.pointer('nobody')).toBeNull();
    });

    it('throws for a malformed pointer, naming the field', async () => {
      await expect(make().pointer('shop-badpointer')).rejects.toThrow(/sha256/);
    });

    it('reads artifacts by key, null when missing', async () => {
      const source = make();
      const key = pointerOf(seller).artifact;
      const bytes = await source.artifact(key);
      expect(bytes).toEqual(fromBase64(fixtures.objects.find(([k]) => k === key)![1]));
      expect(bytes!.byteOffset % 8).toBe(0);
      expect(await source.artifact(`sellers/${seller}/models/nope/artifact.bin`)).toBeNull();
    });

    it('reads per-customer records, null for unknown customers and ids too long for a key', async () => {
      const source = make();
      const { version } = pointerOf(seller);
      expect(await source.userRecord(seller, version, 'c3')).toEqual(fromBase64(recordOf(seller, 'c3')!));
      expect(await source.userRecord(seller, version, 'stranger')).toBeNull();
      expect(await source.userRecord(seller, version, '☕'.repeat(200))).toBeNull();
    });
  });
}

const badPointer = JSON.stringify({ version: 'v1', model: 'lightfm', artifact: 'sellers/shop-badpointer/models/v1/artifact.bin', sha256: 'abc' });

beforeAll(async () => {
  await seedModels();
  await env.KV.put('sellers/shop-badpointer/active', badPointer);
});

describeSource('KV and R2', () => new KvR2Source(env.KV, env.MODELS, { cacheTtl: 60 }));
describeSource('memory', () => {
  const values = new Map(fixtures.values);
  values.set('sellers/shop-badpointer/active', badPointer);
  return new MemorySource(values, new Map(fixtures.objects.map(([k, v]) => [k, fromBase64(v)])));
});
