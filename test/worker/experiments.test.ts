import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertEvents } from '../../functions/events/store.js';
import { changeStatus, REPORT_LIMITS, REPORT_SQL } from '../../functions/experiments/store.js';
import worker from '../../functions/index.js';
import type { StoredEvent } from '../../functions/events/event.js';
import { assignArm } from '../../functions/experiments/assign.js';
import { modelStorage } from '../../core/storage/pointer.js';
import { callJson, createKey, fixtures, migrate, pointerOf, seedModels, SELLERS, waitFor, type RecBody } from './helpers.js';

const S = SELLERS['item-knn'];
const base = `/v1/sellers/${S}/experiments`;

let sk: string;
let pk: string;

/** Gives seller S a lightfm model too (the lightfm fixture's artifact, copied under S), so arms can differ. */
async function publishLightfmUnderS(): Promise<void> {
  const p = pointerOf(SELLERS.lightfm);
  const artifact = `sellers/${S}/models/${p.version}/artifact.bin`;
  const bytes = fixtures.objects.find(([k]) => k === p.artifact)![1];
  await env.MODELS.put(
    artifact,
    Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0)),
  );
  await env.KV.put(modelStorage.activeOfType(S, 'lightfm'), JSON.stringify({ ...p, artifact }));
}

beforeAll(async () => {
  await seedModels();
  await migrate();
  await publishLightfmUnderS();
  sk = (await createKey({ seller: S, type: 'secret', rps: 10_000, burst: 10_000 })).key;
  pk = (await createKey({ seller: S, rps: 10_000, burst: 10_000 })).key;
});

const send = (path: string, body?: unknown, method?: string) =>
  callJson(path, { key: sk, ...(body === undefined ? {} : { body: JSON.stringify(body) }), ...(method ? { method } : {}) });

const basketArms = [
  { name: 'ease', model: 'item-knn', weight: 40 },
  { name: 'warp', model: 'lightfm', weight: 40 },
  { name: 'holdout', model: 'none', weight: 20 },
];

