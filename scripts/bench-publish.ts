/**
 * Benchmark: publishing many customer records to a fresh local state (the state `wrangler
 * dev` reads), through the same path as `plusone publish --local`: one local runtime
 * (ProxyStore), the state built in memory when there is room (/dev/shm) and moved into
 * place at the end. Makes a synthetic lightfm artifact (2,000 items, 32 dims, int8) and one
 * record per customer: a user vector (32 dims int8, 64 bytes) or a top-50 list (~450 bytes),
 * as trainer/artifact/export.ts encodes them, packed into customer shards in R2. Counts the
 * storage operations of the publish (KV writes and reads, R2 Class A and B) and prices them
 * at Cloudflare's list prices. Prints progress on stderr and the phases' times; writes
 * benchmarks/publish.json and .md (one row per configuration; rows of the older per-key KV
 * layout are kept for comparison).
 *
 * Also puts the table in README.md between the bench:publish markers (unless --no-readme).
 *
 *   npm run bench:publish -- [--customers 500000] [--record vector|top50] [--no-stage] [--state DIR] [--out DIR] [--no-readme]
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeArtifact } from '../core/format/decode.js';
import { encodeUserRecord } from '../core/format/user-record.js';
import { encodeArtifact } from '../trainer/artifact/encode.js';
import { ProxyStore, ramFolder } from '../trainer/publish/proxy-store.js';
import { publish, type CustomerRecordInput } from '../trainer/publish/publish.js';
import { slotPointer } from '../trainer/publish/slots.js';
import type { ModelStore } from '../trainer/publish/store.js';
import { PROJECT, updateReadme } from './bench-common.js';

/** Storage operations of one publish, as Cloudflare bills them. */
interface Operations {
  /** KV writes, deletes and list requests (each billed as a write). */
  kv_writes: number;
  kv_reads: number;
  /** R2 Class A: writes (deletes are free). */
  r2_class_a: number;
  /** R2 Class B: reads. */
  r2_class_b: number;
}

/** Cloudflare list prices, USD per million operations (Workers KV and R2, paid plan). */
const PRICE = { kv_writes: 5.0, kv_reads: 0.5, r2_class_a: 4.5, r2_class_b: 0.36 } as const;

/**
 * The older per-key KV layout's operations for 500,000 records (a fresh seller), counted on
 * commit b4a1aa1 (the last before the shards) with the same counting over a MemoryStore: a
 * KV write and a read-back per record, a marker per 10,000, the pointers. Shown beside the
 * rows of that layout, measured before the shards, which did not count.
 */
const KV_KEYS_500K: Operations = { kv_writes: 500_055, kv_reads: 500_007, r2_class_a: 3, r2_class_b: 1 };

function costUsd(ops: Operations): number {
  return (ops.kv_writes * PRICE.kv_writes + ops.kv_reads * PRICE.kv_reads + ops.r2_class_a * PRICE.r2_class_a + ops.r2_class_b * PRICE.r2_class_b) / 1e6;
}

/** A store that counts what passes through it, as the billing would. */
class CountingStore implements ModelStore {
  readonly ops: Operations = { kv_writes: 0, kv_reads: 0, r2_class_a: 0, r2_class_b: 0 };
  readonly description: string;
  constructor(private readonly inner: ModelStore) {
    this.description = inner.description;
  }
  putObject(key: string, bytes: Uint8Array): Promise<void> {
    this.ops.r2_class_a++;
    return this.inner.putObject(key, bytes);
  }
  getObject(key: string): Promise<Uint8Array | null> {
    this.ops.r2_class_b++;
    return this.inner.getObject(key);
  }
  deleteObject(key: string): Promise<void> {
    return this.inner.deleteObject(key);
  }
  putValue(key: string, value: string): Promise<void> {
    this.ops.kv_writes++;
    return this.inner.putValue(key, value);
  }
  getValue(key: string): Promise<string | null> {
    this.ops.kv_reads++;
    return this.inner.getValue(key);
  }
  putValues(entries: { key: string; value: string }[]): Promise<void> {
    this.ops.kv_writes += entries.length;
    return this.inner.putValues(entries);
  }
  getValues(keys: string[]): Promise<Map<string, string | null>> {
    this.ops.kv_reads += keys.length;
    return this.inner.getValues(keys);
  }
  deleteValues(keys: string[]): Promise<void> {
    this.ops.kv_writes += keys.length;
    return this.inner.deleteValues(keys);
  }
  listKeys(prefix: string): Promise<string[]> {
    // KV bills a list request at the price of a write.
    this.ops.kv_writes++;
    return this.inner.listKeys(prefix);
  }
}

