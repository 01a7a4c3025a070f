import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareSeedBySeed, formatSeeds, parseSeeds, readReference, renderSameSeeds, welchT, type OurRun, type Reference } from './bench-reference.js';

const ours = (loss: string, seed: number, p10: number, auc = 0.6): OurRun => ({ dataset: 'ml100k', variant: 'hybrid', loss, seed, p10, auc });
const theirs = (loss: string, seed: number, p10: number, auc = 0.6) => ({ dataset: 'ml100k', variant: 'hybrid', loss, seed, 'p@10': p10, auc });

describe('seed-for-seed comparison with LightFM', () => {
  const reference: Reference = {
    lightfm: '1.17',
    runs: [theirs('warp', 1, 0.1), theirs('warp', 2, 0.12), theirs('warp', 3, 0.14), theirs('bpr', 1, 0.05), theirs('bpr', 2, 0.05)],
  };

  it('compares cells the reference has every seed of, with mean and sample sd per side', () => {
    const runs = [ours('warp', 1, 0.11), ours('warp', 2, 0.13), ours('warp', 3, 0.15), ours('bpr', 1, 0.05), ours('bpr', 2, 0.05), ours('bpr', 3, 0.05)];
    const rows = compareSeedBySeed(runs, reference, [1, 2, 3]);
    // bpr has no seed 3 in the reference: left out rather than compared over fewer seeds
    expect(rows.map((r) => r.loss)).toEqual(['warp']);
    expect(rows[0].ours['p@10'].mean).toBeCloseTo(0.13, 12);
    expect(rows[0].lightfm['p@10'].mean).toBeCloseTo(0.12, 12);
    expect(rows[0].lightfm['p@10'].sd).toBeCloseTo(0.02, 12);
    // t = 0.01 / sqrt((0.02^2 + 0.02^2) / 3)
    expect(welchT(rows[0].ours['p@10'], rows[0].lightfm['p@10'], 3)).toBeCloseTo(0.01 / Math.sqrt(0.0008 / 3), 9);
  });

  it('gives no t where the means agree to the digits shown', () => {
    expect(welchT({ mean: 0.02681, sd: 0.00001 }, { mean: 0.02684, sd: 0.00001 }, 3)).toBeNaN();
    expect(welchT({ mean: 0.0054, sd: 0.0009 }, { mean: 0.0066, sd: 0.0011 }, 3)).toBeCloseTo(-1.46, 2);
  });

  it('renders a table only when something was compared', () => {
    expect(renderSameSeeds([], reference, [1])).toBe('');
    const rows = compareSeedBySeed([ours('warp', 1, 0.1), ours('warp', 2, 0.12)], reference, [1, 2]);
    const md = renderSameSeeds(rows, reference, [1, 2]);
    expect(md).toContain('LightFM 1.17 run on this machine with the same seeds (1, 2)');
    expect(md).toContain('| ml100k | hybrid | warp | 0.1100 ± 0.0141 | 0.1100 ± 0.0141 | 1.000 | – |');
  });

  it('reads seed lists and ranges, and says what it cannot read', () => {
    expect(parseSeeds('1,2,3')).toEqual([1, 2, 3]);
    expect(parseSeeds('1-4,42')).toEqual([1, 2, 3, 4, 42]);
    expect(() => parseSeeds('1,x')).toThrow(/cannot read "x"/);
    expect(() => parseSeeds('5-3')).toThrow(/backwards/);
  });

  it('folds consecutive seeds', () => {
    expect(formatSeeds([1, 2, 3])).toBe('1-3');
    expect(formatSeeds([1, 2, 7, 8, 9, 10, 42])).toBe('1, 2, 7-10, 42');
    expect(formatSeeds([5])).toBe('5');
  });

  it('reads a reference file and refuses one without runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plusone-ref-'));
    expect(await readReference(join(dir, 'missing.json'))).toBeNull();
    await writeFile(join(dir, 'ok.json'), JSON.stringify({ lightfm: '1.17', runs: reference.runs }));
    expect((await readReference(join(dir, 'ok.json')))?.runs).toHaveLength(5);
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ lightfm: '1.17' }));
    await expect(readReference(join(dir, 'bad.json'))).rejects.toThrow(/no "runs" array/);
  });
});
