/**
 * Traffic simulator: simulated shoppers hit a running PlusOne edge (the real local API that
 * `npm start` serves, or any URL), see basket recommendations inside an A/B experiment,
 * and click, add to cart and buy according to a known ground truth in which one arm is
 * truly better by a set margin. Then it reads the experiment's report from the same API
 * and prints what it found next to the truth.
 *
 *   node dist/scripts/simulate-traffic.js [--seller S] [--visitors 1000] [--better treatment]
 *       [--lift 0.3] [--base-conversion 0.1] [--arms control:popularity,treatment:item-knn]
 *       [--rps 40] [--seed 1] [--replace] [--url http://127.0.0.1:8787 --pk pk_… --sk sk_…]
 *
 * Keys and URL default to .plusone/local.json (written by `npm start`). --rps stays under
 * the keys' rate limit (50 requests/s by default). Writes bench-results/simulate-traffic.json.
 *
 * The ground truth, per visitor: a cart of one item drawn from the seller's popular items;
 * the visitor sees up to --n recommendations; clicks the first with probability
 * --click (times 1 + lift in the better arm), adds a clicked item to the cart with
 * probability 0.5, and buys with probability --base-conversion (times 1 + lift in the
 * better arm); the order holds the cart item and any added one.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Random } from '../trainer/util/random.js';
import { projectRoot } from './bench-common.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    seller: { type: 'string' },
    pk: { type: 'string' },
    sk: { type: 'string' },
    visitors: { type: 'string', default: '1000' },
    arms: { type: 'string', default: 'control:popularity,treatment:item-knn' },
    better: { type: 'string', default: 'treatment' },
    lift: { type: 'string', default: '0.3' },
    'base-conversion': { type: 'string', default: '0.1' },
    click: { type: 'string', default: '0.2' },
    n: { type: 'string', default: '4' },
    rps: { type: 'string', default: '40' },
    seed: { type: 'string', default: '1' },
    replace: { type: 'boolean', default: false },
    out: { type: 'string', default: join(projectRoot(), 'bench-results') },
  },
});

function fail(message: string): never {
  console.error(`simulate-traffic: ${message}`);
  process.exit(2);
}

function number(name: string, min: number, max: number): number {
  const v = Number(values[name as keyof typeof values]);
  if (!Number.isFinite(v) || v < min || v > max) fail(`--${name} must be a number from ${min} to ${max}, got ${String(values[name as keyof typeof values])}`);
  return v;
}

interface LocalConfig {
  url: string;
  sellers: { id: string; publishable_key: string; secret_key: string }[];
}

async function config(): Promise<{ url: string; seller: string; pk: string; sk: string }> {
  let local: LocalConfig | null = null;
  try {
    local = JSON.parse(await readFile(join(projectRoot(), '.plusone', 'local.json'), 'utf8')) as LocalConfig;
  } catch {
    // Everything must then come from the flags.
  }
  const seller = values.seller ?? local?.sellers[0]?.id;
  const entry = local?.sellers.find((s) => s.id === seller);
  const url = values.url ?? local?.url;
  const pk = values.pk ?? entry?.publishable_key;
  const sk = values.sk ?? entry?.secret_key;
  if (!url || !seller || !pk || !sk) fail('no URL, seller or keys: run `npm start` first (it writes .plusone/local.json), or pass --url --seller --pk --sk');
  return { url: url.replace(/\/$/, ''), seller, pk, sk };
}

/** Spaces requests to at most `rps` per second. */
class Pacer {
  private next = 0;
  constructor(private readonly gapMs: number) {}
  async wait(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + this.gapMs;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}

interface RecItem {
  id: string;
  price: number | null;
}

async function main(): Promise<void> {
  const { url, seller, pk, sk } = await config();
  const visitors = number('visitors', 10, 1_000_000);
  const lift = number('lift', 0, 10);
  const base = number('base-conversion', 0, 1);
  const pClick = number('click', 0, 1);
  const n = number('n', 1, 100);
  const rps = number('rps', 1, 10_000);
  const rng = new Random(number('seed', 0, 2 ** 31));
  const arms = values.arms!.split(',').map((spec) => {
    const [name, model] = spec.split(':');
    if (!name || !model) fail(`--arms must look like control:popularity,treatment:item-knn, got ${values.arms}`);
    return { name, model, weight: 1 };
  });
  if (!arms.some((a) => a.name === values.better)) fail(`--better ${values.better} is not one of the arms (${arms.map((a) => a.name).join(', ')})`);
  const pacer = new Pacer(1000 / rps);

  const api = async (path: string, init: RequestInit & { key: string }): Promise<any> => {
    await pacer.wait();
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${url}${path}`, { ...init, headers: { Authorization: `Bearer ${init.key}`, 'Content-Type': 'application/json' } });
      if (res.status === 429 && attempt < 5) {
        await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
        continue;
      }
      const body = (await res.json()) as any;
      if (!res.ok) fail(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${JSON.stringify(body.error ?? body)}`);
      return body;
    }
  };

  // The experiment: basket surface, equal weights.
  const running = (await api(`/v1/sellers/${seller}/experiments`, { key: sk })).experiments.filter(
    (e: any) => e.status === 'running' && e.surface === 'basket',
  );
  for (const e of running) {
    if (!values.replace) fail(`experiment ${e.id} already runs on the basket surface; stop it or pass --replace`);
    await api(`/v1/sellers/${seller}/experiments/${e.id}/stop`, { key: sk, method: 'POST' });
  }
  const created = await api(`/v1/sellers/${seller}/experiments`, {
    key: sk,
    method: 'POST',
    body: JSON.stringify({ name: `simulated: ${values.better} truly ${Math.round(lift * 100)}% better`, surface: 'basket', arms, control: arms[0].name }),
  });
  const id: string = created.experiment.id;
  await api(`/v1/sellers/${seller}/experiments/${id}/start`, { key: sk, method: 'POST' });
  console.error(`experiment ${id} started on ${seller}: ${arms.map((a) => `${a.name} (${a.model})`).join(' vs ')}`);

  // Cart items: the seller's popular items (no model= needed: a for-you without a customer).
  const catalog: RecItem[] = (await api(`/v1/sellers/${seller}/recommendations/for-you?n=100`, { key: pk })).items;
  if (catalog.length === 0) fail(`seller ${seller} has no items to show; publish a model first`);

  const started = Date.now();
  const queue: Record<string, unknown>[] = [];
  const flush = async (all = false) => {
    while (queue.length >= (all ? 1 : 50))
      await api(`/v1/sellers/${seller}/events`, { key: pk, method: 'POST', body: JSON.stringify({ events: queue.splice(0, 50) }) });
  };
  const truth = new Map(arms.map((a) => [a.name, { visitors: 0, buyers: 0 }]));
  for (let v = 0; v < visitors; v++) {
    const visitor = `sim-${values.seed}-${v}`;
    const cart = catalog[rng.int(catalog.length)];
    const rec = await api(`/v1/sellers/${seller}/recommendations/basket?items=${encodeURIComponent(cart.id)}&n=${n}&visitor=${visitor}`, { key: pk });
    const arm: string = rec.variant;
    const boost = arm === values.better ? 1 + lift : 1;
    const t = truth.get(arm)!;
    t.visitors++;
    const event = (type: string, extra: Record<string, unknown>) =>
      queue.push({ event_id: crypto.randomUUID(), type, visitor_id: visitor, surface: 'basket', ts: Date.now(), ...extra });
    const tag = { rec_id: rec.rec_id, experiment_id: rec.experiment, variant: arm };
    const order = [cart];
    if (rec.items.length > 0) {
      event('impression', { ...tag, item_ids: rec.items.map((i: RecItem) => i.id) });
      if (rng.next() < pClick * boost) {
        const clicked: RecItem = rec.items[0];
        event('click', { ...tag, item_ids: [clicked.id] });
        if (rng.next() < 0.5) {
          event('add_to_cart', { ...tag, item_ids: [clicked.id] });
          order.push(clicked);
        }
      }
    }
    if (rng.next() < base * boost) {
      t.buyers++;
      const value = order.reduce((s, i) => s + (i.price ?? 20), 0);
      event('purchase', { order_id: `${visitor}-o1`, item_ids: order.map((i) => i.id), value: Math.round(value * 100) / 100, currency: 'EUR' });
    }
    await flush();
    if ((v + 1) % 100 === 0) console.error(`  ${v + 1}/${visitors} visitors (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  await flush(true);
  // The queue consumer writes in batches: give it a few seconds.
  await new Promise((r) => setTimeout(r, 5000));
  const report = await api(`/v1/sellers/${seller}/experiments/${id}/report`, { key: sk });

  console.log(`\nExperiment ${id} (${seller}), ${visitors} simulated visitors; truth: ${values.better} converts ${Math.round(lift * 100)}% better\n`);
  console.log('| arm | visitors (sent / reported) | conversion (truth sample / reported) | items per order | revenue per visitor |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const a of report.arms) {
    const t = truth.get(a.arm)!;
    const fmt = (x: number | null, d = 3) => (x === null ? '-' : x.toFixed(d));
    console.log(
      `| ${a.arm} | ${t.visitors} / ${a.visitors} | ${fmt(t.buyers / Math.max(1, t.visitors))} / ${fmt(a.conversion_rate.value)} | ${fmt(a.items_per_order.value, 2)} | ${fmt(a.revenue_per_visitor.value, 2)} |`,
    );
  }
  for (const c of report.comparisons) {
    const m = c.metrics.conversion_rate;
    console.log(
      `\n${c.arm} vs ${c.control}: conversion diff ${m.diff?.toFixed(4)} (z-test p = ${m.p_value?.toFixed(4)}), sequential p = ${report.sequential.find((s: any) => s.arm === c.arm)?.conversion_rate.p_value.toFixed(4)}; SRM p = ${report.srm.p_value?.toFixed(3)}`,
    );
  }
  console.log(`\nReport page: ${url}/admin/experiments/${id}?seller=${seller}#key=<secret key>`);
  await mkdir(values.out!, { recursive: true });
  await writeFile(
    join(values.out!, 'simulate-traffic.json'),
    JSON.stringify({ experiment: id, seller, visitors, lift, base, truth: Object.fromEntries(truth), report }, null, 2),
  );
  await api(`/v1/sellers/${seller}/experiments/${id}/stop`, { key: sk, method: 'POST' });
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
