import { availableParallelism } from 'node:os';
import { train } from '../api.js';
import { InputError } from '../data/errors.js';
import { parseColumnsArg } from '../data/orders.js';
import { NO_REPEATS, type FlagDoc, type RepeatSettings } from '../models/kind.js';
import { MODEL_KIND_NAMES, MODEL_KINDS, modelKind } from '../models/registry.js';
import { command, numberOption, type CommandSpec, type OptionSpec } from './args.js';
import type { Io } from './io.js';
import { Progress } from './progress.js';

/**
 * The hyperparameter flags of every kind (a flag two kinds share, like --neighbors, once),
 * with their defaults from each kind's default preset.
 */
function kindOptions(): Record<string, OptionSpec> {
  const options: Record<string, OptionSpec> = {};
  for (const kind of MODEL_KINDS) {
    const defaults = kind.params.parse(kind.presets.default) as Record<string, unknown>;
    for (const [key, doc] of Object.entries(kind.flags as Record<string, FlagDoc>)) {
      if (options[doc.flag]) continue;
      options[doc.flag] = { type: 'string', value: doc.value, help: doc.help, default: String(defaults[key]) };
    }
  }
  return options;
}

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'train a recommendation model on interactions or orders',
  usage: `plusone train (--train F | --orders F [--columns SPEC]) --model ${MODEL_KIND_NAMES.join('|')} [--preset NAME] [options] --out DIR [--json]`,
  options: {
    train: { type: 'string', value: 'F', help: 'interactions CSV: user_id,item_id[,weight][,timestamp] (gzip ok)' },
    orders: { type: 'string', value: 'F', help: 'orders CSV: order_id,customer_id,item_id,quantity,unit_price,timestamp (instead of --train)' },
    columns: { type: 'string', value: 'SPEC', help: 'header names of the orders file, e.g. order_id=InvoiceNo,item_id=StockCode' },
    'item-features': { type: 'string', value: 'F', help: 'item features CSV, long format id,feature[,weight]' },
    'user-features': { type: 'string', value: 'F', help: 'user features CSV, long format id,feature[,weight]' },
    'no-item-identity': { type: 'boolean', help: 'items only have their listed features (cold-start "content" model)' },
    'no-user-identity': { type: 'boolean', help: 'users only have their listed features' },
    model: { type: 'string', value: 'TYPE', help: `model type: ${MODEL_KINDS.map((k) => `${k.name} (${k.summary})`).join('; ')}`, default: 'lightfm' },
    preset: { type: 'string', value: 'NAME', help: "named settings of the model (see each kind's presets); flags override them", default: 'default' },
    ...kindOptions(),
    'half-life-days': { type: 'string', value: 'D', help: 'weigh each interaction by 0.5^(age / D days), age from the latest timestamp (needs timestamps)' },
    threads: {
      type: 'string',
      value: 'N',
      help: 'training threads (hybrid MF: Hogwild, 1 gives byte-identical runs; item-knn ease-approx: its regressions, the same result on any number)',
      default: '2',
    },
    strict: { type: 'boolean', help: 'a malformed input row is fatal instead of skipped' },
    repeats: {
      type: 'string',
      value: 'S',
      help: 'surfaces that may offer a known customer what they bought before: none, basket, for-you or basket,for-you (the others leave those items out, as the cart is)',
      default: 'none',
    },
    out: { type: 'string', value: 'DIR', help: 'output model directory', required: true },
    json: { type: 'boolean', help: 'print one JSON line with the figures, nothing else on stdout' },
  },
};

/** `--repeats none|basket|for-you|basket,for-you`. */
export function parseRepeats(text: string): RepeatSettings {
  const out = { ...NO_REPEATS };
  if (text.trim() === 'none') return out;
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part !== 'basket' && part !== 'for-you') throw new InputError(`--repeats must be none, basket, for-you or basket,for-you, got "${text}"`);
    out[part] = true;
  }
  return out;
}

/** The flags given on the command line (not filled from defaults). */
function given(argv: string[]): Set<string> {
  const flags = new Set<string>();
  for (const a of argv) if (a.startsWith('--')) flags.add(a.slice(2).split('=')[0]);
  return flags;
}

/** `plusone train`: the CLI over `train()` in trainer/api.ts. */
export function trainCommand(argv: string[], io: Io): Promise<number> {
  const explicit = given(argv);
  return command(trainSpec, async (values, io): Promise<number> => {
    const json = Boolean(values.json);
    const kind = modelKind(String(values.model));
    // Hyperparameters: the flags given for this kind; the preset fills the rest. A flag of
    // another kind only is not an error (scripts pass common sets), but it is said.
    const params: Record<string, unknown> = {};
    const mine = new Set<string>();
    for (const [key, doc] of Object.entries(kind.flags as Record<string, FlagDoc>)) {
      mine.add(doc.flag);
      if (explicit.has(doc.flag)) params[key] = values[doc.flag];
    }
    const others = new Set(MODEL_KINDS.flatMap((k) => Object.values(k.flags as Record<string, FlagDoc>).map((d) => d.flag)));
    for (const flag of explicit) if (others.has(flag) && !mine.has(flag)) io.err(`warning: --${flag} is not an option of --model ${kind.name}; ignored`);
    const threads = numberOption(values, 'threads', { integer: true, min: 1, max: Math.max(64, availableParallelism()) });
    const train_ = values.train as string | undefined;
    const orders = values.orders as string | undefined;
    if (train_ && orders) throw new InputError('give either --train or --orders, not both');
    if (!train_ && !orders) throw new InputError('--train F or --orders F is required. See "plusone train --help".');
    if (values.columns !== undefined && !orders) throw new InputError('--columns maps the headers of an --orders file; use it with --orders');
    const halfLife = typeof values['half-life-days'] === 'string' ? numberOption(values, 'half-life-days', { exclusiveMin: 0 }) : undefined;
    let progress: Progress | null = null;
    const out = values.out as string;
    const report = await train({
      input: train_
        ? { interactions: train_ }
        : { orders: orders!, ...(typeof values.columns === 'string' ? { columns: parseColumnsArg(values.columns) } : {}) },
      model: kind,
      preset: String(values.preset),
      params,
      flagNames: true,
      ...(typeof values['item-features'] === 'string' ? { itemFeatures: values['item-features'] } : {}),
      ...(typeof values['user-features'] === 'string' ? { userFeatures: values['user-features'] } : {}),
      itemIdentity: !values['no-item-identity'],
      userIdentity: !values['no-user-identity'],
      ...(halfLife !== undefined ? { halfLifeDays: halfLife } : {}),
      threads,
      strict: Boolean(values.strict),
      repeats: parseRepeats(String(values.repeats)),
      out,
      onWarning: (m) => io.err(`warning: ${m}`),
      log: json ? undefined : (line) => io.out(line),
      onProgress: json
        ? undefined
        : (task, done, total, note) => {
            progress ??= new Progress(task, total);
            progress.update(done, note);
          },
    });
    (progress as Progress | null)?.done();
    if (json) io.out(JSON.stringify(report));
    else io.out(`trained ${report.model} in ${report.fit_s} s; saved to ${out}`);
    return 0;
  })(argv, io);
}
