/**
 * A seller for the console's browser test, made as a seller would make one, small enough for
 * the test's time: the widget's state (scripts/widget-fixture.ts: an item-knn model of a
 * planted problem in slot `item-knn`, a catalog, keys, the D1 schema), then through the trainer
 * API a second item-knn version into that slot (so it has one to roll back to) and a
 * popularity model into slot `popular` (a second slot to compare), each with a model card that
 * holds its data window, counts, hyperparameters and served holdout figures (as the retrain
 * pipeline writes them), and a secret key with room for the console's requests. Events are
 * sent later, through the public API, by {@link seedEvents}.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluateArtifact, exportModel, publish, sidecars, train } from '../../trainer/api.js';
import { itemKnn } from '../../trainer/models/item-knn/index.js';
import { plantedProblem } from '../../trainer/models/lightfm/test-data.js';
import { popularity } from '../../trainer/models/popularity/index.js';
import { createApiKey } from '../../trainer/publish/api-keys.js';
import { ProxyStore } from '../../trainer/publish/proxy-store.js';
import { prepareWidgetState, type WidgetState } from '../../scripts/widget-fixture.js';

export interface ConsoleState extends WidgetState {
  /** A secret key for the console (a generous rate limit: a page asks several routes at once). */
  consoleKey: string;
  /** The versions of slot item-knn, oldest first (the second is current). */
  itemKnnVersions: string[];
  /** Customers of the training data (c0 …). */
  customers: string[];
}

/** Publishes `artifact` into `slot` with a card of its data window, counts, hyperparameters and served holdout figures. */
async function publishWithCard(
  store: ProxyStore,
  seller: string,
  slot: string,
  artifact: string,
  test: string,
  hyperparameters: Record<string, unknown>,
  window: { from: string; to: string; holdout_from: string },
): Promise<string> {
  const exported = JSON.parse(await readFile(sidecars(artifact).card, 'utf8')) as Record<string, unknown>;
  const served = await evaluateArtifact({ artifact, test });
  const card = {
    ...exported,
    data: { ...window, train_lines: 0, holdout_customers: served.holdout_customers },
    hyperparameters,
    metrics: { candidate: Object.fromEntries(Object.entries(served).filter(([, v]) => typeof v === 'number')) },
  };
  const r = await publish({ store, seller, slot, artifact, card, serve: 'none' });
  return r.pointer.version;
}

export async function prepareConsoleState(dir: string, seller = 'console-shop'): Promise<ConsoleState> {
  const fx = await prepareWidgetState(dir, seller);
  // The planted problem prepareWidgetState trained on (same options, same seed): its held-out quarter is the test file.
  const p = plantedProblem({ nUsers: 120, nItems: 48, clusters: 4, seed: 11 });
  const test = join(dir, 'test.csv');
  const lines = ['user_id,item_id'];
  for (let u = 0; u < p.test.rows; u++) for (let k = p.test.indptr[u]; k < p.test.indptr[u + 1]; k++) lines.push(`c${u},sku${p.test.indices[k]}`);
  await writeFile(test, lines.join('\n') + '\n');
  const window = { from: '2026-01-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z', holdout_from: '2026-02-15T00:00:00.000Z' };
  const interactions = join(dir, 'train.csv');
  const catalog = join(dir, 'catalog.csv');

  const ease = { similarity: 'ease', lambda: 20, neighbours: 12 };
  await train({ input: { interactions }, model: itemKnn, params: ease, out: join(dir, 'model-2') });
  await exportModel({ model: join(dir, 'model-2'), catalog, out: join(dir, 'model-2.bin') });
  await train({ input: { interactions }, model: popularity, out: join(dir, 'popular') });
  await exportModel({ model: join(dir, 'popular'), catalog, out: join(dir, 'popular.bin') });

  const store = await ProxyStore.open({ persistTo: fx.state });
  try {
    const first = (await store.getValue(`sellers/${seller}/slots/item-knn/active`))!;
    const second = await publishWithCard(store, seller, 'item-knn', join(dir, 'model-2.bin'), test, { preset: 'test', ...ease }, window);
    await publishWithCard(store, seller, 'popular', join(dir, 'popular.bin'), test, { preset: 'default' }, window);
    const consoleKey = (await createApiKey(store, { seller, type: 'secret', rps: 1000, burst: 1000 })).key;
    return {
      ...fx,
      consoleKey,
      itemKnnVersions: [(JSON.parse(first) as { version: string }).version, second],
      customers: Array.from({ length: p.nUsers }, (_, u) => `c${u}`),
    };
  } finally {
    await store.dispose();
  }
}

/** What {@link seedEvents} sent. */
export interface SeededEvents {
  impressions: number;
  clicks: number;
  addToCarts: number;
  orders: number;
}

/**
 * Shopper events of the last days through the public API, as a storefront and its server send
 * them: answers from the recommendation routes (their rec_ids), impressions, clicks and
 * add-to-carts of them, purchases (some holding a clicked item: attributed; some of two
 * items). Waits until the events API lists every one (the queue consumer has written them).
 */
