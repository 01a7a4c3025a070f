import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiPool, PoolCallError } from './api-pool.js';

describe('ApiPool', () => {
  it('runs trainer API calls with their warnings, lower priority first, and names a failed call', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plusone-pool-'));
    const pool = new ApiPool(1);
    try {
      const csv = join(dir, 'train.csv');
      await writeFile(csv, 'user_id,item_id\nu1,a\nu1,b\nu2,a\nu2,c\nu3,b\nu3,c\nu3,\n');
      const order: string[] = [];
      const first = pool.run('train', { input: { interactions: csv }, model: 'popularity', out: join(dir, 'm1') }, 9).then((r) => {
        order.push('first');
        return r;
      });
      const late = pool.run('train', { input: { interactions: csv }, model: 'user-knn', out: join(dir, 'm2') }, 5).then((r) => {
        order.push('late');
        return r;
      });
      const early = pool.run('train', { input: { interactions: csv }, model: 'nope', out: join(dir, 'm3') }, 1).then(
        () => order.push('early'),
        (e: unknown) => {
          order.push('early');
          return e;
        },
      );
      const [popular, users, failed] = await Promise.all([first, late, early]);
      expect(popular.result).toMatchObject({ model: 'popularity', users: 3, items: 3, interactions: 6 });
      expect(popular.warnings.join('\n')).toMatch(/train\.csv:8/);
      expect(users.result).toMatchObject({ model: 'user-knn', neighbors: 50 });
      expect(users.seconds).toBeGreaterThanOrEqual(0);
      expect(failed).toBeInstanceOf(PoolCallError);
      expect((failed as PoolCallError).input).toBe(true);
      expect((failed as Error).message).toMatch(/--model must be one of lightfm, item-knn, user-knn, popularity, got "nope"/);
      // The first job starts at once; of the queued ones the lower priority goes first.
      expect(order).toEqual(['first', 'early', 'late']);
    } finally {
      await pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names a bad size', () => {
    expect(() => new ApiPool(0)).toThrow(/size must be an integer >= 1/);
  });
});
