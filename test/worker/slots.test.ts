import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/app.js';
import { assignArm } from '../../functions/experiments/assign.js';
import { modelsAnswer, servingAnswer } from '../../functions/routes/slots-schema.js';
import { callJson, createKey, fixtures, migrate, seedModels, seedTodaysSeller, SELLERS, waitFor, type RecBody } from './helpers.js';

/**
 * Slots and the serving configuration at the edge (spec/edge-api.md, "Slots and serving"):
 * the models listing, the serving rules and their refusals, the memo a change waits for,
 * the new-items rule, experiments over slots, and a seller published before the slots.
 */

const S = fixtures.slotsSeller;
const NEW = fixtures.newItem;
const TODAY = 'shop-today';
let sk: string;
let pk: string;
let skToday: string;
let pkToday: string;

beforeAll(async () => {
  await seedModels();
  await migrate();
  await seedTodaysSeller(SELLERS['item-knn'], TODAY);
  sk = (await createKey({ seller: S, type: 'secret', rps: 1e6, burst: 1e6 })).key;
  pk = (await createKey({ seller: S, rps: 1e6, burst: 1e6 })).key;
  skToday = (await createKey({ seller: TODAY, type: 'secret', rps: 1e6, burst: 1e6 })).key;
  pkToday = (await createKey({ seller: TODAY, rps: 1e6, burst: 1e6 })).key;
});

