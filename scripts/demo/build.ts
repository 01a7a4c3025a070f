import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServedReport } from '../../trainer/api.js';
import { publish } from '../../trainer/publish/publish.js';
import { setServing } from '../../trainer/publish/slots.js';
import { FIGURE_SURFACE, type ServedFigure } from '../../trainer/eval/served.js';
import { RULE_NAMES, type RuleName, type ServingRule } from '../../core/storage/slots.js';
import { readCustomerRecords } from '../../trainer/artifact/customer-records.js';
import { ProxyStore, ramFolder } from '../../trainer/publish/proxy-store.js';
import { itemKnn } from '../../trainer/models/item-knn/index.js';
import { resolveParams, type ModelKind } from '../../trainer/models/kind.js';
import { lightfm } from '../../trainer/models/lightfm/index.js';
import { userKnn } from '../../trainer/models/user-knn/index.js';
import type { TuneSurface } from '../../trainer/tune/tune.js';
import { ApiPool, PoolCallError, type PoolOp, type PoolOptions, type PoolResult } from './api-pool.js';
import { GENERATOR_VERSION, generateMarketplace, type MarketplaceSummary } from './generate.js';
import { createKey, keyIsLive } from './keys.js';
import { Manifest } from './manifest.js';
import { wranglerCommand } from '../local-edge.js';

/**
 * What `npm start` builds before it serves: the demo marketplace's data, six models per
 * seller (trained, exported with the catalog, evaluated on the holdout as the edge serves
 * them), each published into its own slot of the local edge state, each seller's serving
 * configuration (the best slot of each surface by those figures), API keys, the demo seller
 * list and the D1 schema. Every step is skipped when the manifest says its outputs are up to
 * date.
 *
 * Layout under `home` (.plusone):
 *   data/                      the generated marketplace (scripts/demo/generate.ts)
 *   models/<S>/<slot>/         model directories
 *   artifacts/<S>/<slot>.bin   exported artifacts (+ .customers.jsonl, .card.json, and
 *                              .served.json: the served figures on the holdout)
 *   state/                     wrangler's local state (KV, R2, D1): wrangler dev --persist-to
 *   local.json                 the local URL and each seller's keys
 *   manifest.json              the steps done
 */

interface DemoModel {
  slot: 'warp' | 'bpr' | 'logistic' | 'warp-kos' | 'ease' | 'lookalike';
  kind: typeof lightfm | typeof itemKnn | typeof userKnn;
  preset: string;
  /**
   * The surface whose figure chooses the model's settings (`plusone tune`, restricted to the
   * slot's kind, on the seller's training orders: never the holdout), as the retrain
   * pipeline chooses them; without it, the preset.
   */
  tune?: TuneSurface;
  label: string;
  features: boolean;
}

/**
 * The models of the demo, each in its own slot: the study's four LightFM losses with item
 * features (their kind's presets: WARP is the default), item-item EASE and user-user (their
 * default presets, as the retrain pipeline and the benchmarks train them). One thread per
 * model: the pool trains two models at once, and one thread makes the model the same for
 * the same seed.
 */
const DEMO_MODELS: readonly DemoModel[] = [
  { slot: 'warp', kind: lightfm, preset: 'default', label: 'hybrid MF WARP', features: true },
  { slot: 'bpr', kind: lightfm, preset: 'bpr', label: 'hybrid MF BPR', features: true },
  { slot: 'logistic', kind: lightfm, preset: 'logistic', label: 'hybrid MF logistic', features: true },
  { slot: 'warp-kos', kind: lightfm, preset: 'warp-kos', label: 'hybrid MF k-OS WARP', features: true },
  { slot: 'ease', kind: itemKnn, preset: 'default', tune: 'basket', label: 'item-item (tuned)', features: false },
  { slot: 'lookalike', kind: userKnn, preset: 'default', tune: 'for-you', label: 'user-user (tuned)', features: false },
];

/** The figure each rule is decided by: the served figure of its surface (new-items: similar items, among the hybrid slots). */
const RULE_FIGURE: Readonly<Record<RuleName, ServedFigure>> = {
  basket: 'basket_hr@10',
  similar: 'similar_hr@10',
  'for-you': 'p@10',
  'new-items': 'similar_hr@10',
};

/** Bumped when the served evaluation's figures change, so that `npm start` measures again. */
const SERVED_EVAL_VERSION = 1;

