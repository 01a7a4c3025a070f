/**
 * The seed-for-seed comparison of `bench:lightfm`: our runs against LightFM itself run on this
 * machine with the same seeds (benchmarks/lightfm-reference.json, written by
 * scripts/reference/lightfm_reference.py). anchors.json holds a single LightFM run per cell,
 * which cannot tell a real gap from seed noise where a metric is at noise level; a mean and
 * a spread over the same seeds on both sides can.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fmt, mean, sd } from './bench-common.js';

/** The reference file: LightFM runs, one per (dataset, variant, loss, seed). */
export interface Reference {
  lightfm: string;
  runs: { dataset: string; variant: string; loss: string; seed: number; 'p@10': number; auc: number }[];
}

/** One of our runs, as far as the comparison needs it. */
export interface OurRun {
  dataset: string;
  variant: string;
  loss: string;
  seed: number;
  p10: number;
  auc: number;
}

export interface Spread {
  mean: number;
  sd: number;
}

export interface SameSeedsRow {
  dataset: string;
  variant: string;
  loss: string;
  seeds: number;
  ours: { 'p@10': Spread; auc: Spread };
  lightfm: { 'p@10': Spread; auc: Spread };
}

/** Reads the reference file; null when there is none. */
export async function readReference(path: string): Promise<Reference | null> {
  if (!existsSync(path)) return null;
  const ref = JSON.parse(await readFile(path, 'utf8')) as Partial<Reference>;
  if (!Array.isArray(ref.runs)) {
    throw new Error(`${path}: no "runs" array; write it again with scripts/reference/lightfm_reference.py`);
  }
  return { lightfm: ref.lightfm ?? 'unknown', runs: ref.runs };
}

/**
 * One row per cell of `runs` (in their order) that LightFM was run on with every one of
 * `seeds`; cells the reference lacks a seed of are left out.
 */
export function compareSeedBySeed(runs: OurRun[], reference: Reference, seeds: number[]): SameSeedsRow[] {
  const spread = (xs: number[]): Spread => ({ mean: mean(xs), sd: sd(xs) });
  const cellOf = (r: { dataset: string; variant: string; loss: string }) => `${r.dataset}/${r.variant}/${r.loss}`;
  const rows: SameSeedsRow[] = [];
  for (const cell of new Set(runs.map(cellOf))) {
    const ours = runs.filter((r) => cellOf(r) === cell && seeds.includes(r.seed));
    const theirs = seeds.map((seed) => reference.runs.find((r) => cellOf(r) === cell && r.seed === seed));
    if (ours.length !== seeds.length || theirs.some((r) => r === undefined)) continue;
    const lf = theirs as Reference['runs'];
    rows.push({
      dataset: ours[0].dataset,
      variant: ours[0].variant,
      loss: ours[0].loss,
      seeds: seeds.length,
      ours: { 'p@10': spread(ours.map((r) => r.p10)), auc: spread(ours.map((r) => r.auc)) },
      lightfm: { 'p@10': spread(lf.map((r) => r['p@10'])), auc: spread(lf.map((r) => r.auc)) },
    });
  }
  return rows;
}

/**
 * Welch's t of mean(a) - mean(b), both over n runs. NaN (a dash in the table) when the means
 * agree to the four digits shown, or neither side varies: a t over a difference nobody can
 * see only misleads.
 */
export function welchT(a: Spread, b: Spread, n: number): number {
  const se = Math.sqrt((a.sd * a.sd + b.sd * b.sd) / n);
  return se > 0 && fmt(a.mean) !== fmt(b.mean) ? (a.mean - b.mean) / se : Number.NaN;
}

/** Parses "1,2,3", "1-30" or "1-3,42" into a list of seeds. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new Error(`--seeds: cannot read "${part}"; write seeds as 1,2,3 or a range 1-30`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new Error(`--seeds: range "${part}" runs backwards`);
    for (let s = from; s <= to; s++) seeds.push(s);
  }
  return seeds;
}

/** "1-3, 7, 42": seeds with consecutive runs folded. */
export function formatSeeds(seeds: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < seeds.length; ) {
    let j = i;
    while (j + 1 < seeds.length && seeds[j + 1] === seeds[j] + 1) j++;
    parts.push(j - i >= 2 ? `${seeds[i]}-${seeds[j]}` : seeds.slice(i, j + 1).join(', '));
    i = j + 1;
  }
  return parts.join(', ');
}

/** The Markdown table of the comparison; empty when there is nothing to compare. */
export function renderSameSeeds(rows: SameSeedsRow[], reference: Reference | null, seeds: number[]): string {
  if (!reference || rows.length === 0) return '';
  const cell = (x: Spread) => `${fmt(x.mean)} ± ${fmt(x.sd)}`;
  const lines = [
    '',
    `LightFM ${reference.lightfm} run on this machine with the same seeds (${formatSeeds(seeds)}) by ` +
      '`scripts/reference/lightfm_reference.py` (metrics with the same semantics, from its own representations); ' +
      "mean ± standard deviation over seeds; t: Welch's t of the p@10 difference (ours - LightFM; – where the means agree to 4 digits).",
    '',
    '| dataset | variant | loss | p@10 | LightFM | ratio | t | AUC | LightFM | ratio |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.dataset} | ${r.variant} | ${r.loss} | ${cell(r.ours['p@10'])} | ${cell(r.lightfm['p@10'])} | ` +
        `${fmt(r.ours['p@10'].mean / r.lightfm['p@10'].mean, 3)} | ${fmt(welchT(r.ours['p@10'], r.lightfm['p@10'], r.seeds), 2)} | ` +
        `${cell(r.ours.auc)} | ${cell(r.lightfm.auc)} | ${fmt(r.ours.auc.mean / r.lightfm.auc.mean, 3)} |`,
    );
  }
  return lines.join('\n') + '\n';
}
