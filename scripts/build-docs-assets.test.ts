import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OUT, readSwaggerUi, renderDocsAssetsModule } from './build-docs-assets.js';

describe('the /v1/docs assets (Swagger UI from node_modules/swagger-ui-dist)', async () => {
  const assets = await readSwaggerUi();

  it('are what functions/openapi/docs-assets.generated.ts holds (run `npx tsx scripts/build-docs-assets.ts` when this fails)', async () => {
    expect(existsSync(DEFAULT_OUT), `${DEFAULT_OUT} is missing: npm run build writes it`).toBe(true);
    expect(await readFile(DEFAULT_OUT, 'utf8')).toBe(renderDocsAssetsModule(assets));
  });

  it("are the pinned version's bundle and stylesheet, licence banner kept, source-map comments dropped", async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { dependencies: Record<string, string> };
    expect(assets.version).toBe(pkg.dependencies['swagger-ui-dist']);
    expect(assets.bundle.startsWith('/*! For license information please see swagger-ui-bundle.js.LICENSE.txt */\n')).toBe(true);
    for (const text of [assets.bundle, assets.css]) expect(text).not.toContain('sourceMappingURL');
    expect(assets.css).toContain('.swagger-ui');
    expect(assets.license).toContain('Apache License');
    expect(assets.notice).toContain('SmartBear');
  });
});