interface Row {
  /** Where the records went: R2 shards, or (rows measured before them) one KV value per customer. */
  layout?: 'shards' | 'kv-keys';
  customers: number;
  record: 'vector' | 'top50';
  record_bytes: number;
  base64_chars?: number;
  shards?: number;
  /** Storage operations of the publish (a fresh seller: nothing to prune). */
  operations?: Operations;
  /** What those operations cost at list prices, per publish. */
  cost_usd?: number;
  staged: boolean;
  generate_s: number;
  open_s: number;
  publish_s: number;
  records_per_s: number;
  move_into_place_s: number;
  total_s: number;
  /** Disk space of the local state (blocks, not bytes: local KV keeps one file per value). */
  state_mb: number;
  /** One-minute load average at the start and the end: the machine is shared. */
  load: [number, number];
  date: string;
  machine: string;
}

/** A small deterministic generator, so that runs publish the same bytes. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function syntheticArtifact(items: number, dim: number): Uint8Array {
  const r = rng(1);
  return encodeArtifact(
    {
      modelType: 'lightfm',
      itemIds: Array.from({ length: items }, (_, i) => `sku-${i}`),
      dim,
      itemVectors: Float32Array.from({ length: items * dim }, () => r() - 0.5),
      itemBiases: Float32Array.from({ length: items }, () => r() - 0.5),
      popularity: { order: Array.from({ length: items }, (_, i) => i), scores: Array.from({ length: items }, (_, i) => items - i) },
      meta: { synthetic: true },
      userRecords: true,
    },
    { quantize: 'int8' },
  );
}

function syntheticRecords(n: number, kind: 'vector' | 'top50', artifact: Uint8Array, dim: number): CustomerRecordInput[] {
  const a = decodeArtifact(artifact);
  const r = rng(2);
  const out: CustomerRecordInput[] = new Array(n);
  const vector = new Float32Array(dim);
  const items = new Uint32Array(50);
  const scores = new Float32Array(50);
  for (let u = 0; u < n; u++) {
    let bytes: Uint8Array;
    if (kind === 'vector') {
      for (let j = 0; j < dim; j++) vector[j] = r() - 0.5;
      bytes = encodeUserRecord({ kind: 'user-vector', itemTableTag: a.itemTableTag, bias: r(), vector, quantize: 'int8' });
    } else {
      // 50 different items (37 * 49 < 2,000 items, so no index repeats).
      const base = Math.floor(r() * a.itemCount);
      for (let j = 0; j < 50; j++) {
        items[j] = (base + j * 37) % a.itemCount;
        scores[j] = 1 - j / 50;
      }
      bytes = encodeUserRecord({ kind: 'top-items', itemTableTag: a.itemTableTag, items, scores });
    }
    out[u] = { customer: `customer-${u.toString(36).padStart(6, '0')}`, record: bytes };
  }
  return out;
}

/** Disk space used under `dir`, in MB. */
function diskMb(dir: string): number {
  let blocks = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else blocks += statSync(p).blocks;
    }
  };
  walk(dir);
  return Math.round((blocks * 512) / 1e6);
}

