import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from './bench-common.js';
import { MODEL_TYPE_NAMES } from '../core/format/spec.js';
import { RULE_NAMES, typeServesRule } from '../core/storage/slots.js';
import { kindServes } from '../web/console/types.js';
import { buildWeb, WEB_TARGETS } from './build-web.js';

describe('the build of web/ (the report page, the console, the demo store script)', async () => {
  const builds = await buildWeb();
  const bundle = (name: string) => builds.flatMap((b) => b.bundles).find((b) => b.name === name)!;

  for (const b of builds) {
    it(`is what ${relative(projectRoot(), b.out)} holds (run \`npx tsx scripts/build-web.ts\` when this fails)`, async () => {
      expect(existsSync(b.out), `${b.out} is missing: npm run build writes it`).toBe(true);
      expect(await readFile(b.out, 'utf8')).toBe(b.module);
    });
  }

  it('builds the five entries of web/', () => {
    expect(WEB_TARGETS.flatMap((t) => t.parts.map((p) => relative(projectRoot(), p.entry))).sort()).toEqual([
      'web/admin/report-page.css',
      'web/admin/report-page.ts',
      'web/console/console.css',
      'web/console/main.ts',
      'web/demo/store.ts',
    ]);
  });

  it('bundles the console with the report page’s view and stylesheet, no worker code, and no use of localStorage or cookies', () => {
    const console_ = bundle('CONSOLE_SCRIPT').code;
    const report = bundle('REPORT_PAGE_SCRIPT').code;
    expect(console_).toMatch(/^"use strict";\(\(\)=>\{/);
    expect(() => new Function(console_)).not.toThrow();
    // One report design: the report view's texts are in both bundles.
    for (const shared of ['Always-valid p-value (mSPRT) of ', 'Yearly revenue change', 'Orders with 2+ items', '"/admin/assets/chart.umd.min.js"']) {
      expect(report).toContain(shared);
      expect(console_).toContain(shared);
    }
    for (const foreign of ['buildReport', 'Hono', 'ApiError', 'chartjs', 'registerables', 'zod']) expect(console_).not.toContain(foreign);
    for (const code of [console_, report]) {
      expect(code).not.toContain('localStorage');
      expect(code).not.toContain('document.cookie');
    }
    // The stylesheets share the design: the console's holds the report page's rules.
    expect(bundle('CONSOLE_STYLE').code).toContain('.charts.sideways');
    expect(bundle('REPORT_PAGE_STYLE').code).toContain('--accent: #0550ae');
    expect(bundle('CONSOLE_STYLE').code).toContain('--accent: #0550ae');
  });

  it('the console offers a slot for a serving rule or an experiment arm only where the edge would take it (its copy of SERVED_SURFACES)', () => {
    for (const kind of [...MODEL_TYPE_NAMES, 'unknown-kind']) {
      for (const rule of RULE_NAMES) expect(kindServes(kind, rule), `${kind} on ${rule}`).toBe(typeServesRule(kind, rule));
    }
    expect(kindServes(null, 'basket')).toBe(false);
  });

  it('states the sha256 of each text as its CSP hash', () => {
    for (const b of builds.flatMap((x) => x.bundles)) {
      expect(b.hash).toBe(`sha256-${createHash('sha256').update(b.code, 'utf8').digest('base64')}`);
    }
  });

  it('makes ASCII texts that an inline <script> or <style> can hold, and that write no HTML', () => {
    for (const b of builds.flatMap((x) => x.bundles)) {
      expect(b.code).toMatch(/^[\x20-\x7e\n]*$/);
      expect(b.code).not.toMatch(/<\/script|<\/style|<!--/i);
      expect(b.code).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|console\./);
    }
  });

  it('bundles the report page with the report types only as types: no worker code, Chart.js left to its own asset', () => {
    const page = bundle('REPORT_PAGE_SCRIPT').code;
    expect(page).toMatch(/^"use strict";\(\(\)=>\{/);
    // The one value it takes from functions/ is the Chart.js path (functions/admin/chart-path.ts).
    expect(page).toContain('"/admin/assets/chart.umd.min.js"');
    expect(page).toContain('/report');
    for (const foreign of ['buildReport', 'Hono', 'RangeError', 'ApiError', 'chartjs', 'registerables']) expect(page).not.toContain(foreign);
    expect(page.length).toBeLessThan(20_000);
    expect(() => new Function(page)).not.toThrow();
    expect(() => new Function(bundle('STORE_SCRIPT').code)).not.toThrow();
    expect(bundle('STORE_SCRIPT').code).toContain('plusone:add-to-cart');
  });

  it('imports from outside web/ only types, and the Chart.js path (web/README.md)', async () => {
    const web = join(projectRoot(), 'web');
    const problems: string[] = [];
    for (const f of (await readdir(web, { recursive: true })).filter((f) => f.endsWith('.ts'))) {
      const text = await readFile(join(web, f), 'utf8');
      for (const m of text.matchAll(/^import\s+(type\s+)?[^'"]*?from\s*['"]([^'"]+)['"]/gm)) {
        // A package (chart.js) or a file outside web/ may give types only.
        const target = m[2].startsWith('.') ? relative(projectRoot(), join(web, dirname(f), m[2])) : m[2];
        if (m[1] === undefined && !target.startsWith('web/') && target !== 'functions/admin/chart-path.js') problems.push(`${f} imports ${m[2]}`);
      }
      expect(text).not.toMatch(/\bimport\s*\(/);
    }
    expect(problems).toEqual([]);
  });

  it('is deterministic', async () => {
    expect((await buildWeb()).map((b) => b.module)).toEqual(builds.map((b) => b.module));
  });
});