/** Trainer threads per model. */
const THREADS_PER_MODEL = 1;

/** Seed of tune's validation split. */
const TUNE_SEED = 42;

type DemoModelType = (typeof DEMO_MODELS)[number]['kind']['name'];
type DemoSlot = (typeof DEMO_MODELS)[number]['slot'];

interface BuildOptions {
  /** The project root (wrangler.toml, migrations/). */
  root: string;
  /** The working folder, .plusone. */
  home: string;
  seed: number;
  customers: number;
  orders: number;
  months: number;
  /** Threads that train at once. */
  threads: number;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** The local URL written to local.json. */
  url: string;
}

/** One row of the metrics table. */
export interface ModelMetrics {
  seller: string;
  slot: DemoSlot;
  type: DemoModelType;
  label: string;
  /** Served figures on the holdout (trainer/eval/served.ts), null for a surface the model does not serve. */
  metrics: ServedReport;
  training: Record<string, unknown>;
}

export interface DemoSellerKeys {
  id: string;
  name: string;
  publishable_key: string;
  secret_key: string;
}

export interface BuildResult {
  marketplace: MarketplaceSummary;
  sellers: DemoSellerKeys[];
  models: ModelMetrics[];
  /** Each seller's serving configuration, as set from the holdout figures. */
  serving: Record<string, Partial<Record<RuleName, ServingRule>>>;
  /** A held-out basket per seller, for examples. */
  examples: Record<string, { items: string[]; customer: string }>;
  seconds: number;
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/** Formats a step line: name, time, detail. */
function stepLine(name: string, s: number | null, detail: string): string {
  return `${name.padEnd(34)} ${s === null ? '     -' : `${s.toFixed(1).padStart(5)} s`}  ${detail}`;
}

class StepFailed extends Error {}

/** The D1 migrations to apply, or null when wrangler.toml has no D1 database. */
function migrationFiles(root: string): string[] | null {
  const toml = join(root, 'wrangler.toml');
  if (!existsSync(toml) || !/^\s*\[\[d1_databases\]\]/m.test(readFileSync(toml, 'utf8'))) return null;
  const dir = join(root, 'migrations');
  if (!existsSync(dir)) return null;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => join(dir, f));
}

