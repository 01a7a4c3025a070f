import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeatures } from './features.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-features-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let serial = 0;
async function file(content: string): Promise<string> {
  const path = join(dir, `f${serial++}.csv`);
  await writeFile(path, content);
  return path;
}

describe('readFeatures', () => {
  it('accepts id, user_id or item_id as the first column', async () => {
    for (const name of ['id', 'user_id', 'item_id']) {
      const path = await file(`${name},feature\na,country:United Kingdom\na,"word:heart, red"\nb,price:3\n`);
      const f = await readFeatures(path);
      expect(f.ids).toEqual(['a', 'a', 'b']);
      expect(f.features).toEqual(['country:United Kingdom', 'word:heart, red', 'price:3']);
      expect(f.weights).toBeNull();
      expect(f.skipped).toBe(0);
    }
  });

  it('reads weights and skips rows whose weight is not a number > 0', async () => {
    const path = await file('item_id,feature,weight\ni1,red,0.5\ni1,blue,0\ni2,red,-1\ni2,big,x\ni3,big,2\n');
    const warnings: string[] = [];
    const f = await readFeatures(path, { onWarning: (m) => warnings.push(m) });
    expect(f.ids).toEqual(['i1', 'i3']);
    expect(Array.from(f.weights!)).toEqual([0.5, 2]);
    expect(f.skipped).toBe(3);
    expect(warnings).toEqual([
      `${path}:3: column "weight": "0" is not a number > 0; row skipped`,
      `${path}:4: column "weight": "-1" is not a number > 0; row skipped`,
      `${path}:5: column "weight": "x" is not a number; row skipped`,
    ]);
  });

  it('names the accepted id columns when none is there', async () => {
    const path = await file('sku,feature\ni1,red\n');
    await expect(readFeatures(path)).rejects.toThrow(
      `${path}: missing column "id" (or "user_id", "item_id") (header has: sku,feature). Rename the column or pass --columns id=<header name>.`,
    );
  });
});
