import { evaluate } from '../api.js';
import { choiceOption, command, numberOption, type CommandSpec } from './args.js';
import { Progress } from './progress.js';

export const evaluateSpec: CommandSpec = {
  name: 'evaluate',
  summary: 'rank held-out interactions (p@k, r@k, auc, mrr, ndcg@k) and/or complete held-out baskets (basket_hr@k) with a trained model',
  usage: 'plusone evaluate --model DIR (--test F | --baskets F | both) [--train F] [--k 10] [--candidates all|test-only] [--json]',
  options: {
    model: { type: 'string', value: 'DIR', help: 'model directory written by "plusone train"', required: true },
    test: { type: 'string', value: 'F', help: 'held-out positives user_id,item_id: p@k, r@k, auc, mrr, ndcg@k' },
    train: { type: 'string', value: 'F', help: "positives to leave out of each user's ranking (default: the model's training data)" },
    k: { type: 'string', value: 'N', help: 'cut-off of p@k, r@k, ndcg@k', default: '10' },
    candidates: { type: 'string', value: 'C', help: 'all: rank every item; test-only: only items absent from train (cold start)', default: 'all' },
    baskets: { type: 'string', value: 'F', help: 'held-out orders basket_id,user_id,item_id: adds basket_hr@k' },
    json: { type: 'boolean', help: 'print one JSON line with the metrics' },
  },
};

/** `plusone evaluate`: the CLI over `evaluate()` in trainer/api.ts. */
export const evaluateCommand = command(evaluateSpec, async (values, io): Promise<number> => {
  const json = Boolean(values.json);
  let progress: Progress | null = null;
  const result = await evaluate({
    model: values.model as string,
    ...(typeof values.test === 'string' ? { test: values.test } : {}),
    ...(typeof values.train === 'string' ? { train: values.train } : {}),
    k: numberOption(values, 'k', { integer: true, min: 1 }),
    candidates: choiceOption(values, 'candidates', ['all', 'test-only'] as const),
    ...(typeof values.baskets === 'string' ? { baskets: values.baskets } : {}),
    onWarning: (m) => io.err(`warning: ${m}`),
    onProgress: (task, done, total) => {
      progress ??= new Progress(task, total, { enabled: !json });
      progress.update(done);
    },
  });
  (progress as Progress | null)?.done();
  if (json) io.out(JSON.stringify(result));
  else for (const [key, v] of Object.entries(result)) io.out(`${key.padEnd(14)} ${v}`);
  return 0;
});
