/**
 * The retrain pipeline: orders (a file and/or the purchase events in D1, less deleted
 * customers) -> time split (the most recent --holdout-days are the holdout) -> train and
 * export each candidate model -> evaluate each candidate and the currently published
 * versions on the holdout, served through the edge's own code -> publish only what passes
 * the gate (scripts/retrain/gate.ts), with a model card next to each artifact.
 *
 *   npm run retrain -- --seller S [--local | --remote] [--orders F [--columns SPEC]] [--with-events]
 *       [--catalog F] [--item-features F] [--models lightfm,item-knn,user-knn] [--slots KIND=SLOT,…] [--holdout-days 14]
 *       [--metric basket_hr@10|similar_hr@10|p@10|r@10] [--tolerance 0.02] [--no-tune] [--budget-mb N] [--persist-to DIR] [--work DIR] [--dry-run] [--json]
 *   npm run retrain -- --sellers all|A,B,C [--orders-dir DIR [--with-events]] [--catalog-dir DIR]
 *       [--concurrency N] [the options above but --seller, --orders, --catalog, --item-features]
 *
 * One seller is scripts/retrain/seller.ts (`retrainSeller`), many are
 * scripts/retrain/sellers.ts (`retrainSellers`); this file parses the arguments and prints.
 * Without --orders (--orders-dir) the purchase events in D1 are the orders. --local works
 * on wrangler's local state (.wrangler/state, or --persist-to): do not run it while
 * `wrangler dev` (npm start) serves the same state.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ModelKind } from '../trainer/models/kind.js';
import { MODEL_KIND_NAMES, MODEL_KINDS } from '../trainer/models/registry.js';
import { parseColumnsArg } from '../trainer/data/orders.js';
import { ProxyStore } from '../trainer/publish/proxy-store.js';
import { WranglerStore, type ModelStore } from '../trainer/publish/store.js';
import { projectRoot } from './bench-common.js';
import { deletedCustomers, ordersFromEvents, type D1Location } from './retrain/data.js';
import { DEFAULT_MODELS, METRICS, retrainSeller, slotsOf, type Metric } from './retrain/seller.js';
import { retrainSellers, SellersError, summaryTable } from './retrain/sellers.js';

class UsageError extends Error {}

const OPTIONS = {
  seller: { type: 'string' },
  sellers: { type: 'string' },
  orders: { type: 'string' },
  'orders-dir': { type: 'string' },
  columns: { type: 'string' },
  'with-events': { type: 'boolean', default: false },
  catalog: { type: 'string' },
  'catalog-dir': { type: 'string' },
  'item-features': { type: 'string' },
  models: { type: 'string', default: DEFAULT_MODELS.join(',') },
  slots: { type: 'string' },
  'holdout-days': { type: 'string', default: '14' },
  metric: { type: 'string', default: 'basket_hr@10' },
  tolerance: { type: 'string', default: '0.02' },
  concurrency: { type: 'string' },
  local: { type: 'boolean', default: false },
  remote: { type: 'boolean', default: false },
  'persist-to': { type: 'string' },
  config: { type: 'string' },
  work: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  'no-tune': { type: 'boolean', default: false },
  'budget-mb': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

const say = (line: string) => process.stderr.write(`${line}\n`);

function stamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

async function openStore(where: D1Location): Promise<ModelStore & { dispose?: () => Promise<void> }> {
  if (where.mode === 'remote') return new WranglerStore({ mode: 'remote', ...(where.config ? { config: where.config } : {}) });
  return ProxyStore.open({ persistTo: where.persistTo ?? join(projectRoot(), '.wrangler', 'state'), ...(where.config ? { config: where.config } : {}) });
}

async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (npm run retrain -- --help lists the options)`);
  }
  if (values.help) {
    say(helpText());
    return 0;
  }
  if (values.seller !== undefined && values.sellers !== undefined) throw new UsageError('give --seller S (one seller) or --sellers all|A,B,C (many), not both');
  if (values.seller === undefined && values.sellers === undefined) throw new UsageError('--seller S or --sellers all|A,B,C is required');
  if (values.local && values.remote) throw new UsageError('give --local or --remote, not both');
  const models: ModelKind[] = [];
  for (const name of values.models.split(',').map((m) => m.trim())) {
    const kind = MODEL_KINDS.find((k) => k.name === name);
    if (!kind) throw new UsageError(`--models: unknown model "${name}" (known: ${MODEL_KIND_NAMES.join(', ')})`);
    models.push(kind);
  }
  const slots: Record<string, string> = {};
  for (const pair of (values.slots ?? '').split(',').filter((p) => p.trim() !== '')) {
    const [kind, slot, extra] = pair.split('=').map((x) => x.trim());
    if (!kind || !slot || extra !== undefined) throw new UsageError(`--slots must look like lightfm=warp,item-knn=ease, got "${values.slots}"`);
    slots[kind] = slot;
  }
  try {
    slotsOf(models, slots);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const metric = values.metric as Metric;
  if (!METRICS.includes(metric)) throw new UsageError(`--metric must be one of ${METRICS.join(', ')}`);
  const holdoutDays = Number(values['holdout-days']);
  if (!(holdoutDays > 0)) throw new UsageError('--holdout-days must be > 0');
  const tolerance = Number(values.tolerance);
  if (!(tolerance >= 0 && tolerance < 1)) throw new UsageError('--tolerance must be in [0, 1), e.g. 0.02 for 2%');
  const where: D1Location = { mode: values.remote ? 'remote' : 'local', persistTo: values['persist-to'], config: values.config };
  const budgetMb = values['budget-mb'] === undefined ? undefined : Number(values['budget-mb']);
  if (budgetMb !== undefined && !(budgetMb > 0)) throw new UsageError(`--budget-mb must be a number > 0, got "${values['budget-mb']}"`);
  const tuning = { tune: !values['no-tune'], ...(budgetMb !== undefined ? { budgetMb } : {}) };
  const columns = values.columns ? parseColumnsArg(values.columns) : undefined;

  if (values.seller !== undefined) {
    for (const flag of ['orders-dir', 'catalog-dir', 'concurrency'] as const)
      if (values[flag] !== undefined) throw new UsageError(`--${flag} is for --sellers; with --seller give --orders, --catalog, --item-features`);
    const seller = values.seller;
    let store: Promise<ModelStore & { dispose?: () => Promise<void> }> | null = null;
    try {
      const { summary, table } = await retrainSeller({
        seller,
        orders: values.orders,
        columns,
        withEvents: values['with-events'],
        catalog: values.catalog,
        itemFeatures: values['item-features'],
        models,
        slots,
        holdoutDays,
        metric,
        tolerance,
        work: resolve(values.work ?? join(projectRoot(), '.plusone', 'retrain', `${seller}-${stamp()}`)),
        dryRun: values['dry-run'],
        ...tuning,
        events: { mode: where.mode, events: (s) => ordersFromEvents(s, where), deleted: (s) => deletedCustomers(s, where) },
        store: () => (store ??= openStore(where)),
        log: say,
      });
      say(`\n${table}\n`);
      if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else say(`work folder: ${summary.work}`);
      return 0;
    } finally {
      const opened = store === null ? null : await (store as Promise<ModelStore & { dispose?: () => Promise<void> }>).catch(() => null);
      await opened?.dispose?.();
    }
  }

  for (const flag of ['orders', 'catalog', 'item-features'] as const)
    if (values[flag] !== undefined)
      throw new UsageError(`--${flag} is for one seller; with --sellers give --orders-dir DIR (DIR/<seller>/orders.csv) and --catalog-dir DIR`);
  if (values['with-events'] && !values['orders-dir'])
    throw new UsageError('--with-events adds the D1 events to --orders-dir files; without --orders-dir the orders are the D1 events already');
  const cores = availableParallelism();
  const concurrency = values.concurrency === undefined ? cores : Number(values.concurrency);
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new UsageError(`--concurrency must be a whole number >= 1, got "${values.concurrency}"`);
  const list = values.sellers === 'all' ? 'all' : values.sellers!.split(',');
  const run = await retrainSellers({
    sellers: list,
    ordersDir: values['orders-dir'] === undefined ? undefined : resolve(values['orders-dir']),
    catalogDir: values['catalog-dir'] === undefined ? undefined : resolve(values['catalog-dir']),
    withEvents: values['with-events'],
    models,
    slots,
    holdoutDays,
    metric,
    tolerance,
    where,
    work: resolve(values.work ?? join(projectRoot(), '.plusone', 'retrain', `run-${stamp()}`)),
    dryRun: values['dry-run'],
    ...tuning,
    concurrency,
    cores,
    openStore: () => openStore(where),
    columns,
    log: say,
  });
  say(`\n${summaryTable(run)}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(run)}\n`);
  else say(`summary: ${join(run.work, 'summary.json')}`);
  return run.failed > 0 ? 1 : 0;
}

function helpText(): string {
  return `npm run retrain -- --seller S [--local | --remote] [--orders F [--columns SPEC]] [--with-events]
    [--catalog F] [--item-features F] [--models ${DEFAULT_MODELS.join(',')}] [--slots KIND=SLOT,…] [--holdout-days 14]
    [--metric ${METRICS.join('|')}] [--tolerance 0.02] [--no-tune] [--budget-mb N] [--persist-to DIR] [--config F] [--work DIR] [--dry-run] [--json]
npm run retrain -- --sellers all|A,B,C [--orders-dir DIR [--with-events]] [--catalog-dir DIR] [--concurrency N]
    [--local | --remote] [--models …] [--slots …] [--holdout-days 14] [--metric …] [--tolerance 0.02] [--no-tune] [--budget-mb N] [--persist-to DIR]
    [--config F] [--work DIR] [--dry-run] [--json]

Trains the candidate models on all but the most recent --holdout-days of orders (each with
its settings chosen by validation on those training orders, per surface: plusone tune,
bounded; --no-tune: each kind's default preset; --budget-mb: tune's size budget of an
item-item model's neighbours, default 16), evaluates
each (and the published versions) on those days through the edge's own scoring, and
publishes a candidate into its slot (--slots lightfm=warp,item-knn=ease; default the slot
named like its kind) only when it is not worse than the slot's current version by more than
--tolerance (relative) on --metric. For each surface, the best published candidate by that
surface's own figure (basket_hr@10, similar_hr@10, p@10) then becomes the slot of the
surface's serving rule when it is not worse than the version answering the surface now; a
kind never serves a surface it does not answer (user-knn: basket, similar). Without
--orders, the orders are the purchase events stored in D1.

--sellers retrains many sellers in one run, --concurrency at a time (default: the cores),
on one store. With --orders-dir DIR, seller S's orders are DIR/S/orders.csv and "all" is
every seller folder of DIR; without it, the orders are the D1 purchase events and "all" is
every seller with purchase events in D1. DIR/S/catalog.csv and DIR/S/item-features.csv
(of --catalog-dir, default --orders-dir) are used when present. A seller that fails is
reported and the others go on; the run ends with one table (--json: one summary object)
and exits 1 when any seller failed, 2 on a usage error. Each seller's files go to
--work/S/, the summary to --work/summary.json.`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    say(`retrain: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError || (err instanceof SellersError && err.usage) ? 2 : 1);
  },
);
