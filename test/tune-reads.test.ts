import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../scripts/bench-common.js';
import { syntheticSeller } from '../trainer/tune/test-data.js';

/**
 * `plusone tune` never reads a file it is not given: it runs under Node's permission model
 * with read access to the project (its code) and to the training file only, while a test
 * file lies beside the training file. The same sandbox refuses `plusone evaluate` on that
 * test file, so the sandbox is what would stop tune had it tried. Needs `npm run build`
 * first (npm test does it): the CLI runs from dist/.
 */
const ROOT = projectRoot();
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-tune-reads-'));
  const seller = syntheticSeller({ seed: 5 });
  await mkdir(join(dir, 'data'));
  await mkdir(join(dir, 'out'));
  await writeFile(join(dir, 'data', 'train.csv'), seller.interactions);
  await writeFile(join(dir, 'data', 'test.csv'), seller.interactions);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function sandboxed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const flags = [
    '--experimental-permission',
    `--allow-fs-read=${ROOT}/*`,
    `--allow-fs-read=${join(dir, 'data', 'train.csv')}`,
    `--allow-fs-read=${join(dir, 'out')}/*`,
    `--allow-fs-write=${join(dir, 'out')}/*`,
    '--allow-worker',
  ];
  return new Promise((resolve) => {
    execFile(process.execPath, [...flags, join(ROOT, 'bin', 'plusone.js'), ...args], { cwd: dir, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('plusone tune reads only what it is given', () => {
  it('tunes with read access to the training file alone, a test file lying beside it', async () => {
    expect(existsSync(join(ROOT, 'dist', 'trainer', 'cli', 'main.js')), 'run npm run build first').toBe(true);
    const out = join(dir, 'out', 'model');
    const r = await sandboxed(['tune', '--train', join(dir, 'data', 'train.csv'), '--surface', 'for-you', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last).toMatchObject({ surface: 'for-you', validation: { method: 'random-positives', figure: 'p@10' } });
    expect(Object.keys(last).slice(0, 4)).toEqual(['surface', 'model', 'params', 'repeats']);
    expect(typeof last.fit_s).toBe('number');
    // Progress went to stderr, one line per candidate.
    expect(r.stderr).toMatch(/p@10 \d/);
    expect(JSON.parse(await readFile(join(out, 'tune.json'), 'utf8')).candidates.length).toBe(last.candidates);

    const refused = await sandboxed(['evaluate', '--model', out, '--test', join(dir, 'data', 'test.csv'), '--json']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/ERR_ACCESS_DENIED|Access to this API has been restricted/);
  }, 120_000);
});
