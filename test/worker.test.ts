import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The routes are tested inside workerd, under test/worker/ (the "workers" vitest project).
describe('edge worker build', () => {
  it('builds with wrangler from wrangler.toml', async () => {
    const out = await mkdtemp(join(tmpdir(), 'plusone-wrangler-'));
    const log = execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', out], {
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    });
    expect(log).toMatch(/--dry-run: exiting now/);
    expect(log).toMatch(/env\.KV/);
    expect(log).toMatch(/env\.MODELS/);
  }, 120_000);
});
