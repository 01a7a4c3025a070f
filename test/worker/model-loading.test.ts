import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { toHex } from '../../core/storage/keys.js';
import { callJson, createKey, fixtures, fixtureShard, fromBase64, pointerOf, putShardRecords, recordOf, seedModels, SELLERS, type RecBody } from './helpers.js';

const SWAP = 'shop-swap';
const BROKEN = 'shop-broken';
const pk: Record<string, string> = {};
let skSwap: string;

async function sha256(bytes: Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', bytes));
}

function objectOf(seller: string): Uint8Array {
  const key = pointerOf(seller).artifact;
  return fromBase64(fixtures.objects.find(([k]) => k === key)![1]);
}

/** Publishes `bytes` as `version` of `seller` by hand: the object (unless null) and the pointer. */
async function point(seller: string, version: string, bytes: Uint8Array | null, options: { sha?: string; model?: string } = {}): Promise<void> {
  const artifact = `sellers/${seller}/models/${version}/artifact.bin`;
  if (bytes !== null) await env.MODELS.put(artifact, bytes);
  const sha = options.sha ?? (bytes ? await sha256(bytes) : '0'.repeat(64));
  await env.KV.put(
    `sellers/${seller}/active`,
    JSON.stringify({
      version,
      model: options.model ?? 'item-knn',
      artifact,
      sha256: sha,
      items: 24,
      customers: 0,
      published: new Date().toISOString(),
      previous: null,
    }),
  );
}

