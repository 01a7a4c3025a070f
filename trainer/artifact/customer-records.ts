import { readFile, writeFile } from 'node:fs/promises';
import { InputError } from '../data/errors.js';
import type { CustomerRecord } from './export.js';

/**
 * The customer records file that `plusone export` writes beside an artifact
 * (`FILE.customers.jsonl`, spec/model-dir.md): one JSON line per customer,
 * `{"customer": id, "record": base64}`. Text, so that it diffs and greps; publish reads it
 * back into record bytes and packs them into shards.
 */

/** Writes the records file (empty when there are no records). */
export async function writeCustomerRecords(path: string, records: readonly CustomerRecord[]): Promise<void> {
  const lines = records.map((c) => JSON.stringify({ customer: c.customer, record: Buffer.from(c.record).toString('base64') }));
  await writeFile(path, lines.length ? `${lines.join('\n')}\n` : '');
}

/** Reads a records file; throws an InputError naming the line that is not a record. A missing file has no records. */
export async function readCustomerRecords(path: string): Promise<CustomerRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: CustomerRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    let parsed: { customer?: unknown; record?: unknown };
    try {
      parsed = JSON.parse(lines[i]) as typeof parsed;
    } catch {
      throw new InputError(`${path}:${i + 1}: not a JSON line; export the model again`);
    }
    if (typeof parsed.customer !== 'string' || typeof parsed.record !== 'string')
      throw new InputError(`${path}:${i + 1}: expected {"customer": "...", "record": "<base64>"}; export the model again`);
    out.push({ customer: parsed.customer, record: new Uint8Array(Buffer.from(parsed.record, 'base64')) });
  }
  return out;
}
