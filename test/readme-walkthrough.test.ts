import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../scripts/bench-common.js';
import { rewrite, runWalkthrough, shellBlocks, WALKTHROUGH_MARKETPLACE, walkthroughScript } from '../scripts/readme/walkthrough.js';

const ROOT = projectRoot();
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('the README walkthrough: reading the blocks', () => {
  it('finds shell blocks, their markers, and leaves other blocks alone', () => {
    const md = [
      '# t',
      '```sh',
      'echo one',
      '```',
      '<!-- walkthrough: skip, needs a Cloudflare account -->',
      '```sh',
      'npx wrangler deploy',
      '```',
      '```ts',
      'const x = 1;',
      '```',
      '<!-- walkthrough: background until http://127.0.0.1:8787/v1/health answers -->',
      '```bash',
      'npm start',
      '```',
      '<!-- walkthrough: stop the background commands first -->',
      '```sh',
      'echo two',
      'echo three',
      '```',
    ].join('\n');
    expect(shellBlocks(md)).toEqual([
      { line: 2, code: 'echo one', mode: { kind: 'run' } },
      { line: 6, code: 'npx wrangler deploy', mode: { kind: 'skip', reason: 'needs a Cloudflare account' } },
      { line: 13, code: 'npm start', mode: { kind: 'background', readyUrl: 'http://127.0.0.1:8787/v1/health' } },
      { line: 17, code: 'echo two\necho three', mode: { kind: 'stop-first' } },
    ]);
  });

  it('refuses a marker it does not know, a skip without a reason, and a marker above no shell block', () => {
    expect(() => shellBlocks('<!-- walkthrough: maybe -->\n```sh\nls\n```')).toThrow(/README.md:1: walkthrough marker "maybe" is not one of/);
    expect(() => shellBlocks('<!-- walkthrough: skip, -->\n```sh\nls\n```')).toThrow(/is not one of/);
    expect(() => shellBlocks('<!-- walkthrough: skip, x -->\nsome text\n```sh\nls\n```')).toThrow(
      /README.md:1: walkthrough marker not followed by a shell block/,
    );
    expect(() => shellBlocks('<!-- walkthrough: skip, x -->\n```ts\nx\n```')).toThrow(/above a ts block, not a shell block/);
    expect(() => shellBlocks('```sh\nls\n')).toThrow(/README.md:1: code block never closed/);
  });

  it('moves the ports and nothing else', () => {
    const ports = { start: 40001, dev: 40002 };
    expect(rewrite('npm start             # the demo', ports)).toBe(`npm start -- --port 40001 ${WALKTHROUGH_MARKETPLACE}             # the demo`);
    expect(rewrite('npm start -- --port 9000', ports)).toBe('npm start -- --port 9000');
    expect(rewrite('npm run start:x', ports)).toBe('npm run start:x');
    expect(rewrite('curl http://127.0.0.1:8788/v1 && open http://127.0.0.1:8787/demo', ports)).toBe(
      'curl http://127.0.0.1:40002/v1 && open http://127.0.0.1:40001/demo',
    );
    expect(rewrite('npx plusone train --port-like 87870', ports)).toBe('npx plusone train --port-like 87870');
  });

  it('writes a script that runs the blocks in order and marks each', () => {
    const blocks = shellBlocks('```sh\necho a\n```\n<!-- walkthrough: skip, no -->\n```sh\nexit 1\n```\n```sh\necho b\n```');
    const script = walkthroughScript(blocks, { start: 1, dev: 2 }, '/tmp');
    expect(script.indexOf('echo a')).toBeLessThan(script.indexOf('echo b'));
    expect(script).not.toContain('exit 1');
    expect(script).toMatch(/::skip README\.md:5 \(%s\)\\n' 'no'/);
  });

  it('every shell block of README.md is run, or says why not', () => {
    const blocks = shellBlocks(README);
    const skipped = blocks.filter((b) => b.mode.kind === 'skip');
    for (const b of skipped) expect(b.mode.kind === 'skip' && b.mode.reason.length, `README.md:${b.line}`).toBeGreaterThan(10);
    // What is not run needs an account or files outside the clone, or is the install and this test itself.
    for (const b of skipped)
      expect(b.mode.kind === 'skip' && b.mode.reason, `README.md:${b.line}`).toMatch(/Cloudflare account|not in the clone|installs and tests/);
    expect(blocks.filter((b) => b.mode.kind !== 'skip').length).toBeGreaterThanOrEqual(10);
  });
});

describe('the README walkthrough: running it', () => {
  it('runs every runnable block of README.md in order, in a copy of the project, to the end', async () => {
    const blocks = shellBlocks(README);
    const result = await runWalkthrough({ root: ROOT });
    const tail = result.output.split('\n').slice(-80).join('\n');
    expect(result.code, `failed in the block at README.md:${result.failedAt}; the last lines:\n${tail}`).toBe(0);
    expect(result.started).toEqual(blocks.filter((b) => b.mode.kind !== 'skip').map((b) => b.line));
    expect(result.skipped).toEqual(blocks.filter((b) => b.mode.kind === 'skip').map((b) => b.line));
    // The chain reached its ends: the experiment's verdict, and the retrain pipeline's table.
    expect(result.output).toMatch(/^verdict: /m);
    expect(result.output).toMatch(/^::walkthrough done$/m);
  }, 900_000);
});
