import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeArtifact } from '../../core/format/index.js';
import { joinCatalog, parseStock, readCatalog } from './catalog.js';
import { encodeArtifact } from './encode.js';
import { buildStringTable } from '../../core/format/string-table.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-catalog-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let serial = 0;
async function file(content: string): Promise<string> {
  const path = join(dir, `c${serial++}.csv`);
  await writeFile(path, content);
  return path;
}

const HEADER = 'item_id,title,url,image,price,category,in_stock\n';

describe('readCatalog', () => {
  it('reads every column; empty cells are unknown', async () => {
    const path = await file(
      HEADER +
        '85123A,"White hanging heart, T-light holder",https://s.example/p/85123A,https://cdn.example/i/85123A.jpg,2.55,home,true\n' +
        '71053,White metal lantern,,,,,\n' +
        '84406.0,Cream cupid hearts,https://s.example/p/84406,,3.39,home,No\n',
    );
    const c = await readCatalog(path);
    expect(c.skipped).toBe(0);
    expect([...c.rows.keys()]).toEqual(['85123A', '71053', '84406']);
    expect(c.rows.get('85123A')).toEqual({
      title: 'White hanging heart, T-light holder',
      url: 'https://s.example/p/85123A',
      image: 'https://cdn.example/i/85123A.jpg',
      price: 2.55,
      category: 'home',
      inStock: true,
    });
    expect(c.rows.get('71053')).toEqual({ title: 'White metal lantern' });
    expect(c.rows.get('84406')).toMatchObject({ price: 3.39, inStock: false });
  });

  it('needs only item_id (or id)', async () => {
    const c = await readCatalog(await file('id,title\na,Mug\n'));
    expect(c.rows.get('a')).toEqual({ title: 'Mug' });
  });

  it('reports bad prices, bad stock values and repeated ids with file:line, and skips them', async () => {
    const path = await file(HEADER + 'a,A,,,abc,,\nb,B,,,-1,,\nc,C,,,1,,maybe\nd,D,,,1e2,,1\nd,D again,,,,,\n');
    const warnings: string[] = [];
    const c = await readCatalog(path, { onWarning: (m) => warnings.push(m) });
    expect([...c.rows.keys()]).toEqual(['d']);
    expect(c.rows.get('d')).toEqual({ title: 'D', price: 100, inStock: true });
    expect(c.skipped).toBe(4);
    expect(warnings).toEqual([
      `${path}:2: column "price": "abc" is not a number; row skipped`,
      `${path}:3: column "price": "-1" is not a price (a number >= 0); row skipped`,
      `${path}:4: column "in_stock": "maybe" is not one of true/false, yes/no, 1/0; row skipped`,
      `${path}:6: item_id "d" is already on line 5; row skipped`,
    ]);
  });

  it('makes a bad row fatal with strict', async () => {
    const path = await file(HEADER + 'a,A,,,x1,,\n');
    await expect(readCatalog(path, { strict: true })).rejects.toThrow(`${path}:2: column "price": "x1" is not a number.`);
  });

  it('reads spellings of in_stock', () => {
    expect(['TRUE', 'yes', 'Y', '1', 'in stock'].map(parseStock)).toEqual([true, true, true, true, true]);
    expect(['false', 'No', 'n', '0', 'out of stock'].map(parseStock)).toEqual([false, false, false, false, false]);
    expect(parseStock('perhaps')).toBeUndefined();
  });

  it('joins the model items, and the artifact carries what was read', async () => {
    const path = await file(HEADER + 'a,Mug,https://s.example/p/a,,12.5,mugs,1\nzz,Gone,,,,,\n');
    const c = await readCatalog(path);
    const itemIds = ['a', 'b'];
    expect(joinCatalog(itemIds, c.rows)).toEqual({ rows: [c.rows.get('a'), undefined], missing: 1, unused: 1 });
    const art = decodeArtifact(encodeArtifact({ modelType: 'user-knn', itemIds, catalog: c.rows, meta: {} }, { quantize: 'int8' }));
    expect(art.catalog!.entry(0)).toEqual({
      listed: true,
      title: 'Mug',
      url: 'https://s.example/p/a',
      image: '',
      category: 'mugs',
      price: 12.5,
      inStock: true,
    });
    expect(art.catalog!.entry(1)).toEqual({ listed: false, title: '', url: '', image: '', category: '', price: null, inStock: null });
  });
});

describe('buildStringTable', () => {
  it('dedupes strings; each takes the longest prefix up to a "/" that two or more strings share', () => {
    const t = buildStringTable(['Mug', 'https://shop.example.com/p/1', 'Mug', 'https://shop.example.com/p/2', 'https://other.example/x', 'a/b/c']);
    expect([...t.index.keys()]).toEqual(['', 'Mug', 'https://shop.example.com/p/1', 'https://shop.example.com/p/2', 'https://other.example/x', 'a/b/c']);
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    // "https://shop.example.com/" is shared too, but no string takes it as its longest: dropped.
    expect(t.prefixes.map(text)).toEqual(['', 'https://shop.example.com/p/', 'https://']);
    expect(Array.from(t.prefixOf)).toEqual([0, 0, 1, 1, 2, 0]);
    expect(t.suffixes.map(text)).toEqual(['', 'Mug', '1', '2', 'other.example/x', 'a/b/c']);
  });

  it('keeps non-ASCII strings whole across a prefix cut', () => {
    const t = buildStringTable(['https://shop.example/café/☕1', 'https://shop.example/café/☕2']);
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    expect(t.prefixes.map(text)).toEqual(['', 'https://shop.example/café/']);
    expect(t.suffixes.map(text)).toEqual(['', '☕1', '☕2']);
  });
});
