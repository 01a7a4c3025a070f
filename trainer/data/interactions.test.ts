import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { readInteractions } from './interactions.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-interactions-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let serial = 0;
async function file(content: string | Buffer): Promise<string> {
  const path = join(dir, `f${serial++}.csv`);
  await writeFile(path, content);
  return path;
}

describe('readInteractions', () => {
  it('reads user_id,item_id with no weights or timestamps', async () => {
    const path = await file('user_id,item_id\nu1,i1\nu1,i2\nu2,i1\n');
    const r = await readInteractions(path);
    expect(r.users).toEqual(['u1', 'u1', 'u2']);
    expect(r.items).toEqual(['i1', 'i2', 'i1']);
    expect(r.weights).toBeNull();
    expect(r.timestamps).toBeNull();
    expect([r.rows, r.skipped]).toEqual([3, 0]);
  });

  it('reads weights and timestamps in every accepted form, as epoch ms', async () => {
    const at = Date.UTC(2010, 11, 1, 8, 26);
    const path = await file(
      ['timestamp,weight,item_id,user_id', '2010-12-01T08:26:00Z,1,i1,u1', '2010-12-01 08:26,2.5,i2,u1', '12/1/2010 8:26,3,i3,u2', '1291191960,4,i4,u2'].join(
        '\n',
      ),
    );
    const r = await readInteractions(path);
    expect(Array.from(r.weights!)).toEqual([1, 2.5, 3, 4]);
    expect(Array.from(r.timestamps!)).toEqual([at, at, at, at]);
    expect(r.users).toEqual(['u1', 'u1', 'u2', 'u2']);
  });

  it('skips non-positive weights, counted apart, with one summary warning', async () => {
    const path = await file('user_id,item_id,weight\nu1,i1,1\nu1,i2,0\nu2,i1,-2\nu2,i2,x\n');
    const warnings: string[] = [];
    const r = await readInteractions(path, { onWarning: (m) => warnings.push(m) });
    expect(r.users).toEqual(['u1']);
    expect(r.skipped).toBe(3);
    expect(r.skippedBy).toEqual({ malformed: 1, 'non-positive weight': 2 });
    expect(warnings).toEqual([`${path}:5: column "weight": "x" is not a number; row skipped`, `${path}: 2 rows with a weight <= 0 skipped`]);
  });

  it('reports an empty weight or a bad timestamp with its line', async () => {
    const path = await file('user_id,item_id,weight,timestamp\nu1,i1,,2011-01-01\nu1,i2,1,2011-02-30\nu1,i3,1,2011-03-01\n');
    const warnings: string[] = [];
    const r = await readInteractions(path, { onWarning: (m) => warnings.push(m) });
    expect(r.items).toEqual(['i3']);
    expect(warnings[0]).toBe(`${path}:2: empty value in column "weight"; row skipped`);
    expect(warnings[1]).toMatch(new RegExp(`^${path}:3: column "timestamp": "2011-02-30" is not a timestamp`));
  });

  it('makes bad rows fatal with strict', async () => {
    const path = await file('user_id,item_id,timestamp\nu1,i1,2011-01-01\nu1,i2,soon\n');
    await expect(readInteractions(path, { strict: true })).rejects.toMatchObject({
      name: 'InputError',
      line: 3,
      exitCode: 2,
    });
  });

  it('reads gzip and maps columns', async () => {
    const path = await file(gzipSync('CustomerID,StockCode\n17850,85123A\n'));
    const r = await readInteractions(path, {
      columns: { user_id: 'CustomerID', item_id: 'StockCode' },
    });
    expect([r.users, r.items]).toEqual([['17850'], ['85123A']]);
  });

  it('fails with exit code 2 on a missing column', async () => {
    const path = await file('user_id,product\nu1,i1\n');
    const err = await readInteractions(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/missing column "item_id"/);
  });
});
