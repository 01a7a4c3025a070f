import { availableParallelism } from 'node:os';
import { tune } from '../api.js';
import { InputError } from '../data/errors.js';
import { parseColumnsArg } from '../data/orders.js';
import { DEFAULT_BUDGET_MB, TUNE_SURFACES, type TuneReport } from '../tune/tune.js';
import { choiceOption, command, numberOption, type CommandSpec } from './args.js';

export const tuneSpec: CommandSpec = {
  name: 'tune',
  summary: 'choose the model of one surface by validation (a split carved out of the training data), refit it on all of it',
  usage:
    'plusone tune (--train F | --orders F [--columns SPEC]) [--item-features F] --surface basket|for-you --out DIR [--budget-mb N] [--seed N] [--threads N] [--json]',
  options: {
    train: { type: 'string', value: 'F', help: 'interactions CSV: user_id,item_id[,weight][,timestamp] (for-you only: a basket is an order)' },
    orders: { type: 'string', value: 'F', help: 'orders CSV: order_id,customer_id,item_id,quantity,unit_price,timestamp' },
    columns: { type: 'string', value: 'SPEC', help: 'header names of the orders file, e.g. order_id=InvoiceNo,item_id=StockCode' },
    'item-features': { type: 'string', value: 'F', help: 'item features CSV, long format id,feature[,weight] (hybrid MF uses them)' },
    surface: { type: 'string', value: 'S', help: `the surface to choose for: ${TUNE_SURFACES.join(' or ')}`, required: true },
    'budget-mb': {
      type: 'string',
      value: 'N',
      help: "size budget of the artifact's neighbour section (item-item), MB: bounds the neighbours per item; a fifth of the edge's MODEL_CACHE_MB by default",
      default: String(DEFAULT_BUDGET_MB),
    },
    seed: { type: 'string', value: 'N', help: 'seed of the validation split and of hybrid MF', default: '42' },
    threads: { type: 'string', value: 'N', help: 'threads of the approximate EASE regressions (the choice does not depend on it)', default: '2' },
    strict: { type: 'boolean', help: 'a malformed input row is fatal instead of skipped' },
    out: { type: 'string', value: 'DIR', help: 'the model directory to write, with tune.json (every candidate and its validation figure)', required: true },
    json: { type: 'boolean', help: 'end with one JSON line {"surface","model","params","repeats","validation","fit_s",...} on stdout' },
  },
};

/** The lines that say what was chosen. */
function choiceLines(r: TuneReport): string[] {
  const v = r.validation;
  const split =
    v.method === 'time' ? `orders from ${v.cut} on` : v.method === 'random-orders' ? 'a seeded 20% of the orders' : "a seeded 20% of each customer's items";
  const repeats = Object.entries(r.repeats)
    .filter(([, on]) => on)
    .map(([s]) => s);
  return [
    `surface     ${r.surface}`,
    `model       ${r.model} ${JSON.stringify(r.params)}`,
    `repeats     ${repeats.length > 0 ? repeats.join(', ') : 'none'} (what a customer bought before ${repeats.includes(r.surface) ? 'may be' : 'is not'} offered again on ${r.surface})`,
    `validation  ${v.figure} ${v.value ?? '–'} served (int8) on ${split}: ${v.baskets} baskets, ${v.customers} customers`,
    `candidates  ${r.candidates.length}${r.skipped.length > 0 ? `; left out: ${r.skipped.join('; ')}` : ''}`,
    `refit       ${r.fit_s} s on all ${r.source}; search and refit ${r.tune_s} s`,
    `wrote       ${r.out} (the card: ${r.out}/tune.json)`,
  ];
}

/** `plusone tune`: the CLI over `tune()` in trainer/api.ts. Progress on stderr, the choice on stdout. */
export const tuneCommand = command(tuneSpec, async (values, io): Promise<number> => {
  const json = Boolean(values.json);
  const train = values.train as string | undefined;
  const orders = values.orders as string | undefined;
  if (train && orders) throw new InputError('give either --train or --orders, not both');
  if (!train && !orders) throw new InputError('--train F or --orders F is required. See "plusone tune --help".');
  if (values.columns !== undefined && !orders) throw new InputError('--columns maps the headers of an --orders file; use it with --orders');
  const report = await tune({
    input: train ? { interactions: train } : { orders: orders!, ...(typeof values.columns === 'string' ? { columns: parseColumnsArg(values.columns) } : {}) },
    ...(typeof values['item-features'] === 'string' ? { itemFeatures: values['item-features'] } : {}),
    surface: choiceOption(values, 'surface', TUNE_SURFACES),
    out: values.out as string,
    budgetMb: numberOption(values, 'budget-mb', { exclusiveMin: 0 }),
    seed: numberOption(values, 'seed', { integer: true, min: 0 }),
    threads: numberOption(values, 'threads', { integer: true, min: 1, max: Math.max(64, availableParallelism()) }),
    strict: Boolean(values.strict),
    onWarning: (m) => io.err(`warning: ${m}`),
    log: (line) => io.err(line),
  });
  if (json) {
    const { surface, model, params, repeats, validation, fit_s, tune_s, budget_mb, out } = report;
    io.out(JSON.stringify({ surface, model, params, repeats, validation, fit_s, tune_s, budget_mb, candidates: report.candidates.length, out }));
  } else {
    for (const line of choiceLines(report)) io.out(line);
  }
  return 0;
});