export async function seedEvents(edge: string, fx: ConsoleState, visitors = 24): Promise<SeededEvents> {
  const base = `${edge}/v1/sellers/${fx.seller}`;
  const call = async (path: string, key: string, init: RequestInit = {}) => {
    const res = await fetch(base + path, { ...init, headers: { Authorization: `Bearer ${key}` } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text}`);
    return JSON.parse(text);
  };
  const events: Record<string, unknown>[] = [];
  const sent: SeededEvents = { impressions: 0, clicks: 0, addToCarts: 0, orders: 0 };
  const now = Date.now();
  for (let v = 0; v < visitors; v++) {
    const visitor = `console-visitor-${v}`;
    const customer = fx.customers[v];
    const item = fx.items[(v * 5) % fx.items.length];
    const rec = await call(`/recommendations/basket?items=${item}&n=4&visitor=${visitor}&customer=${customer}`, fx.publishableKey);
    // Spread over the last 6 days, an hour apart within a visitor's visit.
    const ts = now - (v % 6) * 86_400_000 - 3 * 3_600_000;
    const add = (type: string, extra: Record<string, unknown>, at: number) =>
      events.push({ event_id: crypto.randomUUID(), type, visitor_id: visitor, customer_id: customer, surface: 'basket', ts: at, ...extra });
    add('impression', { rec_id: rec.rec_id, item_ids: rec.items.map((i: { id: string }) => i.id) }, ts);
    sent.impressions++;
    const order = [item];
    if (v % 2 === 0) {
      add('click', { rec_id: rec.rec_id, item_ids: [rec.items[0].id] }, ts + 60_000);
      sent.clicks++;
      if (v % 4 === 0) {
        add('add_to_cart', { rec_id: rec.rec_id, item_ids: [rec.items[0].id] }, ts + 120_000);
        sent.addToCarts++;
        order.push(rec.items[0].id);
      }
    }
    if (v % 3 !== 2) {
      add('purchase', { order_id: `order-${v}`, item_ids: order, value: 12.5 * order.length, currency: 'EUR' }, ts + 3_600_000);
      sent.orders++;
    }
  }
  for (let i = 0; i < events.length; i += 50) {
    await call('/events', fx.consoleKey, { method: 'POST', body: JSON.stringify({ events: events.slice(i, i + 50) }) });
  }
  const until = Date.now() + 30_000;
  for (;;) {
    const listed = await call('/events?limit=1000', fx.consoleKey);
    const ids = new Set(listed.events.map((e: { event_id: string }) => e.event_id));
    if (events.every((e) => ids.has(e.event_id))) return sent;
    if (Date.now() > until) throw new Error(`the events API lists ${ids.size} of the ${events.length} events sent`);
    await new Promise((ok) => setTimeout(ok, 300));
  }
}

/**
 * Shoppers inside a running experiment on the basket surface, through the public API: each
 * gets an answer (the edge records the exposure for its arm), sees it, and some click, add to
 * cart and buy. Waits until the report counts them all; returns the visitors sent.
 */
export async function seedExperimentTraffic(edge: string, fx: ConsoleState, experiment: string, visitors = 40): Promise<number> {
  const base = `${edge}/v1/sellers/${fx.seller}`;
  const call = async (path: string, key: string, init: RequestInit = {}) => {
    const res = await fetch(base + path, { ...init, headers: { Authorization: `Bearer ${key}` } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text}`);
    return JSON.parse(text);
  };
  const events: Record<string, unknown>[] = [];
  let orders = 0;
  for (let v = 0; v < visitors; v++) {
    const visitor = `experiment-visitor-${v}`;
    const cart = fx.items[(v * 7) % fx.items.length];
    const rec = await call(`/recommendations/basket?items=${cart}&n=4&visitor=${visitor}`, fx.publishableKey);
    if (rec.experiment !== experiment) throw new Error(`visitor ${visitor} got experiment ${rec.experiment}, not ${experiment}`);
    const tag = { rec_id: rec.rec_id, experiment_id: experiment, variant: rec.variant, surface: 'basket' };
    const at = Date.now();
    const add = (type: string, extra: Record<string, unknown>, dt: number) =>
      events.push({ event_id: crypto.randomUUID(), type, visitor_id: visitor, ts: at + dt, ...extra });
    add('impression', { ...tag, item_ids: rec.items.map((i: { id: string }) => i.id) }, 0);
    const order = [cart];
    if (v % 3 === 0 || (rec.variant === 'item-knn' && v % 3 === 1)) {
      add('click', { ...tag, item_ids: [rec.items[0].id] }, 1000);
      if (v % 2 === 0) {
        add('add_to_cart', { ...tag, item_ids: [rec.items[0].id] }, 2000);
        order.push(rec.items[0].id);
      }
    }
    if (v % 4 !== 3) {
      add('purchase', { order_id: `${visitor}-order`, item_ids: order, value: 12.5 * order.length, currency: 'EUR' }, 3000);
      orders++;
    }
  }
  for (let i = 0; i < events.length; i += 50) {
    await call('/events', fx.consoleKey, { method: 'POST', body: JSON.stringify({ events: events.slice(i, i + 50) }) });
  }
  const until = Date.now() + 30_000;
  for (;;) {
    const r = await call(`/experiments/${experiment}/report`, fx.consoleKey);
    const total = (k: 'visitors' | 'orders') => r.arms.reduce((s: number, a: Record<string, number>) => s + a[k], 0);
    if (total('visitors') === visitors && total('orders') === orders) return visitors;
    if (Date.now() > until) throw new Error(`the report counts ${total('visitors')} visitors and ${total('orders')} orders of ${visitors} and ${orders} sent`);
    await new Promise((ok) => setTimeout(ok, 300));
  }
}
