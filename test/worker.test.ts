import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import app from '../functions/index.js';

describe('edge worker skeleton', () => {
  it('answers /v1/health', async () => {
    const res = await app.request('/v1/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await app.request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('builds with wrangler from wrangler.toml', async () => {
    const out = await mkdtemp(join(tmpdir(), 'plusone-wrangler-'));
    const log = execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', out], {
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    });
    expect(log).toMatch(/--dry-run: exiting now/);
  }, 120_000);
});
