import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildWidget, documentedIntegrity, MAX_GZIP_BYTES, WIDGET_DOC, WIDGET_OUT } from './build-widget.js';

describe('the widget build', async () => {
  const build = await buildWidget();

  it(`keeps /widget.v1.js within ${MAX_GZIP_BYTES} bytes gzipped (issue 7)`, () => {
    expect(build.gzipBytes).toBeLessThanOrEqual(MAX_GZIP_BYTES);
  });

  it('is what functions/widget/widget.generated.ts holds (run `npx tsx scripts/build-widget.ts` when this fails)', async () => {
    expect(existsSync(WIDGET_OUT), `${WIDGET_OUT} is missing: npm run build writes it`).toBe(true);
    expect(await readFile(WIDGET_OUT, 'utf8')).toBe(build.module);
  });

  it('has its integrity hash documented in spec/widget.md (run `npx tsx scripts/build-widget.ts --docs` when this fails)', async () => {
    expect(documentedIntegrity(await readFile(WIDGET_DOC, 'utf8'))).toBe(build.integrity);
  });

  it('is one ASCII script that installs window.PlusOne and never logs', () => {
    expect(build.code).toMatch(/^[\x20-\x7e\n]*$/);
    expect(build.code).toContain('PlusOne');
    expect(build.code).not.toMatch(/console\./);
    expect(build.code).not.toMatch(/innerHTML|insertAdjacentHTML|document\.write/);
    expect(build.integrity).toMatch(/^sha384-[A-Za-z0-9+/]{64}$/);
  });

  it('is deterministic', async () => {
    expect((await buildWidget()).module).toBe(build.module);
  });
});