const put = (seller: string, key: string, body: unknown) => callJson(`/v1/sellers/${seller}/serving`, { key, method: 'PUT', body: JSON.stringify(body) });
const rec = async (path: string, key = pk) => {
  const r = await callJson<RecBody>(`/v1/sellers/${S}/recommendations/${path}`, { key });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

describe('GET /v1/sellers/:seller/models', () => {
  it('lists the slots with their kind, current version, the rules that name them, and their versions with the cards’ figures', async () => {
    const { status, body } = await callJson(`/v1/sellers/${S}/models`, { key: sk });
    expect(status).toBe(200);
    expect(modelsAnswer.parse(body)).toEqual(body);
    expect(body.slots.map((s: { slot: string; kind: string }) => [s.slot, s.kind])).toEqual([
      ['bpr', 'lightfm'],
      ['ease', 'item-knn'],
      ['lookalike', 'user-knn'],
      ['warp', 'lightfm'],
    ]);
    const warp = body.slots.find((s: { slot: string }) => s.slot === 'warp');
    expect(warp.versions).toHaveLength(2);
    expect(warp.versions.map((v: { current: boolean }) => v.current)).toEqual([false, true]);
    expect(warp.current).toBe(warp.versions[1].version);
    expect(warp.versions[0]).toMatchObject({ kind: 'lightfm', items: 25, metrics: { 'p@10': 0.1, 'basket_hr@10': 0.2 } });
    expect(warp.versions[0].bytes).toBeGreaterThan(0);
    // The first publish served every surface its kind serves; later ones left the rules alone.
    expect(warp.serves).toEqual(['basket', 'similar', 'for-you']);
    expect(body.serving).toMatchObject({ basket: { slot: 'warp', fallback: null }, 'new-items': null });
    expect(body.problems).toEqual([]);
  });

  it('needs a secret key', async () => {
    const r = await callJson(`/v1/sellers/${S}/models`, { key: pk });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('secret_key_required');
  });

  it('shows a seller published before the slots as slots named by kind, and still answers it (slot null)', async () => {
    const { body } = await callJson(`/v1/sellers/${TODAY}/models`, { key: skToday });
    expect(modelsAnswer.parse(body)).toEqual(body);
    expect(body.slots).toMatchObject([{ slot: 'item-knn', kind: 'item-knn', serves: [], versions: [{ kind: 'item-knn', current: true }] }]);
    const answer = await callJson<RecBody>(`/v1/sellers/${TODAY}/recommendations/basket?items=sku1&n=3`, { key: pkToday });
    expect(answer.body).toMatchObject({ model: { type: 'item-knn', version: body.slots[0].current, slot: null }, fallback: false });
    expect(answer.body.items).toHaveLength(3);
    // Its slot of that name answers slot= too (the older type pointer).
    const bySlot = await callJson<RecBody>(`/v1/sellers/${TODAY}/recommendations/basket?items=sku1&n=3&slot=item-knn`, { key: skToday });
    expect(bySlot.body.model).toEqual({ type: 'item-knn', version: body.slots[0].current, slot: 'item-knn' });
    expect(bySlot.body.items).toEqual(answer.body.items);
  });
});

describe('the serving configuration', () => {
  it('refuses an empty slot, a kind that does not serve the surface, a malformed body, and a publishable key', async () => {
    const empty = await put(S, sk, { surfaces: { basket: { slot: 'ghost' } } });
    expect(empty.status).toBe(409);
    expect(empty.body.error).toMatchObject({ code: 'serving_conflict' });
    expect(empty.body.error.message).toMatch(/basket: slot "ghost" is empty \(nothing is published in it\)/);
    for (const surface of ['basket', 'similar', 'new-items']) {
      const r = await put(S, sk, { surfaces: { [surface]: { slot: 'lookalike' } } });
      expect(r.status, surface).toBe(409);
      expect(r.body.error.message).toMatch(new RegExp(`${surface}: slot "lookalike" holds a user-knn model, which does not serve ${surface}`));
    }
    const badFallback = await put(S, sk, { surfaces: { 'for-you': { slot: 'warp', fallback: 'ghost' } } });
    expect(badFallback.body.error.message).toMatch(/fallback "ghost" is empty/);
    const cases: [unknown, RegExp][] = [
      [{ surfaces: { basket: { slot: 'Warp' } } }, /surfaces.basket.slot/],
      [{ surfaces: { home: { slot: 'warp' } } }, /surfaces/],
      [{ surfaces: {} }, /at least one/],
      [{ surfaces: { basket: { slot: 'warp', fallback: 'warp' } } }, /fallback is the slot itself/],
      [{ surfaces: { basket: { slot: 'none' } } }, /reserved/],
    ];
    for (const [body, message] of cases) {
      const r = await put(S, sk, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(message);
    }
    expect((await put(S, pk, { surfaces: { basket: { slot: 'ease' } } })).status).toBe(403);
    // Nothing of the above was written.
    const now = await callJson(`/v1/sellers/${S}/serving`, { key: sk });
    expect(now.body.surfaces.basket).toEqual({ slot: 'warp', fallback: null });
  });

  it('changes the named rules in one write; answers say which slot answered; another isolate sees it once its memo runs out', async () => {
    // An app of its own (an isolate of its own), on an injected clock, reusing reads for 5 s.
    let clock = Date.UTC(2026, 5, 1);
    const app = createApp({ now: () => clock });
    const memoEnv = { ...env, MEMO_SECONDS: '5' };
    const ask = async (path: string) => {
      const res = await app.request(`https://edge.test/v1/sellers/${S}/recommendations/${path}`, { headers: { Authorization: `Bearer ${pk}` } }, memoEnv);
      expect(res.status).toBe(200);
      return (await res.json()) as RecBody;
    };
    const before = await ask('basket?items=sku1&n=4');
    expect(before.model).toMatchObject({ type: 'lightfm', slot: 'warp' });

    const changed = await put(S, sk, { surfaces: { basket: { slot: 'ease', fallback: 'bpr' }, 'for-you': { slot: 'lookalike', fallback: 'warp' } } });
    expect(changed.status).toBe(200);
    expect(servingAnswer.parse(changed.body)).toEqual(changed.body);
    expect(changed.body.surfaces).toEqual({
      basket: { slot: 'ease', fallback: 'bpr' },
      similar: { slot: 'warp', fallback: null },
      'for-you': { slot: 'lookalike', fallback: 'warp' },
      'new-items': null,
    });
    // The isolate that changed it answers with it at once.
    expect((await rec('basket?items=sku1&n=4')).model).toMatchObject({ type: 'item-knn', slot: 'ease' });
    // The other one within its memo: the old rule for 5 s, then the new one.
    clock += 4_000;
    expect((await ask('basket?items=sku1&n=4')).model?.slot).toBe('warp');
    clock += 1_000;
    const after = await ask('basket?items=sku1&n=4');
    expect(after.model).toMatchObject({ type: 'item-knn', slot: 'ease' });
    expect(after.fallback).toBe(false);
    expect((await ask('for-you?customer=c3&n=4')).model).toMatchObject({ type: 'user-knn', slot: 'lookalike' });
    // A rule's fallback answers when its slot cannot be loaded.
    await env.KV.delete(`sellers/${S}/slots/ease/active`);
    try {
      clock += 5_000;
      expect((await ask('basket?items=sku1&n=4')).model).toMatchObject({ type: 'lightfm', slot: 'bpr' });
    } finally {
      const ease = fixtures.values.find(([k]) => k === `sellers/${S}/slots/ease/active`)!;
      await env.KV.put(ease[0], ease[1]);
    }
    // Removing a rule: the surface borrows another rule's version (for-you's here).
    const removed = await put(S, sk, { surfaces: { basket: null } });
    expect(removed.body.surfaces.basket).toBeNull();
    expect((await rec('basket?items=sku1&n=4')).model?.slot).toBe('lookalike');
    await put(S, sk, { surfaces: { basket: { slot: 'warp' }, 'for-you': { slot: 'warp' } } });
  });

  it('new-items: an item the surface’s model does not know is answered by the new-items slot, when it knows it', async () => {
    await put(S, sk, { surfaces: { similar: { slot: 'ease' }, basket: { slot: 'ease' } } });
    const unknown = await rec(`similar?item=${NEW}&n=4`);
    // EASE has never seen it: only the fallback ranking, from the ease slot.
    expect(unknown).toMatchObject({ model: { slot: 'ease' }, fallback: true });
    await put(S, sk, { surfaces: { 'new-items': { slot: 'bpr', fallback: 'warp' } } });
    const similar = await rec(`similar?item=${NEW}&n=4`);
    expect(similar).toMatchObject({ model: { type: 'lightfm', slot: 'bpr' }, fallback: false });
    expect(similar.items.map((i) => i.id)).not.toContain(NEW);
    expect(similar.items).toHaveLength(4);
    expect((await rec(`basket?items=${NEW}&n=4`)).model?.slot).toBe('bpr');
    // A known item stays with the surface's slot.
    expect((await rec('similar?item=sku2&n=4')).model?.slot).toBe('ease');
    // An item nobody knows: the surface's slot, with its fallback ranking.
    expect((await rec('similar?item=sku-nobody&n=4')).model?.slot).toBe('ease');
    await put(S, sk, { surfaces: { similar: { slot: 'warp' }, basket: { slot: 'warp' }, 'new-items': null } });
  });

  it('slot= (secret keys) answers from one slot, outside the rules; an empty slot is a 404', async () => {
    expect((await rec('for-you?customer=c3&n=3&slot=lookalike', sk)).model).toMatchObject({ type: 'user-knn', slot: 'lookalike' });
    const empty = await callJson(`/v1/sellers/${S}/recommendations/basket?items=sku1&slot=ghost`, { key: sk });
    expect(empty.status).toBe(404);
    expect(empty.body.error.code).toBe('model_not_available');
    expect((await callJson(`/v1/sellers/${S}/recommendations/basket?items=sku1&slot=ease`, { key: pk })).status).toBe(403);
    expect((await callJson(`/v1/sellers/${S}/recommendations/basket?items=sku1&slot=Bad!`, { key: sk })).status).toBe(400);
  });
});

describe('experiments over slots', () => {
  const base = `/v1/sellers/${S}/experiments`;
  const send = (path: string, body?: unknown, method?: string) =>
    callJson(path, { key: sk, ...(body === undefined ? {} : { body: JSON.stringify(body) }), ...(method ? { method } : {}) });

  it('refuses to start an arm whose slot is empty or of a kind that does not serve the surface', async () => {
    const ghost = (
      await send(base, {
        surface: 'basket',
        arms: [
          { name: 'a', slot: 'warp' },
          { name: 'b', slot: 'ghost' },
        ],
      })
    ).body.experiment;
    const r1 = await send(`${base}/${ghost.id}/start`, undefined, 'POST');
    expect(r1.status).toBe(409);
    expect(r1.body.error.message).toMatch(/arm "b" serves slot ghost, but seller shop-slots has nothing published in it/);
    const uu = (
      await send(base, {
        surface: 'similar',
        arms: [
          { name: 'a', slot: 'warp' },
          { name: 'uu', slot: 'lookalike' },
        ],
      })
    ).body.experiment;
    const r2 = await send(`${base}/${uu.id}/start`, undefined, 'POST');
    expect(r2.status).toBe(409);
    expect(r2.body.error.message).toMatch(/arm "uu" serves slot lookalike, a user-knn model, which does not answer the similar surface/);
    // An arm names a slot or a model, not both, not neither.
    const both = await send(base, {
      surface: 'basket',
      arms: [
        { name: 'a', slot: 'warp', model: 'none' },
        { name: 'b', model: 'none' },
      ],
    });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toMatch(/arms\[0\]: give the arm a slot .* not both/);
  });

  it('runs six arms over slots on for-you: each visitor gets their arm’s slot, and the report has every arm', async () => {
    const arms = [
      { name: 'warp', slot: 'warp', weight: 1 },
      { name: 'bpr', slot: 'bpr', weight: 1 },
      { name: 'ease', slot: 'ease', weight: 1 },
      { name: 'lookalike', slot: 'lookalike', weight: 1 },
      { name: 'popular', model: 'popularity', weight: 1 },
      { name: 'holdout', model: 'none', weight: 1 },
    ];
    const created = await send(base, { surface: 'for-you', arms });
    expect(created.status).toBe(201);
    const e = created.body.experiment;
    expect(e.arms).toEqual(arms);
    expect((await send(`${base}/${e.id}/start`, undefined, 'POST')).status).toBe(200);
    const slotOf: Record<string, string | null> = { warp: 'warp', bpr: 'bpr', ease: 'ease', lookalike: 'lookalike', popular: 'warp' };
    const seen = new Set<string>();
    for (let v = 0; v < 60; v++) {
      const visitor = `visitor-${v}`;
      const expected = assignArm(visitor, e.id, arms);
      const body = await rec(`for-you?customer=c${v % 40}&n=4&visitor=${visitor}`);
      expect(body).toMatchObject({ variant: expected, experiment: e.id });
      if (expected === 'holdout') expect(body.items).toEqual([]);
      else {
        expect(body.model?.slot, expected).toBe(slotOf[expected]);
        if (expected === 'popular') expect(body.model?.type).toBe('popularity');
      }
      seen.add(expected);
    }
    expect(seen.size).toBe(6);
    await waitFor(
      async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'exposure' AND experiment_id = ?").bind(e.id).first<{ n: number }>())!.n,
      (n) => n === 60,
    );
    const report = await send(`${base}/${e.id}/report`);
    expect(report.status).toBe(200);
    expect(report.body.arms.map((a: { arm: string; slot: string | null; model: string | null }) => [a.arm, a.slot, a.model])).toEqual([
      ['warp', 'warp', null],
      ['bpr', 'bpr', null],
      ['ease', 'ease', null],
      ['lookalike', 'lookalike', null],
      ['popular', null, 'popularity'],
      ['holdout', null, 'none'],
    ]);
    expect(report.body.arms.reduce((s: number, a: { visitors: number }) => s + a.visitors, 0)).toBe(60);
    expect(report.body.comparisons).toHaveLength(5);
    expect((await send(`${base}/${e.id}/stop`, undefined, 'POST')).status).toBe(200);
  });

  it('keeps an experiment of before the slots working: arms of model types answer from the slots of those names', async () => {
    const base2 = `/v1/sellers/${TODAY}/experiments`;
    const arms = [
      { name: 'knn', model: 'item-knn', weight: 1 },
      { name: 'pop', model: 'popularity', weight: 1 },
    ];
    const e = (await callJson(base2, { key: skToday, body: JSON.stringify({ surface: 'basket', arms }) })).body.experiment;
    expect((await callJson(`${base2}/${e.id}/start`, { key: skToday, method: 'POST' })).status).toBe(200);
    for (let v = 0; v < 10; v++) {
      const body = (await callJson<RecBody>(`/v1/sellers/${TODAY}/recommendations/basket?items=sku1&n=3&visitor=v${v}`, { key: pkToday })).body;
      const arm = assignArm(`v${v}`, e.id, arms);
      expect(body.variant).toBe(arm);
      expect(body.model).toMatchObject(arm === 'knn' ? { type: 'item-knn', slot: 'item-knn' } : { type: 'popularity', slot: null });
    }
    expect((await callJson(`${base2}/${e.id}/report`, { key: skToday })).body.arms.map((a: { model: string }) => a.model)).toEqual(['item-knn', 'popularity']);
    expect((await callJson(`${base2}/${e.id}/stop`, { key: skToday, method: 'POST' })).status).toBe(200);
  });
});
