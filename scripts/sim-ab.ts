/**
 * Simulation: do the A/B statistics (core/stats/stats.ts) hold their error rates?
 * Runs seeded A/A and A/B experiments: base conversion 10%, 28 days of traffic with the
 * visitors spread evenly over the days, one look per day. For each it records whether the
 * end-of-test two-proportion z-test rejects at alpha, and whether the always-valid mSPRT
 * p-value drops to alpha at any daily look (stopping there). Also shown, for contrast: the
 * naive z-test looked at every day. Prints a table; writes benchmarks/ab-sim.json.
 * Bars: A/A rejection <= 6% for both tests; A/B (+10% relative) detection: z-test >= 80%,
 * sequential >= 60%.
 *
 *   npx tsx scripts/sim-ab.ts [--runs 200] [--seed 1] [--tau 0.025] [--visitors 20000] [--out DIR]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MSPRT_TAU, mixtureSprtPValue, twoProportionZTest, type SequentialSnapshot } from '../core/stats/stats.js';
import { Random } from '../trainer/util/random.js';
import { projectRoot, updateReadme } from './bench-common.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    tau: { type: 'string', default: String(DEFAULT_MSPRT_TAU) },
    visitors: { type: 'string', default: '20000' },
    days: { type: 'string', default: '28' },
    alpha: { type: 'string', default: '0.05' },
    out: { type: 'string', default: join(projectRoot(), 'benchmarks') },
  },
});

const runs = positiveInt('runs', values.runs);
const visitorsPerArm = positiveInt('visitors', values.visitors);
const days = positiveInt('days', values.days);
const seed = Number(values.seed);
const tau = Number(values.tau);
const alpha = Number(values.alpha);
if (!(tau > 0)) throw new RangeError(`--tau must be > 0, got ${values.tau}`);
if (!(alpha > 0 && alpha < 1)) throw new RangeError(`--alpha must be in (0, 1), got ${values.alpha}`);
const BASE = 0.1;
const LIFT = 0.1; // relative: 10% → 11%

function positiveInt(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, got ${text}`);
  return n;
}

interface RunOutcome {
  zEnd: boolean;
  zDailyPeek: boolean;
  sequential: boolean;
  /** Day the sequential test first reached alpha, or null. */
  sequentialDay: number | null;
}

/** Visitors arriving on day d (1-based), so that the 28 days add up to exactly `total`. */
function visitorsOnDay(total: number, d: number): number {
  return Math.floor((total * d) / days) - Math.floor((total * (d - 1)) / days);
}

function simulateRun(rng: Random, rateA: number, rateB: number): RunOutcome {
  let xa = 0;
  let xb = 0;
  let n = 0;
  let zDailyPeek = false;
  const snapshots: SequentialSnapshot[] = [];
  for (let d = 1; d <= days; d++) {
    const today = visitorsOnDay(visitorsPerArm, d);
    for (let i = 0; i < today; i++) {
      if (rng.next() < rateA) xa++;
      if (rng.next() < rateB) xb++;
    }
    n += today;
    snapshots.push({ a: { successes: xa, n }, b: { successes: xb, n } });
    if (twoProportionZTest(xa, n, xb, n).pValue <= alpha) zDailyPeek = true;
  }
  const seq = mixtureSprtPValue(snapshots, { tau });
  const first = seq.findIndex((p) => p <= alpha);
  return {
    zEnd: twoProportionZTest(xa, n, xb, n).pValue <= alpha,
    zDailyPeek,
    sequential: first >= 0,
    sequentialDay: first >= 0 ? first + 1 : null,
  };
}

function scenario(name: string, rateB: number, scenarioSeed: number) {
  const rng = new Random(scenarioSeed);
  const outcomes: RunOutcome[] = [];
  for (let r = 0; r < runs; r++) outcomes.push(simulateRun(rng, BASE, rateB));
  const rate = (f: (o: RunOutcome) => boolean) => outcomes.filter(f).length / runs;
  const stopDays = outcomes.flatMap((o) => (o.sequentialDay === null ? [] : [o.sequentialDay])).sort((a, b) => a - b);
  return {
    name,
    rateA: BASE,
    rateB,
    zTestEnd: rate((o) => o.zEnd),
    sequentialDaily: rate((o) => o.sequential),
    zTestDailyPeek: rate((o) => o.zDailyPeek),
    sequentialMedianStopDay: stopDays.length ? stopDays[Math.floor(stopDays.length / 2)] : null,
  };
}