const seconds = (t: number) => Math.round((performance.now() - t) / 10) / 100;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '500000' },
      record: { type: 'string', default: 'vector' },
      'no-stage': { type: 'boolean', default: false },
      state: { type: 'string' },
      out: { type: 'string', default: join(PROJECT, 'benchmarks') },
      'no-readme': { type: 'boolean', default: false },
    },
  });
  const n = Number(values.customers);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--customers must be a positive integer, got ${values.customers}`);
  const kind = values.record;
  if (kind !== 'vector' && kind !== 'top50') throw new Error(`--record must be vector or top50, got ${kind}`);
  const dim = 32;
  const stageIn = values['no-stage'] ? null : ramFolder();
  const work = values.state ? resolve(values.state) : await mkdtemp(join(tmpdir(), 'plusone-bench-publish-'));
  if (existsSync(join(work, 'v3'))) throw new Error(`${work} already holds a local state; the benchmark publishes to a fresh one (give another --state)`);

  const loadBefore = loadavg()[0];
  const started = performance.now();
  let t = performance.now();
  const artifact = syntheticArtifact(2000, dim);
  const customers = syntheticRecords(n, kind, artifact, dim);
  const generate = seconds(t);
  const recordBytes = customers[0].record.length;
  console.error(`generated a ${artifact.length}-byte artifact and ${n} ${kind} records (${recordBytes} bytes each) in ${generate}s`);

  t = performance.now();
  const store = await ProxyStore.open({ persistTo: work, config: join(PROJECT, 'wrangler.toml'), stageIn });
  const open = seconds(t);
  console.error(`opened ${store.description} in ${open}s`);
  const counting = new CountingStore(store);
  let publishS: number;
  let move: number;
  let shards: number;
  let slot: string;
  try {
    t = performance.now();
    const r = await publish(counting, { seller: 'bench', artifact, customers, log: (m) => console.error(m) });
    slot = r.slot;
    publishS = seconds(t);
    shards = r.pointer.customerShards?.count ?? 0;
    console.error(`published version ${r.pointer.version} in ${publishS}s (${shards} customer shards)`);
  } finally {
    t = performance.now();
    await store.dispose();
    move = seconds(t);
  }
  const total = seconds(started);
  // A check that the state in place is the one published (a fresh runtime over it).
  const check = await ProxyStore.open({ persistTo: work, config: join(PROJECT, 'wrangler.toml') });
  try {
    const active = await slotPointer(check, 'bench', slot);
    if (active?.customers !== n) throw new Error(`the state in ${work} does not hold the published version (${JSON.stringify(active)})`);
  } finally {
    await check.dispose();
  }
  const stateMb = diskMb(join(work, 'v3'));
  if (!values.state) await rm(work, { recursive: true, force: true });

  const row: Row = {
    layout: 'shards',
    customers: n,
    record: kind,
    record_bytes: recordBytes,
    shards,
    operations: counting.ops,
    cost_usd: Math.round(costUsd(counting.ops) * 1e6) / 1e6,
    staged: stageIn !== null,
    generate_s: generate,
    open_s: open,
    publish_s: publishS,
    records_per_s: Math.round(n / publishS),
    move_into_place_s: move,
    total_s: total,
    state_mb: stateMb,
    load: [Math.round(loadBefore * 10) / 10, Math.round(loadavg()[0] * 10) / 10],
    date: new Date().toISOString(),
    machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`,
  };
  console.log(JSON.stringify(row));

  await mkdir(values.out, { recursive: true });
  const jsonPath = join(values.out, 'publish.json');
  const earlier: Row[] = existsSync(jsonPath) ? (JSON.parse(await readFile(jsonPath, 'utf8')) as { rows: Row[] }).rows : [];
  const layoutOf = (x: Row) => x.layout ?? 'kv-keys';
  for (const e of earlier) {
    if (layoutOf(e) !== 'kv-keys' || e.operations || e.customers !== 500_000) continue;
    e.layout = 'kv-keys';
    e.operations = KV_KEYS_500K;
    e.cost_usd = Math.round(costUsd(KV_KEYS_500K) * 1e6) / 1e6;
  }
  const rows = [
    ...earlier.filter((e) => !(layoutOf(e) === 'shards' && e.customers === row.customers && e.record === row.record && e.staged === row.staged)),
    row,
  ];
  await writeFile(jsonPath, JSON.stringify({ prices_usd_per_million: PRICE, rows }, null, 2) + '\n');
  const usd = (x: number) => `$${x < 0.01 ? x.toFixed(4) : x.toFixed(2)}`;
  const ops = (x: Row) =>
    x.operations ? `${x.operations.kv_writes} / ${x.operations.kv_reads} / ${x.operations.r2_class_a} / ${x.operations.r2_class_b}` : '–';
  const md = [
    'Publishing customer records to a fresh local state (`plusone publish --local`: one local runtime; the records packed into customer shards in R2, each shard written, read back and its SHA-256 compared, then the pointer). `npm run bench:publish`.',
    '',
    '| layout | customers | record bytes | shards | built in memory | publish s | records/s | move into place s | total s | KV writes / KV reads / R2 A / R2 B | cost per publish | per night, 3 models | load (start, end) | machine | date |',
    '| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- | --- | --- |',
    ...rows.map(
      (x) =>
        `| ${layoutOf(x) === 'shards' ? 'R2 shards' : 'KV key per customer'} | ${x.customers} | ${x.record_bytes} | ${x.shards ?? '–'} | ${x.staged ? 'yes' : 'no'} | ${x.publish_s} | ${x.records_per_s} | ${x.move_into_place_s} | ${x.total_s} | ${ops(x)} | ${x.cost_usd === undefined ? '–' : usd(x.cost_usd)} | ${x.cost_usd === undefined ? '–' : usd(3 * x.cost_usd)} | ${x.load ? x.load.join(', ') : '–'} | ${x.machine} | ${x.date.slice(0, 10)} |`,
    ),
    '',
    `Total: generating the records, opening the runtime, publishing, and moving the state into place. Operations are counted at the store as Cloudflare bills them (KV deletes as writes; R2 deletes are free) and priced at list prices: KV $${PRICE.kv_writes.toFixed(2)} per million writes and $${PRICE.kv_reads.toFixed(2)} per million reads, R2 $${PRICE.r2_class_a.toFixed(2)} per million Class A and $${PRICE.r2_class_b.toFixed(2)} per million Class B operations (free tiers left out). The machine (2 cores) is shared with other work: the load average says how busy it was; figures vary from run to run.`,
  ].join('\n');
  await writeFile(join(values.out, 'publish.md'), md + '\n');
  if (!values['no-readme']) await updateReadme('publish', md + '\n');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
