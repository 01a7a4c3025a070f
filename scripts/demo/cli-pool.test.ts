import { describe, expect, it } from 'vitest';
import { CliPool } from './cli-pool.js';

describe('CliPool', () => {
  it('runs plusone commands with their output captured, lower priority first', async () => {
    const pool = new CliPool(1);
    try {
      const order: string[] = [];
      const first = pool.run(['--version'], 9).then((r) => (order.push('first'), r));
      const a = pool.run(['--version'], 5).then((r) => (order.push('late'), r));
      const b = pool.run(['nope'], 1).then((r) => (order.push('early'), r));
      const [, version, unknown] = await Promise.all([first, a, b]);
      expect(version.code).toBe(0);
      expect(version.out[0]).toMatch(/^\d+\.\d+\.\d+/);
      expect(unknown.code).toBe(2);
      expect(unknown.err.join('\n')).toMatch(/unknown command "nope"/);
      expect(version.seconds).toBeGreaterThanOrEqual(0);
      // The first job starts at once; of the queued ones the lower priority goes first.
      expect(order).toEqual(['first', 'early', 'late']);
    } finally {
      await pool.close();
    }
  });

  it('names a bad size', () => {
    expect(() => new CliPool(0)).toThrow(/size must be an integer >= 1/);
  });
});