/** Builds (or finds up to date) everything the local demo serves. */
export async function buildDemo(options: BuildOptions): Promise<BuildResult> {
  const t0 = performance.now();
  const { home, log } = options;
  const manifest = await Manifest.load(join(home, 'manifest.json'));
  const dataDir = join(home, 'data');
  const stateDir = join(home, 'state');

  // The store opens once, when the first write needs it, and closes before wrangler runs.
  // What it wrote is recorded in the manifest only once it is closed (a staged state is in
  // the state folder only then).
  let store: Promise<ProxyStore> | null = null;
  const afterClose: (() => Promise<void>)[] = [];
  const openStore = () => {
    if (store === null) {
      const t = performance.now();
      store = ProxyStore.open({ persistTo: stateDir, config: join(options.root, 'wrangler.toml'), stageIn: ramFolder() }).then((s) => {
        log(stepLine('open local state', seconds(t), s.description));
        return s;
      });
    }
    return store;
  };

  const pool = new ApiPool(Math.max(1, options.threads));
  const models: ModelMetrics[] = [];
  const serving: BuildResult['serving'] = {};
  let sellers: DemoSellerKeys[] = [];
  let marketplace: MarketplaceSummary;
  const stateFile = join(stateDir, 'plusone-state.json');
  let stateId: string;
  try {
    // 1. The marketplace's data (a new state will be written: start its runtime meanwhile).
    const newState = !existsSync(join(stateDir, 'v3'));
    if (newState) void openStore().catch(() => undefined);
    marketplace = await ensureData(options, dataDir);

    // The state's identity: a wiped state folder gets a new one, and everything is republished.
    await mkdir(stateDir, { recursive: true });
    if (!existsSync(stateFile) || newState) await writeFile(stateFile, JSON.stringify({ id: randomUUID() }) + '\n');
    stateId = (JSON.parse(await readFile(stateFile, 'utf8')) as { id: string }).id;

    const call = async <K extends PoolOp>(name: string, op: K, callOptions: PoolOptions<K>, priority: number): Promise<PoolResult<K>> => {
      try {
        const r = await pool.run(op, callOptions, priority);
        for (const line of r.warnings) log(`  ${name}: warning: ${line}`);
        return r;
      } catch (err) {
        if (!(err instanceof PoolCallError)) throw err;
        for (const line of err.warnings) log(`  ${name}: warning: ${line}`);
        log(`  ${name}: ${err.message}`);
        throw new StepFailed(`${name} failed; see the lines above`);
      }
    };

    // 2. Per seller and slot: train, export, then evaluate as served (publishing waits for these).
    const jobs = marketplace.sellers.flatMap((seller, si) =>
      DEMO_MODELS.map((m, mi) => {
        const dir = join(dataDir, seller.dir);
        const type = m.kind.name;
        const slot = m.slot;
        const modelDir = join(home, 'models', seller.id, slot);
        const artifact = join(home, 'artifacts', seller.id, `${slot}.bin`);
        const modelFiles = ['model.json', 'dataset.json', 'arrays.bin'].map((f) => join(modelDir, f));
        const priority = si * DEMO_MODELS.length + mi;
        const built = (async () => {
          const features = join(dir, 'item-features.csv');
          const trainId = `train ${seller.id} ${slot}`;
          // What decides the model: its kind, its resolved settings and whether it reads the features.
          const trainFp = JSON.stringify({
            kind: type,
            ...(m.tune ? { tune: m.tune, seed: TUNE_SEED } : { params: resolveParams(m.kind as ModelKind<object>, {}, { preset: m.preset }) }),
            features: m.features,
            threads: THREADS_PER_MODEL,
          });
          const inputs = [join(dir, 'train-orders.csv'), ...(m.features ? [features] : [])];
          if (manifest.fresh(trainId, trainFp, inputs, modelFiles)) {
            log(stepLine(trainId, null, 'up to date'));
          } else if (m.tune) {
            // The slot's settings chosen by validation on the training orders, as retrain chooses them.
            await rm(modelDir, { recursive: true, force: true });
            const r = await call(
              trainId,
              'tune',
              {
                input: { orders: join(dir, 'train-orders.csv') },
                surface: m.tune,
                kinds: [type],
                out: modelDir,
                seed: TUNE_SEED,
                threads: THREADS_PER_MODEL,
                ...(m.features ? { itemFeatures: features } : {}),
              },
              priority,
            );
            const t = r.result;
            const chosen = t.candidates.find((c) => c.figure === t.validation.value && c.model === t.model);
            const figures = {
              tuned: true,
              chose: chosen?.label ?? t.model,
              validation: t.validation.value,
              candidates: t.candidates.length,
              fit_s: t.fit_s,
              tune_s: t.tune_s,
            };
            await manifest.record(trainId, trainFp, r.seconds, figures);
            log(
              stepLine(
                trainId,
                r.seconds,
                `tuned for ${m.tune} on ${t.candidates.length} candidates: ${figures.chose}, ${t.validation.figure} ${t.validation.value} on validation`,
              ),
            );
          } else {
            await rm(modelDir, { recursive: true, force: true });
            const r = await call(
              trainId,
              'train',
              {
                input: { orders: join(dir, 'train-orders.csv') },
                model: type,
                preset: m.preset,
                threads: THREADS_PER_MODEL,
                out: modelDir,
                ...(m.features ? { itemFeatures: features } : {}),
              },
              priority,
            );
            const figures = r.result;
            await manifest.record(trainId, trainFp, r.seconds, figures);
            log(
              stepLine(trainId, r.seconds, `${figures.users} customers, ${figures.items} items, ${figures.interactions} interactions, fit ${figures.fit_s} s`),
            );
          }
          const exportId = `export ${seller.id} ${slot}`;
          const exportFp = 'int8 top-50';
          const sidecars = [`${artifact}.customers.jsonl`, `${artifact}.card.json`];
          if (manifest.fresh(exportId, exportFp, [...modelFiles, join(dir, 'catalog.csv')], [artifact, ...sidecars])) {
            log(stepLine(exportId, null, 'up to date'));
          } else {
            await mkdir(join(home, 'artifacts', seller.id), { recursive: true });
            const r = await call(
              exportId,
              'exportModel',
              { model: modelDir, catalog: join(dir, 'catalog.csv'), out: artifact, quantize: 'int8', topN: 50 },
              priority,
            );
            const figures = r.result;
            await manifest.record(exportId, exportFp, r.seconds, figures);
            log(stepLine(exportId, r.seconds, `${figures.artifact_bytes} bytes, ${figures.customers} customer records`));
          }
          return artifact;
        })();
        const evaluated = built.then(async (): Promise<ModelMetrics> => {
          // Served figures: the exported artifact answered by the edge's own code on the
          // holdout's orders, as the retrain pipeline measures a published version.
          const evalId = `evaluate ${seller.id} ${slot}`;
          const out = join(home, 'artifacts', seller.id, `${slot}.served.json`);
          const holdoutOrders = join(dir, 'test-orders.csv');
          const evalFp = `served v${SERVED_EVAL_VERSION}`;
          if (manifest.fresh(evalId, evalFp, [artifact, `${artifact}.customers.jsonl`, holdoutOrders], [out])) {
            log(stepLine(evalId, null, 'up to date'));
          } else {
            const r = await call(evalId, 'evaluateArtifact', { artifact, orders: holdoutOrders }, priority + 0.5);
            const metrics = r.result;
            await writeFile(out, JSON.stringify(metrics) + '\n');
            await manifest.record(evalId, evalFp, r.seconds, metrics);
            log(stepLine(evalId, r.seconds, `served: p@10 ${metrics['p@10'] ?? 'not served'}, basket_hr@10 ${metrics['basket_hr@10'] ?? 'not served'}`));
          }
          const row: ModelMetrics = {
            seller: seller.id,
            slot,
            type,
            label: m.label,
            metrics: JSON.parse(await readFile(out, 'utf8')) as ServedReport,
            training: trainingFigures(manifest, seller.id, slot),
          };
          models.push(row);
          return row;
        });
        return { seller: seller.id, slot, type, preset: m.preset, artifact, built, evaluated };
      }),
    );
    // Failures surface where they are awaited; keep Node from reporting them as unhandled first.
    for (const j of jobs) {
      j.built.catch(() => undefined);
      j.evaluated.catch(() => undefined);
    }
    void Promise.all(jobs.map((j) => j.built)).then(
      () => log(stepLine('all models trained and exported', null, `after ${seconds(t0).toFixed(1)} s`)),
      () => undefined,
    );

    // 3. Publishing, seller by seller as their models are evaluated, each into its slot (the
    // card carries the served figures); then the seller's serving configuration.
    for (const seller of marketplace.sellers) {
      const mine = jobs.filter((j) => j.seller === seller.id);
      const rows: ModelMetrics[] = [];
      for (const j of mine) {
        const row = await j.evaluated;
        rows.push(row);
        const id = `publish ${seller.id} ${j.slot}`;
        const bytes = new Uint8Array(await readFile(j.artifact));
        const fp = `${stateId}:${sha256(bytes)}:served v${SERVED_EVAL_VERSION}`;
        if (manifest.fresh(id, fp)) {
          log(stepLine(id, null, 'up to date'));
          continue;
        }
        const s = await openStore();
        const t = performance.now();
        const customers = await readCustomerRecords(`${j.artifact}.customers.jsonl`);
        const card = {
          ...(JSON.parse(await readFile(`${j.artifact}.card.json`, 'utf8')) as Record<string, unknown>),
          preset: j.preset,
          holdout_from: marketplace.holdout_from,
          metrics: row.metrics,
        };
        // The serving configuration is set below, from the figures of all six.
        const { pointer, warnings } = await publish(s, { seller: seller.id, slot: j.slot, artifact: bytes, customers, card, serve: 'none' });
        for (const w of warnings) log(`  ${id}: warning: ${w}`);
        const took = seconds(t);
        afterClose.push(() => manifest.record(id, fp, took, { version: pointer.version }));
        log(stepLine(id, seconds(t), `version ${pointer.version}, ${customers.length} customer records`));
      }
      const config = bestServing(rows);
      serving[seller.id] = config;
      const serveId = `serve ${seller.id}`;
      const fp = `${stateId}:${JSON.stringify(config)}`;
      if (manifest.fresh(serveId, fp)) {
        log(stepLine(serveId, null, 'up to date'));
        continue;
      }
      const s = await openStore();
      const t = performance.now();
      await setServing(s, seller.id, config);
      const took = seconds(t);
      afterClose.push(() => manifest.record(serveId, fp, took));
      log(stepLine(serveId, took, RULE_NAMES.map((r) => `${r} ${config[r]?.slot ?? '-'}`).join(', ')));
    }

    log(stepLine('publishing done', null, `after ${seconds(t0).toFixed(1)} s`));

    // 4. Keys (kept across runs while the state has them) and the demo's seller list.
    sellers = await ensureKeys(options, marketplace, manifest, stateId, openStore, afterClose);

    await Promise.all(jobs.map((j) => j.evaluated));
    log(stepLine('evaluations done', null, `after ${seconds(t0).toFixed(1)} s`));
  } finally {
    await pool.close();
    if (store !== null) {
      const t = performance.now();
      await (await (store as Promise<ProxyStore>)).dispose();
      log(stepLine('close local state', seconds(t), stateDir));
    }
    // Also after a failure: what was published is in the state, and need not be again.
    for (const record of afterClose) await record();
  }

  // 5. The D1 schema (wrangler's own command, now that no runtime holds the state).
  const migrations = migrationFiles(options.root);
  if (migrations === null) {
    log(stepLine('d1 migrations', null, 'skipped: no D1 database in wrangler.toml or no migrations/'));
  } else {
    const fp = `${stateId}:${migrations.map((f) => f.split('/').at(-1)).join(',')}`;
    if (manifest.fresh('d1 migrations', fp, migrations, [stateFile])) {
      log(stepLine('d1 migrations', null, 'up to date'));
    } else {
      const t = performance.now();
      // Never while a store is open on the same state.
      await wranglerCommand(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir], options.root);
      await manifest.record('d1 migrations', fp, seconds(t));
      log(stepLine('d1 migrations', seconds(t), `${migrations.length} file(s) in migrations/`));
    }
  }

  const order = new Map(marketplace.sellers.map((s, i) => [s.id, i]));
  const slotOrder = new Map(DEMO_MODELS.map((m, i) => [m.slot as string, i]));
  models.sort((a, b) => order.get(a.seller)! - order.get(b.seller)! || slotOrder.get(a.slot)! - slotOrder.get(b.slot)!);
  return { marketplace, sellers, models, serving, examples: await examples(dataDir, marketplace), seconds: seconds(t0) };
}

