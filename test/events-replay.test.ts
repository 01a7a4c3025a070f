import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { wranglerCommand } from '../scripts/local-edge.js';
import { runCli } from './run-cli.js';

/**
 * `plusone events replay --local` end to end, on a local D1 made by `wrangler d1 migrations
 * apply`: dead letters of two sellers (the same event ids in both), one of them already stored,
 * one of a deleted customer. (The SQL's semantics are also tested in workerd, in
 * test/worker/dead-letters.test.ts; this runs the command as an operator would.)
 */

let state = '';
afterAll(async () => {
  if (state) await rm(state, { recursive: true, force: true });
});

const sql = (command: string) => wranglerCommand(['d1', 'execute', 'DB', '--local', '--persist-to', state, '--json', '--command', command]);

function letter(seller: string, id: string, extra: { customer?: string; visitor?: string } = {}): string {
  const customer = extra.customer === undefined ? 'NULL' : `'${extra.customer}'`;
  return `('${id}', '${seller}', 'purchase', '${extra.visitor ?? 'v-1'}', ${customer}, '["sku1","sku2"]', 2, 'o-${id.slice(0, 4)}', 20.5, 1767225600000, 1767225600000, 1767225700000, 11)`;
}

const ID = (n: number) => `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`;

describe('plusone events replay', () => {
  it('moves dead letters into events once each, per seller or for all, leaving out what is stored or deleted', async () => {
    state = await mkdtemp(join(tmpdir(), 'plusone-replay-'));
    await wranglerCommand(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state]);
    const cols = 'event_id, seller, type, visitor_id, customer_id, item_ids, item_count, order_id, value, ts, received, failed, attempts';
    await sql(
      [
        `INSERT INTO dead_letters (${cols}) VALUES ${[letter('shop-a', ID(1)), letter('shop-a', ID(2)), letter('shop-a', ID(3), { customer: 'gone' }), letter('shop-b', ID(1)), letter('shop-b', ID(9))].join(', ')}`,
        // shop-a's second event got through after all; shop-a's customer "gone" was deleted.
        `INSERT INTO events (event_id, seller, type, visitor_id, item_ids, item_count, ts, received) VALUES ('${ID(2)}', 'shop-a', 'purchase', 'v-1', '["sku1"]', 1, 1767225600000, 1767225600000)`,
        `INSERT INTO deleted_customers (seller, customer_id, deleted) VALUES ('shop-a', 'gone', 1767225600000)`,
      ].join('; '),
    );
    const a = await runCli(['events', 'replay', '--seller', 'shop-a', '--local', '--persist-to', state, '--json']);
    expect(a.code, a.err.join('\n')).toBe(0);
    expect(JSON.parse(a.out[0])).toMatchObject({
      d1: 'local',
      letters: 3,
      new_events: 1,
      skipped: 2,
      sellers: [{ seller: 'shop-a', letters: 3, new_events: 1 }],
    });

    const all = await runCli(['events', 'replay', '--all', '--local', '--persist-to', state]);
    expect(all.code, all.err.join('\n')).toBe(0);
    expect(all.out[0]).toBe('2 dead letters replayed over 1 seller: 2 new events stored, 0 already stored or of deleted customers');
    const again = await runCli(['events', 'replay', '--all', '--local', '--persist-to', state]);
    expect(again.out[0]).toBe('no dead letters in D1 (local)');

    const rows = JSON.parse(await sql('SELECT seller, COUNT(*) AS n FROM events GROUP BY seller ORDER BY seller; SELECT COUNT(*) AS n FROM dead_letters')) as {
      results: { seller?: string; n: number }[];
    }[];
    expect(rows[0].results).toEqual([
      { seller: 'shop-a', n: 2 },
      { seller: 'shop-b', n: 2 },
    ]);
    expect(rows[1].results).toEqual([{ n: 0 }]);
  }, 180_000);

  it('names what is missing', async () => {
    const none = await runCli(['events', 'replay', '--local']);
    expect(none.code).toBe(2);
    expect(none.err.join('\n')).toMatch(/give --seller S or --all/);
    const bad = await runCli(['events', 'replay', '--seller', 'bad id!']);
    expect(bad.code).toBe(2);
  });
});
