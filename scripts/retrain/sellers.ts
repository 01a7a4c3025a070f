import { existsSync } from 'node:fs';
import { readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SELLER_PATTERN } from '../../core/storage/keys.js';
import type { ModelKind } from '../../trainer/models/kind.js';
import type { ModelStore } from '../../trainer/publish/store.js';
import { deletedCustomersOf, ordersFromEvents, sellersWithEvents, type D1Location, type OrderLine } from './data.js';
import { retrainSeller, type Metric, type SellerEvents, type SellerSummary } from './seller.js';

/**
 * Many sellers in one run (`npm run retrain -- --sellers all|A,B,C`): each seller is
 * `retrainSeller`, at most `concurrency` at a time, all on one store, each seller's failure
 * its own (reported, the others go on).
 *
 * Where the sellers and their orders come from:
 * - with `ordersDir`, seller S's orders are `ordersDir/S/orders.csv` (a seller without it
 *   fails), and `all` is every folder of `ordersDir` named like a seller id;
 * - without it, the orders are the purchase events in D1 (as `--seller S` without
 *   `--orders`), and `all` is every seller with purchase events in D1. (KV cannot name the
 *   sellers: it has no index of them, and listing `sellers/` would walk every customer
 *   record. A seller with keys or models but no events has nothing to retrain on anyway.)
 * `catalogDir/S/catalog.csv` and `catalogDir/S/item-features.csv` are used when present
 * (`catalogDir` defaults to `ordersDir`).
 *
 * D1 is read through wrangler, one process per query. Deleted customers are read for all
 * sellers at once (one query per 100 sellers). On local state every D1 read is done, one
 * at a time, before the store is opened: a second runtime on the same state while the store
 * runs is what ProxyStore warns against, and concurrent local wranglers crash. On the
 * account (remote), each seller reads its events when its turn comes.
 */

export interface SellersOptions {
  /** `all`, or the seller ids. */
  sellers: 'all' | readonly string[];
  ordersDir?: string | undefined;
  /** Header names of the orders files (the trainer's --columns). */
  columns?: Record<string, string> | undefined;
  catalogDir?: string | undefined;
  /** With `ordersDir`, add each seller's purchase events from D1. */
  withEvents: boolean;
  models: readonly ModelKind[];
  /** The slot of each kind (default: the slot named like the kind). */
  slots?: Readonly<Record<string, string>> | undefined;
  holdoutDays: number;
  metric: Metric;
  tolerance: number;
  where: D1Location;
  /** Each seller's files go to `work/<seller>/`; the run's summary to `work/summary.json`. */
  work: string;
  dryRun: boolean;
  /** Choose each candidate's settings by validation (tune); default true. */
  tune?: boolean;
  /** tune's size budget of the neighbour section, MB. */
  budgetMb?: number;
  /** Sellers retrained at the same time (>= 1). */
  concurrency: number;
  /** Cores to share among the sellers being trained (training threads = cores / concurrency). */
  cores: number;
  /** Opens the store the sellers share (once, when the first seller needs it); its dispose(), if any, runs at the end. */
  openStore: () => Promise<ModelStore & { dispose?: () => Promise<void> }>;
  /** Progress lines. */
  log?: (line: string) => void;
  /** D1 (default: wrangler on `where`); tests pass their own. */
  d1?: D1Reads;
}

/** The D1 reads a run makes. */
export interface D1Reads {
  sellers(): Promise<string[]>;
  events(seller: string): Promise<OrderLine[]>;
  deleted(sellers: readonly string[]): Promise<Map<string, Set<string>>>;
}

/** D1 through wrangler (scripts/retrain/data.ts). */
export function wranglerD1(where: D1Location): D1Reads {
  return {
    sellers: () => sellersWithEvents(where),
    events: (seller) => ordersFromEvents(seller, where),
    deleted: (sellers) => deletedCustomersOf(sellers, where),
  };
}

/** One seller's line of the run's summary. */
export interface SellerOutcome {
  seller: string;
  ok: boolean;
  /** What went wrong, when not ok. */
  error: string | null;
  seconds: number;
  work: string;
  /** The candidates trained. */
  models: string[];
  /** Per candidate: its slot, its gate figure, the decision (published, the surfaces it now serves), and the version published (null: none). */
  decisions: { slot: string; model: string; score: number | null; publish: boolean; serves: string[]; reason: string; version: string | null }[];
  /** The version answering each surface before the run. */
  serving_before: SellerSummary['serving_before'];
}

/** What `--sellers … --json` prints and `work/summary.json` holds. */
export interface RunSummary {
  sellers: number;
  ok: number;
  failed: number;
  failed_sellers: string[];
  /** Models published over all sellers. */
  published: number;
  seconds: number;
  concurrency: number;
  metric: Metric;
  tolerance: number;
  dry_run: boolean;
  work: string;
  results: SellerOutcome[];
}

