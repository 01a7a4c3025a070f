import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Manifest } from './manifest.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-manifest-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Manifest', () => {
  it('skips a step only with the same fingerprint, its outputs present and newer than its inputs', async () => {
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.bin');
    await writeFile(input, 'a');
    await writeFile(output, 'b');
    await utimes(input, 1000, 1000);
    await utimes(output, 2000, 2000);
    const m = await Manifest.load(join(dir, 'manifest.json'));
    expect(m.fresh('train', 'x', [input], [output])).toBe(false);
    await m.record('train', 'x', 1.234, { p: 1 });

    const again = await Manifest.load(join(dir, 'manifest.json'));
    expect(again.get('train')).toMatchObject({ fingerprint: 'x', seconds: 1.23, result: { p: 1 } });
    expect(again.fresh('train', 'x', [input], [output])).toBe(true);
    expect(again.fresh('train', 'y', [input], [output])).toBe(false);
    expect(again.fresh('train', 'x', [input], [output, join(dir, 'missing')])).toBe(false);
    await utimes(input, 3000, 3000);
    expect(again.fresh('train', 'x', [input], [output])).toBe(false);
    await again.forget('train');
    expect((await Manifest.load(join(dir, 'manifest.json'))).get('train')).toBeUndefined();
  });

  it('reads a damaged manifest as empty', async () => {
    const path = join(dir, 'damaged.json');
    await writeFile(path, '{"version":1,"steps":');
    const m = await Manifest.load(path);
    expect(m.fresh('anything', '')).toBe(false);
  });
});
