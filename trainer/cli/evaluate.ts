import { evaluate, evaluateArtifact, type ServedReport } from '../api.js';
import { InputError } from '../data/errors.js';
import { choiceOption, command, numberOption, type CommandSpec } from './args.js';
import { parseColumnsArg } from '../data/orders.js';
import { Progress } from './progress.js';

export const evaluateSpec: CommandSpec = {
  name: 'evaluate',
  summary:
    'an exported artifact as the edge serves it (--artifact: basket_hr, similar_hr, p, r, coverage at 10, the figures sellers see), or a trained model by its own scores (--model: p@k, r@k, auc, mrr, ndcg@k, basket_hr@k)',
  usage:
    'plusone evaluate --artifact F (--orders F [--columns SPEC] | --test F | --baskets F) [--json]\n       plusone evaluate --model DIR (--test F | --baskets F | both) [--train F] [--k 10] [--candidates all|test-only] [--json]',
  options: {
    artifact: { type: 'string', value: 'F', help: 'artifact written by "plusone export" (its F.customers.jsonl beside it): served figures' },
    orders: { type: 'string', value: 'F', help: "with --artifact: the holdout's order lines (order_id,customer_id,item_id,quantity[,unit_price][,timestamp])" },
    columns: { type: 'string', value: 'SPEC', help: 'header names of the --orders file, e.g. order_id=InvoiceNo,item_id=StockCode' },
    model: { type: 'string', value: 'DIR', help: 'model directory written by "plusone train": the model\'s own figures (train items left out of rankings)' },
    test: { type: 'string', value: 'F', help: 'held-out positives user_id,item_id: p@k, r@k, auc, mrr, ndcg@k (with --artifact: p@10, r@10)' },
    train: { type: 'string', value: 'F', help: "with --model: positives to leave out of each user's ranking (default: the model's training data)" },
    k: { type: 'string', value: 'N', help: 'with --model: cut-off of p@k, r@k, ndcg@k', default: '10' },
    candidates: { type: 'string', value: 'C', help: 'with --model: all ranks every item; test-only only items absent from train (cold start)', default: 'all' },
    baskets: { type: 'string', value: 'F', help: 'held-out orders basket_id,user_id,item_id: basket_hr (with --artifact also similar_hr)' },
    json: { type: 'boolean', help: 'print one JSON line with the metrics' },
  },
};

const NOT_SERVED = 'not served';

/** The served report as lines: a figure of a surface the model does not serve says so. */
function servedLines(r: ServedReport): string[] {
  const lines: string[] = [`model             ${r.model} (serves ${r.surfaces.join(', ')})`];
  const figure = (key: keyof ServedReport, surface: string, detail: string) => {
    const v = r[key];
    const text = !r.surfaces.includes(surface as never) ? NOT_SERVED : v === null ? `- (${detail})` : String(v);
    lines.push(`${String(key).padEnd(17)} ${text}`);
  };
  figure('basket_hr@10', 'basket', 'no held-out order of 2+ items');
  figure('similar_hr@10', 'similar', 'no held-out order of 2+ items');
  figure('p@10', 'for-you', 'no held-out customer');
  figure('r@10', 'for-you', 'no held-out customer');
  for (const key of ['coverage@10', 'fallback_share', 'basket_pairs', 'similar_pairs', 'customers', 'holdout_orders', 'holdout_customers', 'eval_s'] as const)
    lines.push(`${key.padEnd(17)} ${r[key] ?? '-'}`);
  return lines;
}

/** `plusone evaluate`: the CLI over `evaluate()` and `evaluateArtifact()` in trainer/api.ts. */
export const evaluateCommand = command(evaluateSpec, async (values, io): Promise<number> => {
  const json = Boolean(values.json);
  let progress: Progress | null = null;
  const onProgress = (task: string, done: number, total: number) => {
    progress ??= new Progress(task, total, { enabled: !json });
    progress.update(done);
  };
  const onWarning = (m: string) => io.err(`warning: ${m}`);
  const artifact = typeof values.artifact === 'string' ? values.artifact : undefined;
  const model = typeof values.model === 'string' ? values.model : undefined;
  if ((artifact === undefined) === (model === undefined))
    throw new InputError("give --artifact F (served figures) or --model DIR (the model's own figures), one of them");
  if (artifact !== undefined) {
    for (const flag of ['train', 'candidates'] as const)
      if (values[flag] !== undefined && values[flag] !== evaluateSpec.options[flag].default)
        throw new InputError(`--${flag} is for --model; an artifact is evaluated as served`);
    if (values.columns !== undefined && values.orders === undefined)
      throw new InputError('--columns maps the headers of an --orders file; use it with --orders');
    const result = await evaluateArtifact({
      artifact,
      ...(typeof values.orders === 'string' ? { orders: values.orders } : {}),
      ...(typeof values.columns === 'string' ? { columns: parseColumnsArg(values.columns) } : {}),
      ...(typeof values.test === 'string' ? { test: values.test } : {}),
      ...(typeof values.baskets === 'string' ? { baskets: values.baskets } : {}),
      onWarning,
      onProgress,
    });
    (progress as Progress | null)?.done();
    if (json) io.out(JSON.stringify(result));
    else for (const line of servedLines(result)) io.out(line);
    return 0;
  }
  if (values.orders !== undefined) throw new InputError('--orders is for --artifact; a model directory is evaluated on --test and/or --baskets');
  const result = await evaluate({
    model: model!,
    ...(typeof values.test === 'string' ? { test: values.test } : {}),
    ...(typeof values.train === 'string' ? { train: values.train } : {}),
    k: numberOption(values, 'k', { integer: true, min: 1 }),
    candidates: choiceOption(values, 'candidates', ['all', 'test-only'] as const),
    ...(typeof values.baskets === 'string' ? { baskets: values.baskets } : {}),
    onWarning,
    onProgress,
  });
  (progress as Progress | null)?.done();
  if (json) io.out(JSON.stringify(result));
  else for (const [key, v] of Object.entries(result)) io.out(`${key.padEnd(14)} ${v}`);
  return 0;
});
