/**
 * Traffic simulator: simulated shoppers hit a running PlusOne edge (the real local API that
 * `npm start` serves, or any URL), see recommendations of one surface inside an A/B
 * experiment whose arms are the seller's slots (by default the six that `npm start`
 * publishes: warp, bpr, logistic, warp-kos, ease, lookalike), and click, add to cart and buy
 * according to a known ground truth in which one arm is truly better by a set margin. Then
 * it reads the experiment's report from the same API, prints what it found next to the
 * truth, and ends with a one-line verdict (scripts/traffic-verdict.ts). Options:
 * `npm run simulate:traffic -- --help` (OPTIONS below).
 *
 * The ground truth, per visitor: an item drawn from the seller's popular items (the cart on
 * basket, the product page on similar, the session on for-you, where the visitor is also
 * one of the seller's customers when .plusone/data has them); the visitor sees up to --n
 * recommendations; clicks the first with probability --click (times 1 + lift in the better
 * arm), adds a clicked item to the cart with probability 0.5, and buys with probability
 * --base-conversion (times 1 + lift in the better arm); the order holds the item and any
 * added one.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { SURFACES } from '../core/format/spec.js';
import { slotNameProblem } from '../core/storage/slots.js';
import { Random } from '../trainer/util/random.js';
import { projectRoot } from './bench-common.js';
import { trafficVerdict } from './traffic-verdict.js';

interface OptionSpec {
  type: 'string' | 'boolean';
  /** The value's placeholder in the usage text. */
  value?: string;
  default?: string;
  help: string;
}

const DEFAULT_OUT = join(projectRoot(), 'bench-results');
/** Arm targets that are not slots: the ranking of the version serving the surface, and a holdout shown nothing. */
const ARM_MODELS = ['popularity', 'none'];
/** The six slots `npm start` publishes, one arm each. */
const DEFAULT_ARMS = ['warp', 'bpr', 'logistic', 'warp-kos', 'ease', 'lookalike'].map((slot) => `${slot}:${slot}`).join(',');

/** Every option, with its default: the parser and the usage text are made from this. */
const OPTIONS = {
  url: { type: 'string', value: 'URL', help: 'the edge to send shoppers to (default: the url in .plusone/local.json, which npm start writes)' },
  seller: { type: 'string', value: 'ID', help: 'the seller (default: the first seller in .plusone/local.json)' },
  pk: { type: 'string', value: 'KEY', help: "the seller's publishable key, pk_… (default: from .plusone/local.json)" },
  sk: { type: 'string', value: 'KEY', help: "the seller's secret key, sk_… (default: from .plusone/local.json)" },
  visitors: { type: 'string', value: 'N', default: '1000', help: 'simulated visitors, 10 to 1,000,000, split over the arms' },
  surface: { type: 'string', value: 'NAME', default: 'for-you', help: `the surface of the experiment: ${SURFACES.join(', ')}` },
  arms: {
    type: 'string',
    value: 'NAME:SLOT,…',
    default: DEFAULT_ARMS,
    help: `the experiment's arms (2 to 10), equal weights, the first one the control; each serves a slot of the seller, or ${ARM_MODELS.join(' or ')}`,
  },
  better: { type: 'string', value: 'ARM', default: 'ease', help: 'the arm that is truly better (the ground truth)' },
  lift: { type: 'string', value: 'X', default: '0.3', help: "how much better, 0 to 10: the better arm's click and buy probabilities are times 1 + X" },
  'base-conversion': { type: 'string', value: 'P', default: '0.1', help: "a visitor's probability of buying, 0 to 1 (times 1 + lift in the better arm)" },
  click: { type: 'string', value: 'P', default: '0.2', help: 'probability of clicking the first recommendation, 0 to 1 (times 1 + lift in the better arm)' },
  n: { type: 'string', value: 'N', default: '4', help: 'recommendations asked for per visitor, 1 to 100' },
  rps: {
    type: 'string',
    value: 'N',
    default: '20',
    help: "requests per second at most, 1 to 10,000 (one address may use half of a publishable key's 50/s by default)",
  },
  seed: { type: 'string', value: 'N', default: '1', help: 'random seed, an integer from 0 to 2^31' },
  replace: { type: 'boolean', help: 'stop an experiment already running on the surface instead of refusing to start' },
  out: { type: 'string', value: 'DIR', default: relative(projectRoot(), DEFAULT_OUT), help: 'where simulate-traffic.json goes' },
  help: { type: 'boolean', help: 'print this and exit' },
} satisfies Record<string, OptionSpec>;

type Name = keyof typeof OPTIONS;

