import { exportModel, publish, sidecars } from '../api.js';
import { RULE_NAMES } from '../../core/storage/slots.js';
import { InputError } from '../data/errors.js';
import { checkSeller, checkSlot } from '../publish/publish.js';
import { readSlots, rollback, setServing } from '../publish/slots.js';
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
  summary: "upload an artifact as a new version of one of a seller's slots, verify it, then make it the slot's current version",
  usage: 'plusone publish --seller S --artifact FILE [--slot NAME] [--local | --remote] [--keep 5] [--no-serve] [--json]',
  options: {
    seller: { type: 'string', value: 'S', help: 'seller id', required: true },
    artifact: { type: 'string', value: 'FILE', help: 'artifact written by "plusone export"', required: true },
    slot: {
      type: 'string',
      value: 'NAME',
      help: 'the slot to publish into: 1-32 lowercase letters, digits or "-" (warp, bpr, ease, lookalike, …); default the model kind',
    },
    keep: { type: 'string', value: 'N', help: "versions of the slot to keep (older ones are deleted; the slot's current one always stays)", default: '5' },
    'no-serve': {
      type: 'boolean',
      help: 'leave the serving configuration as it is (by default a surface the kind serves that no slot serves yet gets this slot)',
    },
    ...storeOptions,
    json: { type: 'boolean', help: 'print one JSON line with the result' },
  },
};

/** `plusone publish`: the CLI over `publish()` in trainer/api.ts. */
export const publishCommand = command(publishSpec, async (values, io): Promise<number> => {
  const keep = numberOption(values, 'keep', { integer: true, min: 1 });
  if (typeof values.slot === 'string') checkSlot(values.slot);
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
        ...(typeof values.slot === 'string' ? { slot: values.slot } : {}),
        ...(values['no-serve'] ? { serve: 'none' as const } : {}),
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
  if (values.json) io.out(JSON.stringify({ seller: r.seller, ...pointer, pruned, served: r.served, warnings: r.warnings, store: r.store }));
  else
    io.out(
      `published ${r.seller} version ${pointer.version} into slot ${r.slot} (${pointer.model}, ${r.bytes} bytes) to ${r.store}${r.served.length ? `; it now serves ${r.served.join(', ')}` : ''}${pruned.length ? `; pruned ${pruned.join(', ')}` : ''}`,
    );
  return 0;
});

export const rollbackSpec: CommandSpec = {
  name: 'rollback',
  summary: "point one of a seller's slots back at an earlier version of it",
  usage: 'plusone rollback --seller S --slot NAME [--to VERSION] [--local | --remote] [--json]',
  options: {
    seller: { type: 'string', value: 'S', help: 'seller id', required: true },
    slot: {
      type: 'string',
      value: 'NAME',
      help: 'the slot (required once the seller has slots; without it a seller published before the slots rolls back its active pointer)',
    },
    to: { type: 'string', value: 'VERSION', help: "the version to go back to (default: the one before the slot's current one)" },
    ...storeOptions,
    json: { type: 'boolean', help: 'print one JSON line with the new pointer' },
  },
};

/** `plusone rollback`. */
export const rollbackCommand = command(rollbackSpec, async (values, io): Promise<number> => {
  const slot = typeof values.slot === 'string' ? values.slot : undefined;
  const pointer = await withStore(values, (store) =>
    rollback(store, values.seller as string, { ...(slot !== undefined ? { slot } : {}), ...(typeof values.to === 'string' ? { to: values.to } : {}) }),
  );
  if (values.json) io.out(JSON.stringify(pointer));
  else io.out(`${values.seller}: ${slot === undefined ? 'active version' : `slot ${slot} now at`} ${pointer.version} (was ${pointer.previous})`);
  return 0;
});

export const versionsSpec: CommandSpec = {
  name: 'versions',
  summary: "list a seller's slots, their versions and the serving configuration",
  usage: 'plusone versions --seller S [--slot NAME] [--local | --remote] [--json]',
  options: {
    seller: { type: 'string', value: 'S', help: 'seller id', required: true },
    slot: { type: 'string', value: 'NAME', help: 'only this slot' },
    ...storeOptions,
    json: { type: 'boolean', help: 'print one JSON line' },
  },
};

/** `plusone versions`. */
export const versionsCommand = command(versionsSpec, async (values, io): Promise<number> => {
  const seller = values.seller as string;
  checkSeller(seller);
  const { slots, serving, legacyActive, problems } = await withStore(values, (store) => readSlots(store, seller));
  for (const problem of problems) io.err(`warning: ${problem}`);
  const shown = typeof values.slot === 'string' ? slots.filter((s) => s.slot === values.slot) : slots;
  if (values.json) {
    io.out(JSON.stringify({ seller, slots: shown, serving, active: legacyActive?.version ?? null }));
    return 0;
  }
  if (shown.length === 0) io.out(`${seller}: no published versions${typeof values.slot === 'string' ? ` in slot ${values.slot}` : ''}`);
  for (const s of shown) {
    io.out(`slot ${s.slot} (${s.kind ?? 'empty'})${s.serves.length ? `, serves ${s.serves.join(', ')}` : ''}`);
    for (const v of s.versions)
      io.out(`  ${v.current ? '*' : ' '} ${v.version}  ${v.model.padEnd(10)} ${String(v.bytes).padStart(10)} bytes  ${v.customers} customers  ${v.published}`);
  }
  if (legacyActive !== null) io.out(`active pointer of before the slots (surfaces without a serving rule): ${legacyActive.version} (${legacyActive.model})`);
  return 0;
});

export const serveSpec: CommandSpec = {
  name: 'serve',
  summary: 'choose the slot (and fallback slot) that answers one surface of a seller',
  usage: 'plusone serve --seller S --surface basket|similar|for-you|new-items (--slot NAME [--fallback NAME] | --clear) [--local | --remote] [--json]',
  options: {
    seller: { type: 'string', value: 'S', help: 'seller id', required: true },
    surface: { type: 'string', value: 'NAME', help: `the surface: ${RULE_NAMES.join(', ')}`, required: true },
    slot: { type: 'string', value: 'NAME', help: 'the slot that answers it (non-empty, of a kind that serves the surface)' },
    fallback: { type: 'string', value: 'NAME', help: 'the slot that answers when the first cannot be loaded' },
    clear: { type: 'boolean', help: 'remove the rule of the surface' },
    ...storeOptions,
    json: { type: 'boolean', help: 'print one JSON line with the configuration' },
  },
};

/** `plusone serve`: one rule of the serving configuration, written as one value. */
export const serveCommand = command(serveSpec, async (values, io): Promise<number> => {
  const seller = values.seller as string;
  checkSeller(seller);
  const surface = choiceOption(values, 'surface', RULE_NAMES);
  if (values.clear && (values.slot !== undefined || values.fallback !== undefined)) throw new InputError('give --slot (and --fallback) or --clear, not both');
  if (!values.clear && typeof values.slot !== 'string') throw new InputError('--slot NAME is required (or --clear to remove the rule)');
  const rule = values.clear ? null : { slot: values.slot as string, fallback: typeof values.fallback === 'string' ? values.fallback : null };
  const config = await withStore(values, (store) => setServing(store, seller, { [surface]: rule }));
  if (values.json) io.out(JSON.stringify({ seller, ...config }));
  else
    for (const r of RULE_NAMES) {
      const x = config.surfaces[r];
      io.out(`${r.padEnd(10)} ${x ? `${x.slot}${x.fallback ? ` (fallback ${x.fallback})` : ''}` : '(no rule)'}`);
    }
  return 0;
});