/** Thrown for a run that cannot start; `usage` when the arguments are at fault (the CLI exits 2, else 1). */
export class SellersError extends Error {
  constructor(
    message: string,
    readonly usage: boolean,
  ) {
    super(message);
  }
}

/** The sellers of the run, in order, without repeats. */
export async function resolveSellers(options: Pick<SellersOptions, 'sellers' | 'ordersDir'>, d1: D1Reads): Promise<string[]> {
  if (options.sellers !== 'all') {
    const list = [...new Set(options.sellers.map((s) => s.trim()).filter((s) => s !== ''))];
    if (list.length === 0) throw new SellersError('--sellers names no seller: give all or a comma-separated list of seller ids', true);
    const bad = list.filter((s) => !SELLER_PATTERN.test(s));
    if (bad.length > 0)
      throw new SellersError(
        `--sellers: ${bad.map((s) => `"${s}"`).join(', ')} not valid seller ids (1-64 letters, digits, "-" or "_", starting with a letter or digit)`,
        true,
      );
    return list;
  }
  if (options.ordersDir) {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(options.ordersDir, { withFileTypes: true });
    } catch (err) {
      throw new SellersError(
        `--orders-dir ${options.ordersDir} cannot be read (${(err as Error).message}); it should hold one folder per seller with its orders.csv`,
        true,
      );
    }
    const list = entries
      .filter((e) => e.isDirectory() && SELLER_PATTERN.test(e.name))
      .map((e) => e.name)
      .sort();
    if (list.length === 0) throw new SellersError(`--orders-dir ${options.ordersDir} has no seller folders (DIR/<seller>/orders.csv)`, true);
    return list;
  }
  let list: string[];
  try {
    list = await d1.sellers();
  } catch (err) {
    throw new SellersError(`--sellers all: cannot list the sellers with purchase events in D1: ${(err as Error).message.slice(0, 300)}`, false);
  }
  if (list.length === 0) throw new SellersError('--sellers all: no seller has purchase events in D1; give --orders-dir, or name the sellers', false);
  return list;
}

