import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { InputError } from '../data/errors.js';
import type { CustomerRecord } from './export.js';

/**
 * The customer records file that `plusone export` writes beside an artifact
 * (`FILE.customers.jsonl`, spec/model-dir.md): one JSON line per customer,
 * `{"customer": id, "record": base64}`. Text, so that it diffs and greps; publish reads it
 * back into record bytes and packs them into shards.
 */

/** Writes the records file (empty when there are no records), a line at a time. */
export async function writeCustomerRecords(path: string, records: readonly CustomerRecord[]): Promise<void> {
  const out = createWriteStream(path);
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => {}); // raced below; an error before then is not unhandled
  for (const c of records) {
    const line = `${JSON.stringify({ customer: c.customer, record: Buffer.from(c.record).toString('base64') })}\n`;
    if (!out.write(line)) await Promise.race([once(out, 'drain'), failed]);
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
}

/** Reads a records file, a line at a time; throws an InputError naming the line that is not a record. A missing file has no records. */
export async function readCustomerRecords(path: string): Promise<CustomerRecord[]> {
  const input = createReadStream(path, { encoding: 'utf8' });
  try {
    await once(input, 'open');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: CustomerRecord[] = [];
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    line++;
    if (text.trim() === '') continue;
    let parsed: { customer?: unknown; record?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new InputError(`${path}:${line}: not a JSON line; export the model again`);
    }
    if (typeof parsed.customer !== 'string' || typeof parsed.record !== 'string')
      throw new InputError(`${path}:${line}: expected {"customer": "...", "record": "<base64>"}; export the model again`);
    out.push({ customer: parsed.customer, record: new Uint8Array(Buffer.from(parsed.record, 'base64')) });
  }
  return out;
}