const started = performance.now();
const aa = scenario('A/A', BASE, seed);
const ab = scenario('A/B +10%', BASE * (1 + LIFT), seed + 1);
const seconds = (performance.now() - started) / 1000;

const bars = {
  aaZTestMax: 0.06,
  aaSequentialMax: 0.06,
  abZTestMin: 0.8,
  abSequentialMin: 0.6,
};
const pass = {
  aaZTest: aa.zTestEnd <= bars.aaZTestMax,
  aaSequential: aa.sequentialDaily <= bars.aaSequentialMax,
  abZTest: ab.zTestEnd >= bars.abZTestMin,
  abSequential: ab.sequentialDaily >= bars.abSequentialMin,
};

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(
  `A/B simulation: ${runs} runs per scenario, ${visitorsPerArm} visitors per arm over ${days} days, daily looks, alpha ${alpha}, mSPRT tau ${tau} (x pooled sd), seed ${seed}`,
);
console.log('');
console.log('| scenario  | z-test at end | mSPRT, daily looks | (naive z-test, daily looks) | mSPRT median stop day |');
console.log('|-----------|---------------|--------------------|-----------------------------|-----------------------|');
for (const s of [aa, ab]) {
  console.log(
    `| ${s.name.padEnd(9)} | ${pct(s.zTestEnd).padStart(13)} | ${pct(s.sequentialDaily).padStart(18)} | ${pct(s.zTestDailyPeek).padStart(27)} | ${String(s.sequentialMedianStopDay ?? '-').padStart(21)} |`,
  );
}
console.log('');
console.log(
  `bars: A/A z-test <= 6% ${pass.aaZTest ? 'ok' : 'MISSED'}; A/A mSPRT <= 6% ${pass.aaSequential ? 'ok' : 'MISSED'}; A/B z-test >= 80% ${pass.abZTest ? 'ok' : 'MISSED'}; A/B mSPRT >= 60% ${pass.abSequential ? 'ok' : 'MISSED'}`,
);
console.log(`(${seconds.toFixed(1)} s)`);

const outDir = resolve(values.out);
await mkdir(outDir, { recursive: true });
const result = {
  description: 'A/A and A/B simulations of the end-of-test z-test and the mSPRT always-valid p-value looked at daily (scripts/sim-ab.ts)',
  config: { runs, seed, visitorsPerArm, days, alpha, baseRate: BASE, relativeLift: LIFT, tau, tauUnits: 'pooled per-visitor standard deviation' },
  results: [aa, ab],
  bars,
  pass,
  seconds: Number(seconds.toFixed(2)),
};
await writeFile(join(outDir, 'ab-sim.json'), JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${join(outDir, 'ab-sim.json')}`);
const readmeTable = [
  `${runs} simulated experiments per scenario, ${visitorsPerArm.toLocaleString('en')} visitors per arm over ${days} days, base conversion ${pct(BASE)}, alpha ${alpha}, one look per day (\`npm run bench:ab\`, seed ${seed}).`,
  '',
  '| scenario | rejects: z-test at the end | rejects: mSPRT looked at daily | naive z-test looked at daily | bar |',
  '| --- | ---: | ---: | ---: | --- |',
  `| A/A (no difference) | ${pct(aa.zTestEnd)} | ${pct(aa.sequentialDaily)} | ${pct(aa.zTestDailyPeek)} | both at most 6% ${pass.aaZTest && pass.aaSequential ? '✓' : '✗'} |`,
  `| A/B (${pct(BASE)} → ${pct(BASE * (1 + LIFT))}) | ${pct(ab.zTestEnd)} | ${pct(ab.sequentialDaily)} | ${pct(ab.zTestDailyPeek)} | z-test at least 80% ${pass.abZTest ? '✓' : '✗'}, mSPRT at least 60% ${pass.abSequential ? '✓' : '✗'} |`,
  '',
];
await updateReadme('ab-sim', readmeTable.join('\n'));
