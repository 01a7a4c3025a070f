import { exportModel, publish, sidecars } from '../api.js';
import { readVersions, rollback } from '../publish/publish.js';
import { choiceOption, command, numberOption, type CommandSpec } from './args.js';
import { Progress } from './progress.js';
import { storeOptions, withStore } from './store-options.js';

export const exportSpec: CommandSpec = {
  name: 'export',
  summary: 'turn a trained model into the compact artifact the edge serves',
  usage: 'plusone export --model DIR [--catalog F] --out FILE [--quantize int8|f16|f32] [--top-n 50] [--json]',
  options: {
    model: { type: 'string', value: 'DIR', help: 'model directory written by "plusone train"', required: true },
    catalog: { type: 'string', value: 'F', help: 'catalog CSV item_id,title,url,image,price,category,in_stock' },
    out: { type: 'string', value: 'FILE', help: 'artifact file to write (per-customer records go to FILE.customers.jsonl)', required: true },
    quantize: { type: 'string', value: 'Q', help: 'item vectors and neighbour weights: int8, f16 or f32', default: 'int8' },
    'top-n': { type: 'string', value: 'N', help: 'length of the precomputed per-customer lists (neighbourhood models)', default: '50' },
    json: { type: 'boolean', help: 'print one JSON line with the figures' },
  },
};

/** `plusone export`: the CLI over `exportModel()` in trainer/api.ts. */
export const exportCommand = command(exportSpec, async (values, io): Promise<number> => {
  const out = values.out as string;
  const r = await exportModel({
    model: values.model as string,
    out,
    quantize: choiceOption(values, 'quantize', ['int8', 'f16', 'f32'] as const),
    topN: numberOption(values, 'top-n', { integer: true, min: 1, max: 1000 }),
    ...(typeof values.catalog === 'string' ? { catalog: values.catalog } : {}),
    onWarning: (m) => io.err(`warning: ${m}`),
  });
  if (values.json) io.out(JSON.stringify(r));
  else
    io.out(
      `wrote ${out}: ${r.model}, ${r.items} items, ${r.artifact_bytes} bytes (${r.quantize}); ${r.customers} customer records in ${sidecars(out).customers}`,
    );
  return 0;
});

export const publishSpec: CommandSpec = {
  name: 'publish',
  summary: "upload an artifact as a seller's new model version, verify it, then make it active",
  usage: 'plusone publish --seller S --artifact FILE [--local | --remote] [--keep 5] [--json]',
  options: {
    seller: { type: 'string', value: 'S', help: 'seller id', required: true },
    artifact: { type: 'string', value: 'FILE', help: 'artifact written by "plusone export"', required: true },
    keep: { type: 'string', value: 'N', help: 'versions to keep (older ones are deleted; the active one always stays)', default: '5' },
    ...storeOptions,
    json: { type: 'boolean', help: 'print one JSON line with the result' },
  },
};

/** `plusone publish`: the CLI over `publish()` in trainer/api.ts. */
export const publishCommand = command(publishSpec, async (values, io): Promise<number> => {
  const keep = numberOption(values, 'keep', { integer: true, min: 1 });
  // A bar on a terminal; the log's progress lines (records/total, rate, time left) elsewhere.
  const terminal = !values.json && Boolean(process.stderr.isTTY);
  let bar: Progress | null = null;
  const r = await withStore(
    values,
    (store) =>
      publish({
        store,
        seller: values.seller as string,
        artifact: values.artifact as string,
        keep,
        log: (m: string) => {
          if (values.json || (terminal && /^shards \d+\/\d+/.test(m))) return;
          io.err(m);
        },
        onProgress: (p) => {
          if (!terminal) return;
          bar ??= new Progress('customer records', p.total);
          bar.update(p.done, `${Math.round(p.rate)}/s`);
          if (p.done === p.total) bar.done();
        },
      }),
    { stage: true, log: (m) => io.err(m) },
  );
  const { pointer, pruned } = r;
  if (values.json) io.out(JSON.stringify({ seller: r.seller, ...pointer, pruned, store: r.store }));
  else
    io.out(
      `published ${r.seller} version ${pointer.version} (${pointer.model}, ${r.bytes} bytes) to ${r.store}${pruned.length ? `; pruned ${pruned.join(', ')}` : ''}`,
    );
  return 0;
});

export const rollbackSpec: CommandSpec = {
  name: 'rollback',
  summary: 'point a seller back at an earlier model version',
  usage: 'plusone rollback --seller S [--to VERSION] [--local | --remote] [--json]',
  options: {
    seller: { type: 'string', value: 'S', help: 'seller id', required: true },
    to: { type: 'string', value: 'VERSION', help: 'the version to activate (default: the one before the active one)' },
    ...storeOptions,
    json: { type: 'boolean', help: 'print one JSON line with the new pointer' },
  },
};

/** `plusone rollback`. */
export const rollbackCommand = command(rollbackSpec, async (values, io): Promise<number> => {
  const pointer = await withStore(values, (store) => rollback(store, values.seller as string, values.to as string | undefined));
  if (values.json) io.out(JSON.stringify(pointer));
  else io.out(`${values.seller}: active version ${pointer.version} (was ${pointer.previous})`);
  return 0;
});

export const versionsSpec: CommandSpec = {
  name: 'versions',
  summary: "list a seller's published model versions",
  usage: 'plusone versions --seller S [--local | --remote] [--json]',
  options: {
    seller: { type: 'string', value: 'S', help: 'seller id', required: true },
    ...storeOptions,
    json: { type: 'boolean', help: 'print one JSON line' },
  },
};

/** `plusone versions`. */
export const versionsCommand = command(versionsSpec, async (values, io): Promise<number> => {
  const { active, versions } = await withStore(values, (store) => readVersions(store, values.seller as string));
  if (values.json) {
    io.out(JSON.stringify({ seller: values.seller, active: active?.version ?? null, versions }));
    return 0;
  }
  if (versions.length === 0) io.out(`${values.seller}: no published versions`);
  for (const v of versions)
    io.out(
      `${v.version === active?.version ? '*' : ' '} ${v.version}  ${v.model.padEnd(10)} ${String(v.bytes).padStart(10)} bytes  ${v.customers} customers  ${v.published}`,
    );
  return 0;
});
