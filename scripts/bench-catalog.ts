/**
 * Benchmark: the catalog overlay at 100,000 items (spec/model-format.md, "Catalog updates
 * (storage layout)"), with the code the PUT route and the recommendation routes run, in Node
 * on this machine: the bytes of a layer per entry, the CPU of a call of 10,000 items into a
 * delta and of a compaction, what an isolate spends reading a new version, and the cost of
 * scoring the catalog's unseen items beside a hybrid model's 100,000 items.
 *
 * Seeded synthetic shop: 70-character titles, shop links and images, a category, five tags
 * per item (one unique to it). Writes benchmarks/NAME.{json,md} and the README table between
 * the bench:NAME markers.
 *
 *   npm run bench:catalog -- [--items 100000] [--call 10000] [--dim 32] [--name catalog] [--no-readme]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LiveItems } from '../core/catalog/live.js';
import { decodeLayer } from '../core/catalog/layer.js';
import { applyChanges, type CatalogChange, mergeLayers } from '../core/catalog/merge.js';
import { CatalogSnapshot } from '../core/catalog/snapshot.js';
import { scoreAllVectors } from '../core/recommend/recommend.js';
import { useWasmKernel } from '../core/scoring/wasm-kernel.js';
import { encodeArtifact } from '../trainer/artifact/encode.js';
import { loaded } from '../trainer/eval/served.js';
import { Random } from '../trainer/util/random.js';
import { fmt, median, PROJECT, updateReadme } from './bench-common.js';

const TYPES = ['mug', 'tee', 'poster', 'hoodie', 'sticker'];
const TAGS = [...TYPES.map((t) => `type:${t}`), ...Array.from({ length: 12 }, (_, k) => `theme:${k}`), ...Array.from({ length: 8 }, (_, k) => `colour:${k}`)];

function item(i: number, version: number): CatalogChange {
  const type = TYPES[i % TYPES.length];
  return {
    upsert: {
      id: `design-${String(i).padStart(6, '0')}-${type}`,
      title: `Design ${i} ${type} printed on demand, a longer title v${version}`.padEnd(70, '.').slice(0, 70),
      url: `https://shop.example.com/products/design-${i}-${type}`,
      image: `https://cdn.example.com/img/design-${i}-${type}.jpg`,
      price: 10 + (i % 30),
      in_stock: i % 7 !== 0,
      category: `${type}s`,
      features: [`type:${type}`, `theme:${i % 12}`, `colour:${i % 8}`, `price:${i % 4}`, `design:${i}`],
    },
  };
}

/** Median milliseconds of `runs` calls of `fn` (after one untimed). */
function time<T>(fn: () => T, runs = 3): { ms: number; value: T } {
  let value = fn();
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    value = fn();
    ms.push(performance.now() - t0);
  }
  return { ms: median(ms), value };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      items: { type: 'string', default: '100000' },
      call: { type: 'string', default: '10000' },
      dim: { type: 'string', default: '32' },
      out: { type: 'string', default: join(PROJECT, 'benchmarks') },
      name: { type: 'string', default: 'catalog' },
      'no-readme': { type: 'boolean', default: false },
    },
  });
  const n = Number(values.items);
  const call = Number(values.call);
  const dim = Number(values.dim);
  const load = [loadavg()[0]];
  // The edge's own scoring kernel for the artifact's items (the worker imports it compiled; Node compiles the bytes).
  useWasmKernel(new WebAssembly.Module(await readFile(join(PROJECT, 'core', 'scoring', 'kernel.wasm'))));

  const all = Array.from({ length: n }, (_, i) => item(i, 0));
  const fullBytes = applyChanges(null, all);
  const base = decodeLayer(fullBytes);
  const firstCall = Array.from({ length: call }, (_, k) => item((k * 7) % n, 1));
  const delta = decodeLayer(applyChanges(null, firstCall));
  const secondCall = Array.from({ length: call }, (_, k) => item((k * 13 + 1) % n, 2));
  const apply = time(() => applyChanges(delta, secondCall));
  const deltaAfter = decodeLayer(apply.value);
  const compact = time(() => mergeLayers(base, deltaAfter));
  const read = time(() => new CatalogSnapshot(2, decodeLayer(compact.value), decodeLayer(apply.value)));

  // A hybrid model of the same n items, dim `dim`, with an item-features section of the tags.
  const rng = new Random(1);
  const ids = all.map((c) => (c as { upsert: { id: string } }).upsert.id);
  const vectors = Float32Array.from({ length: n * dim }, () => rng.normal() * 0.1);
  const features = [...TAGS, ...Array.from({ length: 4 }, (_, k) => `price:${k}`)];
  const artifact = encodeArtifact(
    {
      modelType: 'lightfm',
      itemIds: ids,
      dim,
      itemVectors: vectors,
      itemBiases: new Float32Array(n),
      meta: {},
      itemFeatures: {
        names: features,
        embeddings: Float32Array.from({ length: features.length * dim }, () => rng.normal() * 0.1),
        biases: new Float32Array(features.length),
        normalised: true,
        identity: true,
      },
    },
    { quantize: 'int8' },
  );
  const model = loaded(artifact);
  // The catalog: the model's items, plus `call` new products it never saw.
  const fresh = Array.from({ length: call }, (_, k) => item(n + k, 0));
  const snapshot = new CatalogSnapshot(3, decodeLayer(fullBytes), decodeLayer(applyChanges(null, fresh)));
  const live = time(() => LiveItems.of(model.artifact, snapshot), 1);
  const query = Float32Array.from({ length: dim }, () => rng.normal());
  const plain = LiveItems.of(model.artifact, null);
  const scoreBase = time(() => scoreAllVectors(model, plain, query, 0), 20);
  const scoreLive = time(() => scoreAllVectors(model, live.value, query, 0), 20);
  load.push(loadavg()[0]);

  const result = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, model: cpus()[0]?.model ?? '' },
    load,
    items: n,
    call,
    dim,
    layer_bytes: fullBytes.length,
    bytes_per_entry: fullBytes.length / n,
    delta_bytes: apply.value.length,
    apply_ms: apply.ms,
    compact_ms: compact.ms,
    compacted_bytes: compact.value.length,
    read_ms: read.ms,
    live_ms: live.ms,
    live_bytes: live.value.bytes,
    unseen: live.value.unseenCount,
    score_ms: scoreBase.ms,
    score_with_unseen_ms: scoreLive.ms,
  };
  const mib = (b: number) => (b / 1048576).toFixed(1);
  const md = [
    `Node ${process.version} on this machine (${cpus().length} x ${cpus()[0]?.model ?? ''}; load average ${load.map((l) => l.toFixed(1)).join(' to ')}), the code of the catalog route and of the recommendation routes; a seeded shop of ${n.toLocaleString('en')} items (70-character titles, shop links, a category, five tags each, one unique), calls of ${call.toLocaleString('en')} items; median of 3 runs (scoring: of 20). \`npm run bench:catalog\`.`,
    '',
    '| what | figure |',
    '| --- | ---: |',
    `| a layer of ${n.toLocaleString('en')} entries | ${mib(fullBytes.length)} MiB, ${fmt(result.bytes_per_entry, 0)} bytes per entry |`,
    `| a call of ${call.toLocaleString('en')} items into a delta of ${call.toLocaleString('en')} (merge and write the new delta, ${mib(apply.value.length)} MiB) | ${fmt(apply.ms, 0)} ms |`,
    `| a compaction: that delta into the base (${mib(compact.value.length)} MiB) | ${fmt(compact.ms, 0)} ms |`,
    `| an isolate reading a new version: decode and check both layers, merge their ids | ${fmt(read.ms, 0)} ms |`,
    `| the live view of a ${n.toLocaleString('en')}-item hybrid model (dim ${dim}) under that catalog plus ${call.toLocaleString('en')} new products: built once per model and version | ${fmt(live.ms, 0)} ms, ${mib(live.value.bytes)} MiB |`,
    `| scoring every item for one query (the artifact's items in the WebAssembly kernel, the new ones in the JavaScript int8 kernel): the model's ${n.toLocaleString('en')} items / with the ${live.value.unseenCount.toLocaleString('en')} new ones | ${fmt(scoreBase.ms, 2)} ms / ${fmt(scoreLive.ms, 2)} ms |`,
    '',
  ].join('\n');
  await mkdir(values.out, { recursive: true });
  await writeFile(join(values.out, `${values.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(values.out, `${values.name}.md`), md);
  console.log(md);
  if (!values['no-readme']) await updateReadme(values.name, md);
}

await main();