function usage(): string {
  const left = (name: string, spec: OptionSpec) => `  --${name}${spec.value ? ` ${spec.value}` : ''}`;
  const width = Math.max(...Object.entries(OPTIONS).map(([k, v]) => left(k, v).length)) + 2;
  // Each option's text wrapped at 100 columns, continued under itself.
  const lines = Object.entries(OPTIONS).flatMap(([k, v]: [string, OptionSpec]) => {
    const words = (v.default !== undefined ? `${v.help}; default ${v.default}` : v.help).split(' ');
    const out = [left(k, v).padEnd(width)];
    for (const word of words) {
      const last = out.length - 1;
      if (out[last].length > width && out[last].length + 1 + word.length > 100) out.push(' '.repeat(width) + word);
      else out[last] += (out[last].length > width ? ' ' : '') + word;
    }
    return out;
  });
  return [
    'Usage: npm run simulate:traffic -- [options]   (or node dist/scripts/simulate-traffic.js [options])',
    '',
    'Sends simulated shoppers through a running edge (npm start) inside a new A/B experiment on one',
    'surface whose arms are slots of the seller, in which --better truly converts --lift better; then',
    'prints the report next to the truth and a one-line verdict. Writes DIR/simulate-traffic.json.',
    '',
    'Options:',
    ...lines,
  ].join('\n');
}

function fail(message: string): never {
  console.error(`simulate-traffic: ${message}`);
  process.exit(2);
}

/** A usage error: one line, and where to look. */
function usageError(message: string): never {
  fail(`${message}; see --help`);
}

/** Reads the command line, or exits 2 with a one-line message. */
function parse(argv: string[]): Record<Name, string | boolean | undefined> {
  const options = Object.fromEntries(
    Object.entries(OPTIONS).map(([k, v]: [string, OptionSpec]) => [k, v.default === undefined ? { type: v.type } : { type: v.type, default: v.default }]),
  ) as Record<Name, { type: 'string' | 'boolean'; default?: string }>;
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<Name, string | boolean | undefined>;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const message = e.message ?? String(err);
    const quoted = /'(-[^' ]*)/.exec(message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') usageError(`unknown option ${quoted ?? message}`);
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      usageError(`unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? message} (every option has a name)`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (message.includes('argument missing')) usageError(`${quoted ?? 'an option'} needs a value`);
      if (message.includes('does not take an argument')) usageError(`${quoted ?? 'an option'} takes no value`);
      if (message.includes('ambiguous'))
        usageError(`a value of ${quoted ?? 'an option'} that starts with a dash must follow an = sign (${quoted ?? '--option'}=-1)`);
    }
    usageError(message.split('\n')[0]);
  }
}

const values = parse(process.argv.slice(2));
if (values.help) {
  console.log(usage());
  process.exit(0);
}

function number(name: Name, min: number, max: number, integer = false): number {
  const text = String(values[name]).trim();
  const v = Number(text);
  if (text === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    const range = `from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`;
    usageError(`--${name} must be ${integer ? 'an integer' : 'a number'} ${range}, got ${JSON.stringify(String(values[name]))}`);
  }
  return v;
}

// Every value is checked before anything is sent.
const settings = {
  visitors: number('visitors', 10, 1_000_000, true),
  lift: number('lift', 0, 10),
  base: number('base-conversion', 0, 1),
  pClick: number('click', 0, 1),
  n: number('n', 1, 100, true),
  rps: number('rps', 1, 10_000),
  seed: number('seed', 0, 2 ** 31, true),
  surface: String(values.surface) as (typeof SURFACES)[number],
  arms: String(values.arms)
    .split(',')
    .map((spec) => {
      const [name, target, extra] = spec.split(':');
      if (!name || !target || extra !== undefined) usageError(`--arms must look like warp:warp,ease:ease,holdout:none, got ${JSON.stringify(values.arms)}`);
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(name)) usageError(`--arms: the arm name ${JSON.stringify(name)} must be 1-32 letters, digits, "_" or "-"`);
      if (ARM_MODELS.includes(target)) return { name, model: target, weight: 1 };
      const problem = slotNameProblem(target);
      if (problem !== null) usageError(`--arms: ${JSON.stringify(target)} is not ${ARM_MODELS.join(' or ')}, and ${problem}`);
      return { name, slot: target, weight: 1 };
    }),
  better: String(values.better),
  out: values.out === OPTIONS.out.default ? DEFAULT_OUT : String(values.out),
};
if (!(SURFACES as readonly string[]).includes(settings.surface)) usageError(`--surface must be ${SURFACES.join(', ')}, got ${JSON.stringify(values.surface)}`);
if (settings.arms.length < 2) usageError(`--arms needs at least two arms, got ${JSON.stringify(values.arms)}`);
if (settings.arms.length > 10) usageError(`--arms: at most 10 arms, got ${settings.arms.length}`);
if (new Set(settings.arms.map((a) => a.name)).size !== settings.arms.length) usageError(`--arms names an arm twice: ${JSON.stringify(values.arms)}`);
if (!settings.arms.some((a) => a.name === settings.better))
  usageError(`--better ${settings.better} is not one of the arms (${settings.arms.map((a) => a.name).join(', ')})`);

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
  const flag = (name: 'seller' | 'url' | 'pk' | 'sk') => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const seller = flag('seller') ?? local?.sellers[0]?.id;
  const entry = local?.sellers.find((s) => s.id === seller);
  const url = flag('url') ?? local?.url;
  const pk = flag('pk') ?? entry?.publishable_key;
  const sk = flag('sk') ?? entry?.secret_key;
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

