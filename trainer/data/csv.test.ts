import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvFile } from './csv.js';
import type { CsvOptions, CsvRow } from './csv.js';
import { InputError } from './errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let serial = 0;
async function file(content: string | Buffer, name = `f${serial++}.csv`): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const PAIR: CsvOptions = { required: ['user_id', 'item_id'] };

async function readAll(path: string, options: CsvOptions = PAIR) {
  const warnings: string[] = [];
  const csv = await CsvFile.open(path, { onWarning: (m) => warnings.push(m), ...options });
  const rows: CsvRow[] = [];
  for await (const row of csv.rows()) rows.push(row);
  return { rows, warnings, csv };
}

async function openError(path: string, options: CsvOptions = PAIR): Promise<InputError> {
  try {
    await readAll(path, options);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('CsvFile: parsing', () => {
  it('reads quoted fields with commas, quotes and newlines, with physical line numbers', async () => {
    const path = await file('user_id,item_id\nu1,"a, b"\nu2,"say ""hi"""\nu3,"two\nlines"\nu4,i4\n');
    const { rows, warnings } = await readAll(path);
    expect(warnings).toEqual([]);
    expect(rows).toEqual([
      { line: 2, values: ['u1', 'a, b'] },
      { line: 3, values: ['u2', 'say "hi"'] },
      { line: 4, values: ['u3', 'two\nlines'] },
      { line: 6, values: ['u4', 'i4'] },
    ]);
  });

  it('keeps a stray quote inside an unquoted field as text', async () => {
    const path = await file('user_id,item_id\nu1,12" ruler\nu2,i2\n');
    const { rows, warnings } = await readAll(path);
    expect(warnings).toEqual([]);
    expect(rows.map((r) => r.values[1])).toEqual(['12" ruler', 'i2']);
  });

  it('handles CRLF, a BOM and a missing final newline', async () => {
    const path = await file('\ufeffuser_id,item_id\r\nu1,i1\r\nu2,"x\r\ny"\r\nu3,i3');
    const { rows, csv } = await readAll(path);
    expect(csv.header).toEqual(['user_id', 'item_id']);
    expect(rows.map((r) => r.line)).toEqual([2, 3, 5]);
    expect(rows[1].values[1]).toBe('x\r\ny');
  });

  it('splits a file that mixes CRLF and LF', async () => {
    const path = await file('user_id,item_id\r\nu1,i1\nu2,i2\r\nu3,i3\n');
    const { rows } = await readAll(path);
    expect(rows.map((r) => [r.line, ...r.values])).toEqual([
      [2, 'u1', 'i1'],
      [3, 'u2', 'i2'],
      [4, 'u3', 'i3'],
    ]);
  });

  it('reads gzip by its magic bytes, whatever the file name', async () => {
    const text = '\ufeffuser_id,item_id\nu1,"a\nb"\nu2,i2\n';
    for (const name of ['plain-name.csv', 'named.csv.gz']) {
      const path = await file(gzipSync(Buffer.from(text)), name);
      const { rows } = await readAll(path);
      expect(rows).toEqual([
        { line: 2, values: ['u1', 'a\nb'] },
        { line: 4, values: ['u2', 'i2'] },
      ]);
    }
  });

  it('reports corrupt gzip data as an InputError', async () => {
    const gz = gzipSync(Buffer.from('user_id,item_id\n' + 'u1,i1\n'.repeat(50_000)));
    const path = await file(gz.subarray(0, gz.length >> 1), 'cut.csv.gz');
    const err = await openError(path);
    expect(err.message).toMatch(/gzip data is corrupt or truncated/);
    expect(err.exitCode).toBe(2);
  });

  it('trims values and header names, ignores blank lines but keeps counting them', async () => {
    const path = await file(' user_id , item_id\n\n  u1 ,  i1  \n,\n   \nu2,i2\n');
    const { rows, csv } = await readAll(path);
    expect(rows).toEqual([
      { line: 3, values: ['u1', 'i1'] },
      { line: 6, values: ['u2', 'i2'] },
    ]);
    expect(csv.rowsRead).toBe(2);
    expect(csv.skipped).toBe(0);
  });

  it('reads requested columns in order required then optional, in any header order', async () => {
    const path = await file('extra,item_id,weight,user_id\nx,i1,2,u1\n');
    const { rows, csv } = await readAll(path, { ...PAIR, optional: ['weight', 'timestamp'] });
    expect(rows[0].values).toEqual(['u1', 'i1', '2', '']);
    expect(csv.has('weight')).toBe(true);
    expect(csv.has('timestamp')).toBe(false);
    expect(csv.index('weight')).toBe(2);
  });

  it('keeps line numbers right across read chunks', async () => {
    // ~1 MB, so the stream delivers many chunks; every 7th row holds a two-line field.
    const lines = ['user_id,item_id'];
    const expected: number[] = [];
    let line = 2;
    for (let r = 0; r < 40_000; r++) {
      expected.push(line);
      if (r % 7 === 0) {
        lines.push(`user-${r},"item\r\n${r}"`);
        line += 2;
      } else {
        lines.push(`user-${r},item-${r}`);
        line += 1;
      }
    }
    const path = await file(lines.join('\r\n') + '\r\n');
    const { rows } = await readAll(path);
    expect(rows.length).toBe(40_000);
    expect(rows.map((r) => r.line)).toEqual(expected);
  });
});

describe('CsvFile: malformed rows', () => {
  const bad = [
    'user_id,item_id,weight',
    'u1,i1,1',
    'u2,i2', // 3: too few fields
    'u3,i3,1,extra', // 4: too many
    ',i5,1', // 5: empty required
    'u6,i6,abc', // 6: not a number
    'u7,"open,1', // 7-8: a quote left open joins two lines into one row of 4 fields
    'u8",i8,1',
    'u9,i9,2',
    'u10,i10,',
  ].join('\n');
  const options: CsvOptions = { ...PAIR, optional: ['weight'], numeric: ['weight'] };

  it('warns FILE:LINE: reason; row skipped, and counts', async () => {
    const path = await file(bad + '\n');
    const { rows, warnings, csv } = await readAll(path, options);
    expect(rows.map((r) => r.line)).toEqual([2, 9, 10]);
    expect(warnings).toEqual([
      `${path}:3: expected 3 fields as in the header, found 2; row skipped`,
      `${path}:4: expected 3 fields as in the header, found 4; row skipped`,
      `${path}:5: empty value in column "user_id"; row skipped`,
      `${path}:6: column "weight": "abc" is not a number; row skipped`,
      `${path}:7: expected 3 fields as in the header, found 4 (lines 7-8 were read as one row: is a quote left open?); row skipped`,
    ]);
    expect(csv.skipped).toBe(5);
    expect(csv.rowsRead).toBe(8);
  });

  it('reports a quote left open to the end of the file at the line where it opens', async () => {
    const path = await file('user_id,item_id\nu1,i1\nu2,"open\nu3,i3\nu4,i4\n');
    const { rows, warnings, csv } = await readAll(path);
    expect(rows.map((r) => r.values[0])).toEqual(['u1']);
    expect(warnings).toEqual([`${path}:3: unclosed quote (the quoted field runs to the end of the file); row skipped`]);
    expect(csv.skipped).toBe(1);
  });

  it('makes the first bad row fatal with strict', async () => {
    const path = await file(bad + '\n');
    const err = await openError(path, { ...options, strict: true });
    expect(err.message).toBe(`${path}:3: expected 3 fields as in the header, found 2. Fix the row, or leave out --strict to skip bad rows.`);
    expect([err.file, err.line, err.exitCode]).toEqual([path, 3, 2]);
  });

  it('lets the caller reject rows through the same channel', async () => {
    const path = await file('user_id,item_id\nu1,i1\nu2,i2\n');
    const warnings: string[] = [];
    const csv = await CsvFile.open(path, { ...PAIR, onWarning: (m) => warnings.push(m) });
    const kept: string[] = [];
    for await (const { line, values } of csv.rows()) {
      if (values[0] === 'u1') csv.reject(line, 'user u1 is banned');
      else kept.push(values[0]);
    }
    expect(kept).toEqual(['u2']);
    expect(warnings).toEqual([`${path}:2: user u1 is banned; row skipped`]);
    expect(csv.skipped).toBe(1);
  });
});

describe('CsvFile: file and header errors (exit code 2)', () => {
  it('file not found', async () => {
    const err = await openError(join(dir, 'nope.csv'));
    expect(err.message).toMatch(/nope\.csv: file not found/);
    expect(err.exitCode).toBe(2);
  });

  it('a directory', async () => {
    const err = await openError(dir);
    expect(err.message).toMatch(/is a directory/);
  });

  it('empty file, or only a BOM and blank lines', async () => {
    for (const content of ['', '\ufeff', '\n\r\n  \n']) {
      const path = await file(content);
      const err = await openError(path);
      expect(err.message).toBe(`${path}: the file is empty (no header row). Export the data with a header line such as "user_id,item_id".`);
      expect(err.exitCode).toBe(2);
    }
    const gz = await file(gzipSync(Buffer.alloc(0)), 'empty.csv.gz');
    expect((await openError(gz)).message).toMatch(/the file is empty/);
  });

  it('a header with no rows is fine', async () => {
    const { rows } = await readAll(await file('user_id,item_id\n'));
    expect(rows).toEqual([]);
  });

  it('missing column: lists the header and suggests --columns', async () => {
    const path = await file('user,item\nu1,i1\n');
    const err = await openError(path);
    expect(err.message).toBe(
      `${path}: missing columns "user_id", "item_id" (header has: user,item). Rename the columns or pass --columns user_id=user,item_id=item.`,
    );
    const one = await file('user_id,product\nu1,i1\n');
    expect((await openError(one)).message).toBe(
      `${one}: missing column "item_id" (header has: user_id,product). Rename the column or pass --columns item_id=<header name>.`,
    );
  });

  it('duplicate header name', async () => {
    const path = await file('user_id,item_id,user_id\nu1,i1,u1\n');
    const err = await openError(path);
    expect(err.message).toBe(`${path}:1: duplicate column "user_id" in the header (columns 1 and 3). Rename one of them.`);
    expect(err.line).toBe(1);
  });

  it('maps columns with `columns`, and checks the mapping', async () => {
    const path = await file('InvoiceNo,StockCode\n536365,85123A\n');
    const { rows, csv } = await readAll(path, {
      required: ['order_id', 'item_id'],
      columns: { order_id: 'InvoiceNo', item_id: 'StockCode' },
    });
    expect(rows[0].values).toEqual(['536365', '85123A']);
    expect(csv.headerName('order_id')).toBe('InvoiceNo');

    const wrong = await openError(path, { required: ['order_id'], columns: { order_id: 'Invoice' } });
    expect(wrong.message).toMatch(/column "Invoice" \(given by --columns order_id=Invoice\) is not in the header \(header has: InvoiceNo,StockCode\)/);
    const unknown = await openError(path, { required: ['order_id'], columns: { orderid: 'InvoiceNo' } });
    expect(unknown.message).toBe('--columns: unknown column "orderid". Known columns: order_id.');
  });

  it('accepts aliases for a column name', async () => {
    const path = await file('item_id,feature\ni1,red\n');
    const { rows } = await readAll(path, {
      required: ['id', 'feature'],
      aliases: { id: ['user_id', 'item_id'] },
    });
    expect(rows[0].values).toEqual(['i1', 'red']);
  });
});
