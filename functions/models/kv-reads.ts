import type { KeyValueReads } from '../../core/storage/slot-reads.js';

/** KV's bulk read takes up to 100 keys. */
const BULK_GET = 100;

/**
 * The edge's KV as the shared slot readers (core/storage/slot-reads.ts) take it: many keys
 * per read (in KV's bulk reads of 100) with `cacheTtl`, and the keys under a prefix (every
 * page of KV's listing).
 */
export function kvReads(kv: KVNamespace, cacheTtl: number): KeyValueReads {
  return {
    async getValues(keys) {
      const unique = [...new Set(keys)];
      const out = new Map<string, string | null>();
      const chunks: string[][] = [];
      for (let s = 0; s < unique.length; s += BULK_GET) chunks.push(unique.slice(s, s + BULK_GET));
      await Promise.all(
        chunks.map(async (chunk) => {
          const got = await kv.get(chunk, { type: 'text', cacheTtl });
          for (const k of chunk) out.set(k, got.get(k) ?? null);
        }),
      );
      return new Map(keys.map((k) => [k, out.get(k) ?? null]));
    },
    async listKeys(prefix) {
      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await kv.list({ prefix, ...(cursor ? { cursor } : {}) });
        for (const k of page.keys) names.push(k.name);
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor !== undefined);
      return names.sort();
    },
  };
}

/** Maps in the KV layout (MemorySource) as the shared slot readers take them. */
export function mapReads(values: Map<string, string>): KeyValueReads {
  return {
    async getValues(keys) {
      return new Map(keys.map((k) => [k, values.get(k) ?? null]));
    },
    async listKeys(prefix) {
      return [...values.keys()].filter((k) => k.startsWith(prefix)).sort();
    },
  };
}
