import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { descendants, peakRssMb } from './train-process.js';

describe('per-process memory figures', () => {
  it.runIf(process.platform === 'linux')('finds a started process among the descendants and reads its peak RSS', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      expect(descendants(process.pid)).toContain(child.pid);
      expect(descendants(child.pid!)).toEqual([]);
      expect(peakRssMb(process.pid)).toBeGreaterThan(10);
    } finally {
      child.kill();
    }
  });

  it('reads 0 for a process that does not exist', () => {
    expect(peakRssMb(2 ** 30)).toBe(0);
    expect(descendants(2 ** 30)).toEqual([]);
  });
});