/**
 * A seller's serving configuration from the holdout figures of its slots: each surface's
 * rule is the slot with the best served figure of that surface among the slots whose kind
 * serves it, its fallback the second best; `new-items` the hybrid slot (the one that ranks
 * items through their features) with the best similar-items figure.
 */
export function bestServing(rows: readonly { slot: string; type: string; metrics: ServedReport }[]): Partial<Record<RuleName, ServingRule>> {
  const config: Partial<Record<RuleName, ServingRule>> = {};
  for (const rule of RULE_NAMES) {
    const figure = RULE_FIGURE[rule];
    const able = rows.filter(
      (r) => (rule === 'new-items' ? r.type === 'lightfm' : r.metrics.surfaces.includes(FIGURE_SURFACE[figure])) && r.metrics[figure] !== null,
    );
    // Best first; a tie keeps the order of the rows.
    const ranked = [...able].sort((a, b) => (b.metrics[figure] as number) - (a.metrics[figure] as number));
    if (ranked.length > 0) config[rule] = { slot: ranked[0].slot, fallback: ranked[1]?.slot ?? null };
  }
  return config;
}

/** Generates the data unless the same options already made it. */
async function ensureData(options: BuildOptions, dataDir: string): Promise<MarketplaceSummary> {
  const path = join(dataDir, 'marketplace.json');
  const files = ['catalog.csv', 'item-features.csv', 'orders.csv', 'train-orders.csv', 'test-orders.csv', 'test.csv', 'test-baskets.csv'];
  if (existsSync(path)) {
    try {
      const m = JSON.parse(await readFile(path, 'utf8')) as MarketplaceSummary;
      const same =
        m.generator === GENERATOR_VERSION &&
        m.seed === options.seed &&
        m.customers === options.customers &&
        m.orders === options.orders &&
        m.months === options.months;
      if (same && m.sellers.every((s) => files.every((f) => existsSync(join(dataDir, s.dir, f))))) {
        options.log(stepLine('generate marketplace', null, `up to date (seed ${m.seed}, ${dataDir})`));
        return m;
      }
    } catch {
      // Unreadable: generate again.
    }
  }
  const t = performance.now();
  await rm(dataDir, { recursive: true, force: true });
  const m = await generateMarketplace({ out: dataDir, seed: options.seed, customers: options.customers, orders: options.orders, months: options.months });
  options.log(
    stepLine(
      'generate marketplace',
      seconds(t),
      `${m.sellers.length} sellers, ${m.customers} customers, ${m.orders} orders (${(m.single_item_share * 100).toFixed(1)}% single-item), holdout from ${m.holdout_from.slice(0, 10)}`,
    ),
  );
  return m;
}