async function basket(seller: string): Promise<RecBody> {
  const { status, body } = await callJson<RecBody>(`/v1/sellers/${seller}/recommendations/basket?items=sku0&n=5`, { key: pk[seller] });
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

async function modelStatus(): Promise<{
  serving: { version: string; type: string; kernel: string } | null;
  last_problem: { version: string | null; message: string } | null;
}> {
  const { status, body } = await callJson(`/v1/sellers/${SWAP}/model`, { key: skSwap });
  expect(status).toBe(200);
  return body;
}

/** One byte of the artifact flipped inside its last section (a checksum catches it). */
function corrupted(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy[copy.length - 3] ^= 0x10;
  return copy;
}

beforeAll(async () => {
  await seedModels();
  for (const seller of [SWAP, BROKEN, SELLERS.lightfm, SELLERS['item-knn']]) pk[seller] = (await createKey({ seller, rps: 1e6, burst: 1e6 })).key;
  skSwap = (await createKey({ seller: SWAP, type: 'secret' })).key;
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('model loading', () => {
  it('serves the active version, keeps the last good one through bad versions, and moves on to the next good one', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const knn = objectOf(SELLERS['item-knn']);
    await point(SWAP, 'v1', knn);
    const v1 = await basket(SWAP);
    expect(v1).toMatchObject({ model: { type: 'item-knn', version: 'v1' }, fallback: false });

    const bad: [string, () => Promise<void>, RegExp][] = [
      ['v2', () => point(SWAP, 'v2', corrupted(knn)), /checksum mismatch/],
      ['v3', () => point(SWAP, 'v3', null), /no object at sellers\/shop-swap\/models\/v3/],
      ['v4', () => point(SWAP, 'v4', objectOf(SELLERS.lightfm), { sha: 'f'.repeat(64) }), /SHA-256/],
      ['v5', () => point(SWAP, 'v5', knn.slice(0, 100)), /truncated/],
      ['v6', () => point(SWAP, 'v6', new TextEncoder().encode('PK\u0003\u0004 not a model')), /not a PlusOne model artifact/],
    ];
    for (const [version, publish, message] of bad) {
      await publish();
      const body = await basket(SWAP);
      expect(body, version).toMatchObject({ model: { version: 'v1' }, fallback: false });
      expect(body.items).toEqual(v1.items);
      const s = await modelStatus();
      expect(s.serving?.version).toBe('v1');
      expect(s.last_problem?.version).toBe(version);
      expect(s.last_problem?.message).toMatch(message);
    }
    // Each bad version was logged once (a failed version is not retried on every request).
    const logged = errors.mock.calls.map((c) => String(c[0]));
    for (const [version] of bad) expect(logged.filter((l) => l.includes(`"version":"${version}"`) && /artifact_/.test(l))).toHaveLength(1);

    // A malformed pointer is logged too, and v1 keeps serving.
    await env.KV.put(`sellers/${SWAP}/active`, '{"version": 7');
    expect((await basket(SWAP)).model?.version).toBe('v1');
    expect(logged.length).toBeLessThan(errors.mock.calls.length);

    await point(SWAP, 'v7', objectOf(SELLERS.lightfm), { model: 'lightfm' });
    expect((await basket(SWAP)).model).toEqual({ type: 'lightfm', version: 'v7', slot: null });
    // The worker scores int8 vectors with the WebAssembly kernel it hands to core/scoring.
    expect((await modelStatus()).serving).toMatchObject({ version: 'v7', type: 'lightfm', kernel: 'wasm' });

    // Unpublished: no model at all, an empty answer rather than an error.
    await env.KV.delete(`sellers/${SWAP}/active`);
    expect(await basket(SWAP)).toMatchObject({ items: [], model: null, fallback: true });
  });

  it('answers a seller whose only version is corrupt with an empty list and fallback true', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await point(BROKEN, 'v1', corrupted(objectOf(SELLERS['item-knn'])));
    for (const route of ['basket?items=sku0', 'similar?item=sku0', 'for-you?customer=c1']) {
      const { status, body } = await callJson(`/v1/sellers/${BROKEN}/recommendations/${route}`, { key: pk[BROKEN] });
      expect(status).toBe(200);
      expect(body).toMatchObject({ items: [], model: null, fallback: true });
    }
  });

  it('treats a damaged customer record, or one made for another artifact, as an unknown customer', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const seller = SELLERS.lightfm;
    const good = await callJson<RecBody>(`/v1/sellers/${seller}/recommendations/for-you?customer=c5&n=3`, { key: pk[seller] });
    expect(good.body.fallback).toBe(false);
    const flipped = recordOf(seller, 'c7')!;
    flipped[flipped.length - 1] ^= 1;
    const otherTable = recordOf(seller, 'c8')!;
    otherTable[12] ^= 1; // the item table tag (the payload checksum does not cover it)
    await putShardRecords(
      seller,
      new Map([
        ['c5', new TextEncoder().encode('not a record at all!')],
        // The user-knn model has the same item table, so its records pass the tag check but are of the wrong kind.
        ['c6', recordOf(SELLERS['user-knn'], 'c9')!],
        ['c7', flipped],
        ['c8', otherTable],
      ]),
    );
    for (const customer of ['c5', 'c6', 'c7', 'c8']) {
      const { status, body } = await callJson<RecBody>(`/v1/sellers/${seller}/recommendations/for-you?customer=${customer}&n=3`, { key: pk[seller] });
      expect(status).toBe(200);
      expect(body.fallback, customer).toBe(true);
      expect(body.items).toHaveLength(3);
    }
    const logged = errors.mock.calls.map((c) => String(c[0])).join('\n');
    expect(logged).toMatch(/record_rejected.*not a PlusOne user record/);
    expect(logged).toMatch(/record_rejected.*a top-items record for a lightfm model/);
    expect(logged).toMatch(/record_rejected.*checksum mismatch in user record/);
    expect(logged).toMatch(/record_rejected.*made for another artifact/);
  });

  it('treats the customers of a damaged shard as unknown, and logs why', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const seller = SELLERS['item-knn'];
    const { key, shard } = fixtureShard(seller, 'c9');
    const damaged = shard.bytes.slice();
    damaged[40] ^= 1; // inside the index
    await env.MODELS.put(key, damaged);
    const { status, body } = await callJson<RecBody>(`/v1/sellers/${seller}/recommendations/for-you?customer=c9&n=3`, { key: pk[seller] });
    expect(status).toBe(200);
    expect(body.fallback).toBe(true);
    expect(errors.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/record_unreadable.*checksum mismatch in the customer shard index/);
    await env.MODELS.put(key, shard.bytes);
  });
});