/** Runs `jobs` with at most `limit` at a time, in order of start. */
async function pool<T>(items: readonly T[], limit: number, job: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await job(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Retrains every seller of the run; never throws for one seller's failure (see RunSummary.failed). */
export async function retrainSellers(options: SellersOptions): Promise<RunSummary> {
  const t0 = Date.now();
  const log = options.log ?? (() => {});
  if (!(Number.isInteger(options.concurrency) && options.concurrency >= 1))
    throw new SellersError(`concurrency must be a whole number >= 1, got ${options.concurrency}`, true);
  const d1 = options.d1 ?? wranglerD1(options.where);
  const sellers = await resolveSellers(options, d1);
  const needEvents = !options.ordersDir || options.withEvents;
  const catalogDir = options.catalogDir ?? options.ordersDir;
  const local = options.where.mode === 'local';
  log(
    `retraining ${sellers.length} sellers, ${options.concurrency} at a time; orders from ${options.ordersDir ? `${options.ordersDir}/<seller>/orders.csv${options.withEvents ? ' and D1 events' : ''}` : `D1 events (${options.where.mode})`}`,
  );

  // D1 first: deleted customers for everyone, and on local state the events too.
  let deleted: Map<string, Set<string>> | Error;
  try {
    deleted = await d1.deleted(sellers);
  } catch (err) {
    deleted = err instanceof Error ? err : new Error(String(err));
  }
  const events = new Map<string, OrderLine[] | Error>();
  if (needEvents && local) {
    for (const [i, s] of sellers.entries()) {
      log(`• reading purchase events from D1 (local): ${s} (${i + 1}/${sellers.length})`);
      try {
        events.set(s, await d1.events(s));
      } catch (err) {
        events.set(s, err instanceof Error ? err : new Error(String(err)));
      }
    }
  }
  const source: SellerEvents = {
    mode: options.where.mode,
    events: async (s) => {
      const got = events.get(s) ?? (await d1.events(s));
      if (got instanceof Error) throw got;
      return got;
    },
    deleted: async (s) => {
      if (deleted instanceof Error) throw deleted;
      return deleted.get(s) ?? new Set();
    },
  };

  // One store for the run, opened when the first seller has trained.
  let store: ReturnType<SellersOptions['openStore']> | null = null;
  const openStore = () => {
    if (store === null) {
      log('• opening the store');
      store = options.openStore();
    }
    return store;
  };

  const threads = Math.max(1, Math.floor(options.cores / options.concurrency));
  const results: SellerOutcome[] = new Array(sellers.length);
  let done = 0;
  await pool(sellers, options.concurrency, async (seller, i) => {
    const started = Date.now();
    const work = join(options.work, seller);
    const models = options.models.map((k) => k.name);
    const prefix = `[${seller}] `;
    try {
      let orders: string | undefined;
      if (options.ordersDir) {
        orders = join(options.ordersDir, seller, 'orders.csv');
        if (!existsSync(orders)) throw new Error(`no orders file at ${orders}: put the seller's orders there, or leave the seller out of --sellers`);
      }
      const inCatalogDir = (name: string) => {
        const p = catalogDir ? join(catalogDir, seller, name) : null;
        return p && existsSync(p) ? p : undefined;
      };
      const { summary } = await retrainSeller({
        seller,
        orders,
        columns: options.columns,
        withEvents: options.withEvents,
        catalog: inCatalogDir('catalog.csv'),
        itemFeatures: inCatalogDir('item-features.csv'),
        models: options.models,
        slots: options.slots,
        holdoutDays: options.holdoutDays,
        metric: options.metric,
        tolerance: options.tolerance,
        work,
        dryRun: options.dryRun,
        threads,
        ...(options.tune !== undefined ? { tune: options.tune } : {}),
        ...(options.budgetMb !== undefined ? { budgetMb: options.budgetMb } : {}),
        events: source,
        store: openStore,
        log: (line) => log(prefix + line),
      });
      results[i] = outcome(summary, models, (Date.now() - started) / 1000);
      const n = Object.keys(summary.published).length;
      log(`${prefix}done in ${results[i].seconds.toFixed(1)} s: ${n} published${options.dryRun ? ' (dry run: none)' : ''} (${++done}/${sellers.length})`);
    } catch (err) {
      const seconds = round((Date.now() - started) / 1000);
      results[i] = { seller, ok: false, error: message(err), seconds, work, models, decisions: [], serving_before: {} };
      log(`${prefix}FAILED after ${seconds.toFixed(1)} s: ${message(err)} (${++done}/${sellers.length})`);
    }
  });
  const opened = store === null ? null : await (store as ReturnType<SellersOptions['openStore']>).catch(() => null);
  await opened?.dispose?.();

  const failed = results.filter((r) => !r.ok);
  const summary: RunSummary = {
    sellers: results.length,
    ok: results.length - failed.length,
    failed: failed.length,
    failed_sellers: failed.map((r) => r.seller),
    published: results.reduce((a, r) => a + r.decisions.filter((d) => d.version !== null).length, 0),
    seconds: round((Date.now() - t0) / 1000),
    concurrency: options.concurrency,
    metric: options.metric,
    tolerance: options.tolerance,
    dry_run: options.dryRun,
    work: options.work,
    results,
  };
  await mkdir(options.work, { recursive: true });
  await writeFile(join(options.work, 'summary.json'), JSON.stringify(summary, null, 2));
  return summary;
}

const round = (x: number) => Math.round(x * 100) / 100;

function outcome(s: SellerSummary, models: string[], seconds: number): SellerOutcome {
  return {
    seller: s.seller,
    ok: true,
    error: null,
    seconds: round(seconds),
    work: s.work,
    models,
    decisions: s.decisions.map((d) => ({
      slot: d.slot,
      model: d.model,
      score: s.candidates.find((c) => c.slot === d.slot)?.metrics[s.metric] ?? null,
      publish: d.publish,
      serves: d.serves,
      reason: d.reason,
      version: s.published[d.slot] ?? null,
    })),
    serving_before: s.serving_before,
  };
}

/** The run's table (markdown): one row per seller. */
export function summaryTable(run: RunSummary): string {
  const f = (x: number | null) => (x === null ? '-' : x.toFixed(4));
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = run.results.map((r) => {
    const decisions = r.ok
      ? r.decisions
          .map(
            (d) =>
              `${d.slot} (${d.model}) ${f(d.score)} ${d.version ? 'published' : d.publish ? 'would publish' : 'not published'}${d.serves.length > 0 ? `, serves ${d.serves.join(', ')}` : ''}`,
          )
          .join('; ')
      : '-';
    const versions = r.decisions
      .filter((d) => d.version)
      .map((d) => `${d.slot} ${d.version}`)
      .join(', ');
    return `| ${r.seller} | ${r.ok ? 'ok' : 'FAILED'} | ${r.ok ? r.models.join(', ') : '-'} | ${decisions} | ${versions || '-'} | ${r.seconds.toFixed(1)} | ${r.error ? cell(r.error.slice(0, 300)) : ''} |`;
  });
  return [
    `| seller | result | models trained | gate (${run.metric}) and decision per slot | published versions | s | error |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `${run.ok} of ${run.sellers} sellers retrained, ${run.failed} failed${run.failed ? ` (${run.failed_sellers.join(', ')})` : ''}; ${run.published} models published; ${run.seconds.toFixed(1)} s with ${run.concurrency} at a time`,
  ].join('\n');
}