/** Reuses the keys of local.json that the state still holds, creates the others, lists the sellers for the demo. */
async function ensureKeys(
  options: BuildOptions,
  marketplace: MarketplaceSummary,
  manifest: Manifest,
  stateId: string,
  openStore: () => Promise<ProxyStore>,
  afterClose: (() => Promise<void>)[],
): Promise<DemoSellerKeys[]> {
  const path = join(options.home, 'local.json');
  let previous: DemoSellerKeys[] = [];
  let previousUrl: string | undefined;
  try {
    const local = JSON.parse(await readFile(path, 'utf8')) as { url?: string; sellers?: DemoSellerKeys[] };
    previous = local.sellers ?? [];
    previousUrl = local.url;
  } catch {
    // No keys yet.
  }
  // Only the ids and keys count (names come from the marketplace).
  const fingerprint = (list: (DemoSellerKeys | undefined)[]) =>
    `${stateId}:${sha256(JSON.stringify(list.map((k) => [k?.id, k?.publishable_key, k?.secret_key])))}`;
  const write = (list: DemoSellerKeys[]) =>
    writeFile(
      path,
      JSON.stringify({ url: options.url, sellers: list.map(({ id, publishable_key, secret_key }) => ({ id, publishable_key, secret_key })) }, null, 2) + '\n',
    );
  const known = marketplace.sellers.map((s) => previous.find((p) => p.id === s.id));
  if (known.every((k) => k !== undefined) && manifest.fresh('keys and demo sellers', fingerprint(known), [], [path])) {
    const sellers = marketplace.sellers.map((s, i) => ({ ...known[i]!, name: s.name }));
    if (previousUrl !== options.url) await write(sellers);
    options.log(stepLine('keys and demo sellers', null, `up to date (${path})`));
    return sellers;
  }
  const t = performance.now();
  const store = await openStore();
  let created = 0;
  const sellers: DemoSellerKeys[] = [];
  for (const s of marketplace.sellers) {
    const old = previous.find((p) => p.id === s.id);
    let pk = old?.publishable_key;
    let sk = old?.secret_key;
    if (!(await keyIsLive(store, s.id, pk, 'publishable'))) {
      pk = await createKey(store, s.id, 'publishable', ['*']);
      created++;
    }
    if (!(await keyIsLive(store, s.id, sk, 'secret'))) {
      sk = await createKey(store, s.id, 'secret');
      created++;
    }
    sellers.push({ id: s.id, name: s.name, publishable_key: pk!, secret_key: sk! });
  }
  await store.putValue('demo/sellers', JSON.stringify(sellers.map((s) => ({ id: s.id, name: s.name, publishable_key: s.publishable_key }))));
  await write(sellers);
  const took = seconds(t);
  afterClose.push(() => manifest.record('keys and demo sellers', fingerprint(sellers), took));
  options.log(stepLine('keys and demo sellers', seconds(t), `${created} key(s) created, ${sellers.length * 2 - created} reused; ${path}`));
  return sellers;
}

/** A held-out basket of each seller (its first), for the printed examples. */
async function examples(dataDir: string, m: MarketplaceSummary): Promise<Record<string, { items: string[]; customer: string }>> {
  const out: Record<string, { items: string[]; customer: string }> = {};
  for (const s of m.sellers) {
    const lines = (await readFile(join(dataDir, s.dir, 'test-baskets.csv'), 'utf8'))
      .split('\n')
      .slice(1)
      .filter((l) => l !== '');
    const first = lines[0]?.split(',') ?? [];
    const items = lines
      .map((l) => l.split(','))
      .filter((c) => c[0] === first[0])
      .map((c) => c[2]);
    out[s.id] = { items, customer: first[1] ?? '' };
  }
  return out;
}

export { StepFailed };

/** What the table shows of a slot's training: its train (or tune) figures, items and customers from the export where tune gave none. */
function trainingFigures(manifest: Manifest, seller: string, slot: string): Record<string, unknown> {
  const trained = (manifest.get(`train ${seller} ${slot}`)?.result ?? {}) as Record<string, unknown>;
  const exported = (manifest.get(`export ${seller} ${slot}`)?.result ?? {}) as Record<string, unknown>;
  return { items: exported.items, users: exported.customers, ...trained };
}