describe('experiments', () => {
  it('refuses bad definitions with 400 naming the problem', async () => {
    const cases: [unknown, RegExp][] = [
      [{ surface: 'basket', arms: [basketArms[0]] }, /at least 2 arms/],
      [{ surface: 'home', arms: basketArms }, /surface/],
      [{ surface: 'basket', arms: [basketArms[0], { name: 'x', model: 'magic', weight: 1 }] }, /model/],
      [{ surface: 'basket', arms: [basketArms[0], { ...basketArms[0] }] }, /used twice/],
      [{ surface: 'basket', arms: basketArms.map((a) => ({ ...a, weight: 0 })) }, /weight must be > 0/],
      [{ surface: 'basket', arms: basketArms, control: 'nope' }, /control "nope" is not one of the arms/],
      [{ surface: 'basket', arms: basketArms, extra: 1 }, /extra|Unrecognized/i],
    ];
    for (const [body, message] of cases) {
      const r = await send(base, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(message);
    }
    expect((await callJson(base, { key: pk, body: JSON.stringify({ surface: 'basket', arms: basketArms }) })).status).toBe(403);
  });

  it('creates, lists, starts and stops; one running experiment per surface; arms need published models', async () => {
    const created = await send(base, { name: 'EASE vs WARP', surface: 'basket', arms: basketArms, control: 'ease' });
    expect(created.status).toBe(201);
    const e = created.body.experiment;
    expect(e).toMatchObject({ status: 'draft', control: 'ease', surface: 'basket', attribution_window_hours: 24, started: null });
    expect(e.id).toMatch(/^exp_[0-9a-f]{12}$/);
    expect((await send(base)).body.experiments.map((x: { id: string }) => x.id)).toContain(e.id);
    expect((await send(`${base}/exp_000000000000`)).status).toBe(404);

    const started = await send(`${base}/${e.id}/start`, undefined, 'POST');
    expect(started.status).toBe(200);
    expect(started.body.experiment.status).toBe('running');
    expect((await send(`${base}/${e.id}/start`, undefined, 'POST')).status).toBe(409);

    const rival = (await send(base, { surface: 'basket', arms: basketArms })).body.experiment;
    const clash = await send(`${base}/${rival.id}/start`, undefined, 'POST');
    expect(clash.status).toBe(409);
    expect(clash.body.error.message).toContain(e.id);

    const unpublished = (await send(base, { surface: 'for-you', arms: [basketArms[0], { name: 'uu', model: 'user-knn', weight: 1 }] })).body.experiment;
    const missing = await send(`${base}/${unpublished.id}/start`, undefined, 'POST');
    expect(missing.status).toBe(409);
    expect(missing.body.error.message).toMatch(/arm "uu" serves slot user-knn, but seller shop-itemknn has nothing published in it/);

    // While it runs, answers carry the variant: stable per visitor, the arm's model answering.
    const seen = new Map<string, number>();
    for (let v = 0; v < 60; v++) {
      const visitor = `visitor-${v}`;
      const expected = assignArm(visitor, e.id, basketArms);
      for (let k = 0; k < 2; k++) {
        const r = await callJson<RecBody>(`/v1/sellers/${S}/recommendations/basket?items=sku1&n=4&visitor=${visitor}`, { key: pk });
        expect(r.status).toBe(200);
        expect(r.body.variant).toBe(expected);
        expect(r.body.experiment).toBe(e.id);
        if (expected === 'holdout') expect(r.body.items).toEqual([]);
        else {
          expect(r.body.model?.type).toBe(expected === 'ease' ? 'item-knn' : 'lightfm');
          expect(r.body.items.length).toBe(4);
        }
      }
      seen.set(expected, (seen.get(expected) ?? 0) + 1);
    }
    expect(seen.size).toBe(3);
    // Other surfaces and requests without a visitor are outside the experiment.
    const similar = await callJson<RecBody>(`/v1/sellers/${S}/recommendations/similar?item=sku1&visitor=visitor-1`, { key: pk });
    expect(similar.body.variant).toBeNull();
    const anonymous = await callJson<RecBody>(`/v1/sellers/${S}/recommendations/basket?items=sku1`, { key: pk });
    expect(anonymous.body).toMatchObject({ variant: null, experiment: null });
    // Each answer inside the experiment was recorded as an exposure (120 answers).
    const exposures = await waitFor(
      async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'exposure' AND experiment_id = ?").bind(e.id).first<{ n: number }>())!.n,
      (n) => n === 120,
    );
    expect(exposures).toBe(120);
    const report = await send(`${base}/${e.id}/report`);
    expect(report.status).toBe(200);
    expect(report.body.arms.reduce((s: number, a: { visitors: number }) => s + a.visitors, 0)).toBe(60);

    const stopped = await send(`${base}/${e.id}/stop`, undefined, 'POST');
    expect(stopped.body.experiment.status).toBe('stopped');
    const after = await callJson<RecBody>(`/v1/sellers/${S}/recommendations/basket?items=sku1&visitor=visitor-1`, { key: pk });
    expect(after.body.variant).toBeNull();
    expect((await send(`${base}/${e.id}/stop`, undefined, 'POST')).status).toBe(409);
  });

  it('splits 100,000 visitor ids within 1% of the weights, and each visitor always lands in the same arm', () => {
    const arms = [
      { name: 'a', weight: 50 },
      { name: 'b', weight: 30 },
      { name: 'c', weight: 20 },
    ];
    const counts = new Map<string, number>();
    for (let v = 0; v < 100_000; v++) {
      const arm = assignArm(`visitor-${v}`, 'exp_0123456789ab', arms);
      counts.set(arm, (counts.get(arm) ?? 0) + 1);
    }
    for (const a of arms) expect(Math.abs(counts.get(a.name)! / 100_000 - a.weight / 100)).toBeLessThan(0.01);
    for (let v = 0; v < 1000; v++) expect(assignArm(`visitor-${v}`, 'exp_0123456789ab', arms)).toBe(assignArm(`visitor-${v}`, 'exp_0123456789ab', [...arms]));
  });

  it('reports per-arm figures and tests that match values computed by hand', async () => {
    const arms = [
      { name: 'ease', model: 'item-knn', weight: 50 },
      { name: 'warp', model: 'lightfm', weight: 50 },
    ];
    const e = (await send(base, { surface: 'similar', arms, control: 'ease', orders_per_year: 10_000 })).body.experiment;
    const started = Date.parse((await send(`${base}/${e.id}/start`, undefined, 'POST')).body.experiment.started);
    let k = 0;
    const ev = (type: StoredEvent['type'], visitor: string, extra: Partial<StoredEvent> = {}): StoredEvent => ({
      event_id: crypto.randomUUID(),
      seller: S,
      type,
      visitor_id: visitor,
      customer_id: null,
      rec_id: null,
      experiment_id: null,
      variant: null,
      surface: 'similar',
      item_ids: ['sku1'],
      order_id: null,
      value: null,
      currency: null,
      ts: started + 10 + k++,
      received: started,
      ...extra,
    });
    const rows: StoredEvent[] = [];
    // 10 visitors per arm, exposed first.
    for (let i = 0; i < 10; i++) {
      rows.push(ev('exposure', `c${i}`, { experiment_id: e.id, variant: 'ease' }));
      rows.push(ev('exposure', `t${i}`, { experiment_id: e.id, variant: 'warp' }));
    }
    // Impressions and clicks tagged with the experiment: control 20 / 2, treatment 20 / 6.
    for (let i = 0; i < 20; i++) {
      rows.push(ev('impression', `c${i % 10}`, { experiment_id: e.id, variant: 'ease' }));
      rows.push(ev('impression', `t${i % 10}`, { experiment_id: e.id, variant: 'warp' }));
    }
    for (let i = 0; i < 2; i++) rows.push(ev('click', `c${i}`, { experiment_id: e.id, variant: 'ease', rec_id: crypto.randomUUID(), item_ids: ['sku9'] }));
    for (let i = 0; i < 6; i++)
      rows.push(ev('click', `t${i}`, { experiment_id: e.id, variant: 'warp', rec_id: crypto.randomUUID(), item_ids: [i === 0 ? 'sku2' : 'sku9'] }));
    // Add-to-cart: 3 control visitors, 5 treatment visitors (one of them twice).
    for (const v of ['c0', 'c1', 'c2', 't0', 't1', 't2', 't3', 't4', 't4']) rows.push(ev('add_to_cart', v));
    // Orders. Control: c0 1 item 10, c1 2 items 30. Treatment: t0 2 items 40 (holds sku2, clicked
    // from a recommendation: attributed), t1 3 items 60, t2 1 item 20, t3 two orders (1 item 10, 2 items 20).
    const buy = (v: string, order: string, items: string[], value: number) =>
      rows.push(ev('purchase', v, { order_id: order, item_ids: items, value, currency: 'EUR' }));
    buy('c0', 'o1', ['sku1'], 10);
    buy('c1', 'o2', ['sku1', 'sku3'], 30);
    buy('t0', 'o3', ['sku2', 'sku3'], 40);
    buy('t1', 'o4', ['sku1', 'sku3', 'sku4'], 60);
    buy('t2', 'o5', ['sku5'], 20);
    buy('t3', 'o6', ['sku6'], 10);
    buy('t3', 'o7', ['sku6', 'sku7'], 20);
    // Noise that must not count: a visitor never exposed, and a purchase before exposure.
    rows.push(ev('purchase', 'stranger', { order_id: 'o8', value: 99, ts: started + 50 }));
    rows.push(ev('purchase', 'c9', { order_id: 'o9', value: 99, ts: started - 1000 }));
    await insertEvents(env.DB, rows);
    await new Promise((r) => setTimeout(r, 300));

    const r = await send(`${base}/${e.id}/report`);
    expect(r.status).toBe(200);
    const report = r.body;
    const control = report.arms.find((a: { arm: string }) => a.arm === 'ease');
    const treat = report.arms.find((a: { arm: string }) => a.arm === 'warp');
    expect(control).toMatchObject({
      visitors: 10,
      impressions: 20,
      clicks: 2,
      cart_visitors: 3,
      buyers: 2,
      orders: 2,
      items_total: 3,
      multi_item_orders: 1,
      revenue_total: 40,
      attributed_orders: 0,
    });
    expect(treat).toMatchObject({
      visitors: 10,
      impressions: 20,
      clicks: 6,
      cart_visitors: 5,
      buyers: 4,
      orders: 5,
      items_total: 9,
      multi_item_orders: 3,
      revenue_total: 150,
      attributed_orders: 1,
      attributed_revenue: 40,
    });
    expect(control.conversion_rate.value).toBeCloseTo(0.2, 10);
    expect(treat.conversion_rate.value).toBeCloseTo(0.4, 10);
    expect(control.ctr.value).toBeCloseTo(0.1, 10);
    expect(treat.ctr.value).toBeCloseTo(0.3, 10);
    expect(treat.add_to_cart_rate.value).toBeCloseTo(0.5, 10);
    expect(control.items_per_order.value).toBeCloseTo(1.5, 10);
    expect(treat.items_per_order.value).toBeCloseTo(1.8, 10);
    expect(treat.multi_item_share.value).toBeCloseTo(0.6, 10);
    expect(control.revenue_per_visitor.value).toBeCloseTo(4, 10);
    expect(treat.revenue_per_visitor.value).toBeCloseTo(15, 10);

    const m = report.comparisons[0].metrics;
    // Conversion: pooled p = 6/20 = 0.3, se = sqrt(0.3 * 0.7 * (1/10 + 1/10)) = 0.2049390,
    // z = 0.2 / 0.2049390 = 0.975900, two-sided p = 2 (1 - Φ(0.9759)) = 0.32910.
    expect(m.conversion_rate.diff).toBeCloseTo(0.2, 10);
    expect(m.conversion_rate.statistic).toBeCloseTo(0.9759, 4);
    expect(m.conversion_rate.p_value).toBeCloseTo(0.3291, 3);
    // Revenue per visitor: control {10, 30, 0 x 8}: mean 4, s² = (1000 - 10·16)/9 = 93.333;
    // treatment {40, 60, 20, 30, 0 x 6}: mean 15, s² = (6500 - 10·225)/9 = 472.222;
    // se = sqrt(9.3333 + 47.2222) = 7.52034, t = 11 / 7.52034 = 1.46270,
    // df = 56.5556² / (9.3333²/9 + 47.2222²/9) = 12.424.
    expect(m.revenue_per_visitor.diff).toBeCloseTo(11, 10);
    expect(m.revenue_per_visitor.statistic).toBeCloseTo(1.4627, 3);
    expect(m.revenue_per_visitor.df).toBeCloseTo(12.424, 2);
    // Items per order: control {1, 2}: mean 1.5, s² 0.5; treatment {2, 3, 1, 1, 2}: mean 1.8,
    // s² = (19 - 5·3.24)/4 = 0.7; se = sqrt(0.25 + 0.14) = 0.624500, t = 0.3 / 0.6245 = 0.48038.
    expect(m.items_per_order.diff).toBeCloseTo(0.3, 10);
    expect(m.items_per_order.statistic).toBeCloseTo(0.48038, 4);
    // 10 and 10 visitors for weights 50/50: no mismatch at all.
    expect(report.srm.chi2).toBeCloseTo(0, 10);
    expect(report.srm.mismatch).toBe(false);
    // Projection: 10,000 orders a year × average item value (40 / 3) × 0.3 more items per order = 40,000.
    const proj = report.projection.arms.find((a: { arm: string }) => a.arm === 'warp');
    expect(report.projection.average_item_value).toBeCloseTo(40 / 3, 8);
    expect(proj.yearly_revenue_change).toBeCloseTo(40_000, 6);
    expect(report.sequential[0].conversion_rate.p_value).toBeGreaterThan(0);
    expect(report.sequential[0].conversion_rate.p_value).toBeLessThanOrEqual(1);
    await send(`${base}/${e.id}/stop`, undefined, 'POST');
  });

  it('lets one of eight simultaneous starts on a surface run: the database holds the rule', async () => {
    const arms = [
      { name: 'a', model: 'item-knn', weight: 1 },
      { name: 'b', model: 'none', weight: 1 },
    ];
    // No other experiment on the surface (an earlier test may have left one running).
    for (const x of (await send(base)).body.experiments as { id: string; status: string; surface: string }[])
      if (x.status === 'running' && x.surface === 'similar') await send(`${base}/${x.id}/stop`, undefined, 'POST');
    const ids: string[] = [];
    for (let k = 0; k < 8; k++) ids.push((await send(base, { surface: 'similar', arms })).body.experiment.id);
    // KV answering after a few milliseconds, as it does in production: the eight requests
    // interleave, so all of them pass any check made before the update.
    const slowKv = new Proxy(env.KV, {
      get(target, prop) {
        const v = Reflect.get(target, prop);
        if (prop === 'get')
          return async (...args: unknown[]) => {
            await new Promise((r) => setTimeout(r, 5));
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const slowEnv = { ...env, KV: slowKv } as Cloudflare.Env;
    const start = async (id: string) => {
      const res = await worker.fetch(
        new Request(`https://edge.test${base}/${id}/start`, { method: 'POST', headers: { Authorization: `Bearer ${sk}` } }),
        slowEnv,
        createExecutionContext(),
      );
      return { status: res.status, body: (await res.json()) as any };
    };
    const answers = await Promise.all(ids.map(start));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    const winner = ids[answers.findIndex((a) => a.status === 200)];
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body.error.message).toMatch(/already runs on the similar surface|changed meanwhile/);
    const running = await env.DB.prepare("SELECT id FROM experiments WHERE seller = ? AND surface = 'similar' AND status = 'running'")
      .bind(S)
      .all<{ id: string }>();
    expect(running.results.map((r) => r.id)).toEqual([winner]);
    // The edge's copy in KV names the same one.
    const mirror = JSON.parse((await env.KV.get(`sellers/${S}/experiments/running`))!) as { id: string; surface: string }[];
    expect(mirror.filter((x) => x.surface === 'similar').map((x) => x.id)).toEqual([winner]);
    // Losers stayed drafts and can start once the winner stops.
    await send(`${base}/${winner}/stop`, undefined, 'POST');
    const next = await send(`${base}/${ids.find((id) => id !== winner)}/start`, undefined, 'POST');
    expect(next.status).toBe(200);
    await send(`${base}/${next.body.experiment.id}/stop`, undefined, 'POST');
  });

  it('refuses, in D1 itself, a second running experiment on a surface: of eight status changes at once, one is made', async () => {
    const arms = [
      { name: 'a', model: 'none', weight: 1 },
      { name: 'b', model: 'none', weight: 1 },
    ];
    for (const x of (await send(base)).body.experiments as { id: string; status: string; surface: string }[])
      if (x.status === 'running' && x.surface === 'basket') await send(`${base}/${x.id}/stop`, undefined, 'POST');
    const ids: string[] = [];
    for (let k = 0; k < 8; k++) ids.push((await send(base, { surface: 'basket', arms })).body.experiment.id);
    // As if eight starts had all passed every check at once.
    const changes = await Promise.all(ids.map((id) => changeStatus(env.DB, S, id, 'draft', 'running', Date.now())));
    expect(changes.filter((c) => c === 'changed')).toHaveLength(1);
    expect(changes.filter((c) => c === 'surface_busy')).toHaveLength(7);
    const running = await env.DB.prepare("SELECT COUNT(*) AS n FROM experiments WHERE seller = ? AND surface = 'basket' AND status = 'running'")
      .bind(S)
      .first<{ n: number }>();
    expect(running!.n).toBe(1);
    await send(`${base}/${ids[changes.indexOf('changed')]}/stop`, undefined, 'POST');
  });

  /** Starts a for-you experiment of two arms and returns it with its start time and an event maker. */
  async function forYouExperiment(window = 24) {
    for (const x of (await send(base)).body.experiments as { id: string; status: string; surface: string }[])
      if (x.status === 'running' && x.surface === 'for-you') await send(`${base}/${x.id}/stop`, undefined, 'POST');
    const arms = [
      { name: 'ease', model: 'item-knn', weight: 50 },
      { name: 'warp', model: 'lightfm', weight: 50 },
    ];
    const e = (await send(base, { surface: 'for-you', arms, control: 'ease', attribution_window_hours: window })).body.experiment;
    const started = Date.parse((await send(`${base}/${e.id}/start`, undefined, 'POST')).body.experiment.started);
    let k = 0;
    const ev = (type: StoredEvent['type'], visitor: string, extra: Partial<StoredEvent> = {}): StoredEvent => ({
      event_id: crypto.randomUUID(),
      seller: S,
      type,
      visitor_id: visitor,
      customer_id: null,
      rec_id: null,
      experiment_id: null,
      variant: null,
      surface: 'for-you',
      item_ids: ['sku1'],
      order_id: null,
      value: null,
      currency: null,
      // Ten events a millisecond, so that a thousand of them are in the past by the time of the report.
      ts: started + 1 + Math.floor(k++ / 10),
      received: started,
      ...extra,
    });
    /** The report, once every event made is in the past. */
    const report = async () => {
      while (Date.now() <= started + 2 + k / 10) await new Promise((r) => setTimeout(r, 20));
      return send(`${base}/${e.id}/report`);
    };
    return { e, started, ev, report };
  }

  it('counts an order once however often it was sent, whatever its event ids', async () => {
    const { e, ev, report } = await forYouExperiment();
    const rows: StoredEvent[] = [
      ev('exposure', 'dup-c', { experiment_id: e.id, variant: 'ease' }),
      ev('exposure', 'dup-t', { experiment_id: e.id, variant: 'warp' }),
    ];
    // The same order three times (page reloads, a server report), each with a new event id.
    for (let k = 0; k < 3; k++) rows.push(ev('purchase', 'dup-c', { order_id: 'ord-1', item_ids: ['sku1', 'sku2'], value: 30, currency: 'EUR' }));
    rows.push(ev('purchase', 'dup-t', { order_id: 'ord-2', item_ids: ['sku3'], value: 10 }));
    rows.push(ev('purchase', 'dup-t', { order_id: 'ord-3', item_ids: ['sku3', 'sku4', 'sku5'], value: 50 }));
    rows.push(ev('purchase', 'dup-t', { order_id: 'ord-2', item_ids: ['sku3'], value: 10 }));
    await insertEvents(env.DB, rows);
    const r = await report();
    expect(r.status).toBe(200);
    const arm = (name: string) => r.body.arms.find((a: { arm: string }) => a.arm === name);
    expect(arm('ease')).toMatchObject({ orders: 1, items_total: 2, revenue_total: 30, buyers: 1 });
    expect(arm('ease').items_per_order.value).toBe(2);
    expect(arm('ease').revenue_per_visitor.value).toBe(30);
    expect(arm('warp')).toMatchObject({ orders: 2, items_total: 4, revenue_total: 60, multi_item_orders: 1 });
    await send(`${base}/${e.id}/stop`, undefined, 'POST');
  });

  it('reports the quadratic case (250 clicks x 250 purchases of 100 items, one visitor) with bounded, indexed reads', async () => {
    const { e, ev, report } = await forYouExperiment(720);
    const items = Array.from({ length: 100 }, (_, i) => `sku${i % 24}-${i}`);
    const rows: StoredEvent[] = [
      ev('exposure', 'heavy', { experiment_id: e.id, variant: 'warp' }),
      ev('exposure', 'light', { experiment_id: e.id, variant: 'ease' }),
    ];
    for (let k = 0; k < 250; k++) {
      rows.push(ev('click', 'heavy', { rec_id: crypto.randomUUID(), item_ids: items, experiment_id: e.id, variant: 'warp' }));
      rows.push(ev('purchase', 'heavy', { item_ids: items, value: 100 }));
    }
    rows.push(ev('click', 'light', { rec_id: crypto.randomUUID(), item_ids: ['sku1'] }));
    rows.push(ev('purchase', 'light', { item_ids: ['sku1', 'sku2'], value: 20 }));
    await insertEvents(env.DB, rows);
    const r = await report();
    expect(r.status).toBe(200);
    const warp = r.body.arms.find((a: { arm: string }) => a.arm === 'warp');
    expect(warp).toMatchObject({ visitors: 1, orders: 250, items_total: 25_000, attributed_orders: 250, attributed_revenue: 25_000, clicks: 250 });
    expect(r.body.arms.find((a: { arm: string }) => a.arm === 'ease')).toMatchObject({ orders: 1, attributed_orders: 1 });
    // The work: what the experiment's own rows cost, never a statement over its row budget.
    const { counting } = r.body;
    expect(counting).toMatchObject({ events_per_visitor_cap: REPORT_LIMITS.eventsPerVisitor, visitors_at_cap: 0 });
    expect(counting.max_rows_read).toBeLessThanOrEqual(4 * REPORT_LIMITS.rowsPerQuery + 10);
    expect(counting.rows_read).toBeLessThan(20 * rows.length);
    await send(`${base}/${e.id}/stop`, undefined, 'POST');
  });

  it('counts a visitor with at most the cap of each event type, and says how many visitors reached it', async () => {
    const { e, ev, report } = await forYouExperiment();
    const over = REPORT_LIMITS.eventsPerVisitor + 5;
    const rows: StoredEvent[] = [ev('exposure', 'bot', { experiment_id: e.id, variant: 'warp' })];
    for (let k = 0; k < over; k++) rows.push(ev('purchase', 'bot', { item_ids: ['sku1'], value: 1 }));
    await insertEvents(env.DB, rows);
    const r = await report();
    expect(r.status).toBe(200);
    expect(r.body.arms.find((a: { arm: string }) => a.arm === 'warp').orders).toBe(REPORT_LIMITS.eventsPerVisitor);
    expect(r.body.counting.visitors_at_cap).toBe(1);
    await send(`${base}/${e.id}/stop`, undefined, 'POST');
  });

  it('counts impressions and clicks over several pages of the row budget', async () => {
    const { e, ev, report } = await forYouExperiment();
    const n = REPORT_LIMITS.rowsPerQuery + 7;
    const rows: StoredEvent[] = [];
    for (let k = 0; k < n; k++) rows.push(ev('impression', `many-${k % 50}`, { experiment_id: e.id, variant: k % 3 === 0 ? 'ease' : 'warp' }));
    rows.push(ev('click', 'many-1', { experiment_id: e.id, variant: 'warp', rec_id: crypto.randomUUID() }));
    await insertEvents(env.DB, rows);
    const r = await report();
    expect(r.status).toBe(200);
    const arm = (name: string) => r.body.arms.find((a: { arm: string }) => a.arm === name);
    expect(arm('ease').impressions).toBe(Math.ceil(n / 3));
    expect(arm('warp').impressions).toBe(n - Math.ceil(n / 3));
    expect(arm('warp').clicks).toBe(1);
    expect(r.body.counting.max_rows_read).toBeLessThanOrEqual(4 * REPORT_LIMITS.rowsPerQuery + 10);
    await send(`${base}/${e.id}/stop`, undefined, 'POST');
  });

  it("reads an experiment's events through its indexes, never by scanning the events table", async () => {
    const plan = async (sql: string, ...args: unknown[]) =>
      (
        await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .bind(...args)
          .all<{ detail: string }>()
      ).results.map((r) => r.detail);
    const pages = await plan(REPORT_SQL.experimentEvents('visitor_id, variant'), S, 'exp_000000000000', 'exposure', 0, 1e13, 0, 0, 100);
    expect(pages.join('\n')).toMatch(/events_by_experiment/);
    const counts = await plan(REPORT_SQL.experimentCounts, S, 'exp_000000000000', 'impression', 0, 1e13, 0, 0, 100);
    expect(counts.join('\n')).toMatch(/events_by_experiment/);
    pages.push(...counts);
    const visitors = await plan(REPORT_SQL.visitorEvents, JSON.stringify([['v', 0]]), S, 86_400_000, 1e13, 100);
    expect(visitors.join('\n')).toMatch(/events_by_visitor_type/);
    for (const detail of [...pages, ...visitors]) expect(detail, detail).not.toMatch(/^SCAN (events|e)\b(?!.*USING)/);
  });
});