/**
 * The seller's customers of the demo's holdout (.plusone/data/<seller>/test-orders.csv), for
 * for-you visitors who are known customers; empty when the files are not there.
 */
async function demoCustomers(seller: string): Promise<string[]> {
  try {
    const data = join(projectRoot(), '.plusone', 'data');
    const market = JSON.parse(await readFile(join(data, 'marketplace.json'), 'utf8')) as { sellers: { id: string; dir: string }[] };
    const dir = market.sellers.find((x) => x.id === seller)?.dir;
    if (dir === undefined) return [];
    const lines = (await readFile(join(data, dir, 'test-orders.csv'), 'utf8')).split('\n').slice(1);
    return [...new Set(lines.map((l) => l.split(',')[1]).filter((c): c is string => Boolean(c)))];
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const { url, seller, pk, sk } = await config();
  const { visitors, lift, base, pClick, n, arms, better, surface } = settings;
  const rng = new Random(settings.seed);
  const pacer = new Pacer(1000 / settings.rps);

  const api = async (path: string, init: RequestInit & { key: string }): Promise<any> => {
    await pacer.wait();
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${url}${path}`, { ...init, headers: { Authorization: `Bearer ${init.key}`, 'Content-Type': 'application/json' } });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        fail(`cannot reach ${url} (${cause?.code ?? cause?.message ?? (err as Error).message}); is \`npm start\` running, or is --url right?`);
      }
      if (res.status === 429 && attempt < 5) {
        await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
        continue;
      }
      const body = (await res.json()) as any;
      if (!res.ok) fail(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${JSON.stringify(body.error ?? body)}`);
      return body;
    }
  };

  // Every arm's slot must hold a model (the edge refuses to start otherwise): say which are missing first.
  const slots: { slot: string; kind: string | null }[] = (await api(`/v1/sellers/${seller}/models`, { key: sk })).slots;
  const missing = arms.filter((a) => 'slot' in a && !slots.some((x) => x.slot === a.slot && x.kind !== null));
  if (missing.length > 0)
    fail(
      `seller ${seller} has nothing published in slot${missing.length > 1 ? 's' : ''} ${missing.map((a) => (a as { slot: string }).slot).join(', ')} (its slots: ${slots.map((x) => x.slot).join(', ') || 'none'}); run npm start, or name other slots with --arms`,
    );
  // The experiment: one surface, equal weights.
  const running = (await api(`/v1/sellers/${seller}/experiments`, { key: sk })).experiments.filter((e: any) => e.status === 'running' && e.surface === surface);
  for (const e of running) {
    if (!values.replace) fail(`experiment ${e.id} already runs on the ${surface} surface; stop it or pass --replace`);
    await api(`/v1/sellers/${seller}/experiments/${e.id}/stop`, { key: sk, method: 'POST' });
  }
  const created = await api(`/v1/sellers/${seller}/experiments`, {
    key: sk,
    method: 'POST',
    body: JSON.stringify({ name: `simulated: ${better} truly ${Math.round(lift * 100)}% better`, surface, arms, control: arms[0].name }),
  });
  const id: string = created.experiment.id;
  await api(`/v1/sellers/${seller}/experiments/${id}/start`, { key: sk, method: 'POST' });
  const target = (a: (typeof arms)[number]) => ('slot' in a ? `slot ${a.slot}` : a.model);
  console.error(`experiment ${id} started on ${seller}, surface ${surface}: ${arms.map((a) => `${a.name} (${target(a)})`).join(' vs ')}`);

  // The items visitors look at: the seller's popular items (a for-you without a customer), and
  // on for-you the seller's customers of the demo's holdout, when they are there.
  const catalog: RecItem[] = (await api(`/v1/sellers/${seller}/recommendations/for-you?n=100`, { key: pk })).items;
  if (catalog.length === 0) fail(`seller ${seller} has no items to show; publish a model first`);
  const customers = surface === 'for-you' ? await demoCustomers(seller) : [];

  const started = Date.now();
  const queue: Record<string, unknown>[] = [];
  const flush = async (all = false) => {
    while (queue.length >= (all ? 1 : 50))
      await api(`/v1/sellers/${seller}/events`, { key: pk, method: 'POST', body: JSON.stringify({ events: queue.splice(0, 50) }) });
  };
  const truth = new Map(arms.map((a) => [a.name, { visitors: 0, buyers: 0 }]));
  for (let v = 0; v < visitors; v++) {
    const visitor = `sim-${settings.seed}-${v}`;
    const cart = catalog[rng.int(catalog.length)];
    const item = encodeURIComponent(cart.id);
    const customer = customers.length > 0 ? customers[rng.int(customers.length)] : null;
    const query =
      surface === 'similar'
        ? `item=${item}`
        : surface === 'basket'
          ? `items=${item}`
          : `items=${item}${customer === null ? '' : `&customer=${encodeURIComponent(customer)}`}`;
    const rec = await api(`/v1/sellers/${seller}/recommendations/${surface}?${query}&n=${n}&visitor=${visitor}`, { key: pk });
    const arm: string = rec.variant;
    const boost = arm === better ? 1 + lift : 1;
    const t = truth.get(arm)!;
    t.visitors++;
    const event = (type: string, extra: Record<string, unknown>) =>
      queue.push({
        event_id: crypto.randomUUID(),
        type,
        visitor_id: visitor,
        ...(customer === null ? {} : { customer_id: customer }),
        surface,
        ts: Date.now(),
        ...extra,
      });
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

  console.log(
    `\nExperiment ${id} (${seller}, ${surface}), ${visitors} simulated visitors over ${arms.length} arms; truth: ${better} converts ${Math.round(lift * 100)}% better\n`,
  );
  console.log('| arm | serves | visitors (sent / reported) | conversion (truth sample / reported) | items per order | revenue per visitor |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const a of report.arms) {
    const t = truth.get(a.arm)!;
    const fmt = (x: number | null, d = 3) => (x === null ? '-' : x.toFixed(d));
    console.log(
      `| ${a.arm}${a.arm === better ? ' (truly better)' : ''} | ${a.slot === null ? a.model : `slot ${a.slot}`} | ${t.visitors} / ${a.visitors} | ${fmt(t.buyers / Math.max(1, t.visitors))} / ${fmt(a.conversion_rate.value)} | ${fmt(a.items_per_order.value, 2)} | ${fmt(a.revenue_per_visitor.value, 2)} |`,
    );
  }
  for (const c of report.comparisons) {
    const m = c.metrics.conversion_rate;
    console.log(
      `\n${c.arm} vs ${c.control}: conversion diff ${m.diff?.toFixed(4)} (z-test p = ${m.p_value?.toFixed(4)}), sequential p = ${report.sequential.find((s: any) => s.arm === c.arm)?.conversion_rate.p_value.toFixed(4)}; SRM p = ${report.srm.p_value?.toFixed(3)}`,
    );
  }
  console.log(`\nReport page: ${url}/admin/experiments/${id}?seller=${seller}#key=<secret key>`);
  await mkdir(settings.out, { recursive: true });
  await writeFile(
    join(settings.out, 'simulate-traffic.json'),
    JSON.stringify({ experiment: id, seller, surface, visitors, lift, base, better, truth: Object.fromEntries(truth), report }, null, 2),
  );
  await api(`/v1/sellers/${seller}/experiments/${id}/stop`, { key: sk, method: 'POST' });
  // The truth, then last the one line to read: the verdict from the report's counts (what the edge measured).
  const others = [...truth].filter(([arm]) => arm !== better);
  const rest = others.reduce((a, [, t]) => ({ visitors: a.visitors + t.visitors, buyers: a.buyers + t.buyers }), { visitors: 0, buyers: 0 });
  const pct = (b: number, v: number) => `${((100 * b) / Math.max(1, v)).toFixed(2)}%`;
  const mine = truth.get(better)!;
  console.log(
    `\ntruth:   ${better} was made to convert ${Math.round(lift * 100)}% better than the other ${others.length} arms; ` +
      `its simulated visitors bought at ${pct(mine.buyers, mine.visitors)}, the others at ${pct(rest.buyers, rest.visitors)}`,
  );
  console.log(
    trafficVerdict(
      report.arms.map((a: any) => ({ arm: a.arm, visitors: a.visitors, buyers: a.buyers })),
      report.arms.find((a: any) => a.is_control)?.arm ?? arms[0].name,
      { alpha: report.alpha, srmMismatch: report.srm.mismatch === true },
    ),
  );
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
