/**
 * The README as a tested walkthrough. Every shell block of README.md (```sh, ```bash,
 * ```shell) is run in order, in one bash session, in a copy of the project, the way a
 * newcomer would follow the README top to bottom; a block is preceded by an HTML comment
 * when it is not simply run:
 *
 *   <!-- walkthrough: skip, REASON -->                     not run (REASON is required: a Cloudflare account, files outside the clone, ...)
 *   <!-- walkthrough: background until URL answers -->     run in the background until the walkthrough ends; the next block waits for GET URL to answer 2xx
 *   <!-- walkthrough: stop the background commands first --> stop what runs in the background (as Ctrl-C would), then run the block
 *
 * The copy differs from a fresh clone after `npm ci` only in where it is: the sources, the
 * build (dist/) and the generated modules are copied, node_modules is a link to this
 * project's. Ports are rewritten to free ones (8787, 8788 and `npm start` without a
 * `--port`), so a walkthrough never meets a server already running here, and `npm start`
 * builds a smaller marketplace (WALKTHROUGH_MARKETPLACE: the same five sellers with a fifth
 * of the customers and orders), so the walkthrough fits in the test suite's time.
 *
 *   npm run test:readme [-- --keep]     (--keep: leave the copy and its logs behind)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';

export type BlockMode = { kind: 'run' } | { kind: 'skip'; reason: string } | { kind: 'background'; readyUrl: string } | { kind: 'stop-first' };

/** One shell block of the README. */
export interface ShellBlock {
  /** Line of the opening fence (1-based). */
  line: number;
  code: string;
  mode: BlockMode;
}

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);
const MARKER = /^<!--\s*walkthrough:\s*(.*?)\s*-->$/;

/** Parses a marker's text; throws naming the line when it is not one of the three forms. */
function parseMarker(text: string, line: number): BlockMode {
  const skip = /^skip,\s*(\S.*)$/.exec(text);
  if (skip) return { kind: 'skip', reason: skip[1] };
  const background = /^background until (https?:\/\/\S+) answers$/.exec(text);
  if (background) return { kind: 'background', readyUrl: background[1] };
  if (text === 'stop the background commands first') return { kind: 'stop-first' };
  throw new Error(
    `README.md:${line}: walkthrough marker "${text}" is not one of "skip, REASON", "background until URL answers", "stop the background commands first"`,
  );
}

/**
 * The shell blocks of a markdown text, in order, with their mode. A marker must be the line
 * right above a shell fence; a marker anywhere else is an error (it would silently apply to
 * nothing).
 */
export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  let pending: { mode: BlockMode; line: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].trimEnd();
    const marker = MARKER.exec(text.trim());
    if (marker) {
      if (pending) throw new Error(`README.md:${pending.line}: walkthrough marker not followed by a shell block`);
      pending = { mode: parseMarker(marker[1], i + 1), line: i + 1 };
      continue;
    }
    const fence = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(text);
    if (!fence) {
      if (pending && text !== '') throw new Error(`README.md:${pending.line}: walkthrough marker not followed by a shell block`);
      continue;
    }
    const close = fence[1];
    const lang = fence[2].toLowerCase();
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].trimEnd().startsWith(close); i++) body.push(lines[i]);
    if (i >= lines.length) throw new Error(`README.md:${start + 1}: code block never closed`);
    if (!SHELL_LANGS.has(lang)) {
      if (pending) throw new Error(`README.md:${pending.line}: walkthrough marker above a ${lang || 'plain'} block, not a shell block`);
      continue;
    }
    blocks.push({ line: start + 1, code: body.join('\n'), mode: pending?.mode ?? { kind: 'run' } });
    pending = null;
  }
  if (pending) throw new Error(`README.md:${pending.line}: walkthrough marker at the end, with no block`);
  return blocks;
}

/** The ports of the walkthrough: npm start's (8787 in the README) and wrangler dev's (8788). */
export interface Ports {
  start: number;
  dev: number;
}

/** The size of `npm start`'s marketplace in the walkthrough (its defaults are 20,000 customers, 100,000 orders). */
export const WALKTHROUGH_MARKETPLACE = '--customers 4000 --orders 20000';

/** What the walkthrough changes in a block: the ports and the size of npm start's marketplace, nothing else. */
export function rewrite(code: string, ports: Ports): string {
  return code
    .replace(/^(\s*npm start)(?![\w-])(?!\s+--\s)/gm, `$1 -- --port ${ports.start} ${WALKTHROUGH_MARKETPLACE}`)
    .replace(/\b8787\b/g, String(ports.start))
    .replace(/\b8788\b/g, String(ports.dev));
}

/** The bash script that runs the blocks in order; `::block N` lines mark where each starts. */
export function walkthroughScript(blocks: ShellBlock[], ports: Ports, logDir: string): string {
  const out: string[] = [
    'set -euo pipefail',
    // Variables a block sets (D, PK, SK, ...) reach the background blocks too.
    'set -a',
    'export WRANGLER_SEND_METRICS=false',
    "__bg=''",
    '__stop() {',
    '  local p',
    '  for p in $__bg; do kill -TERM -- "-$p" 2>/dev/null || true; done',
    '  for p in $__bg; do',
    '    for _ in $(seq 1 100); do kill -0 -- "-$p" 2>/dev/null || break; sleep 0.1; done',
    '    kill -KILL -- "-$p" 2>/dev/null || true',
    '  done',
    "  __bg=''",
    '}',
    'trap __stop EXIT',
    '__ready() {',
    '  local url=$1 pid=$2 log=$3',
    '  for _ in $(seq 1 1500); do',
    '    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then echo "::ready $url"; return 0; fi',
    '    if ! kill -0 "$pid" 2>/dev/null; then echo "::background command exited before $url answered; its output:"; tail -n 60 "$log"; return 1; fi',
    '    sleep 0.2',
    '  done',
    '  echo "::$url did not answer within 300 s; the output:"; tail -n 60 "$log"; return 1',
    '}',
  ];
  for (const b of blocks) {
    if (b.mode.kind === 'skip') {
      out.push(`printf '\\n::skip README.md:${b.line} (%s)\\n' ${shellQuote(b.mode.reason)}`);
      continue;
    }
    if (b.mode.kind === 'stop-first') out.push('__stop');
    // A newline first: the block before may have ended its output without one (curl).
    out.push(`printf '\\n::block README.md:${b.line} at %ss\\n' "$SECONDS"`);
    const code = rewrite(b.code, ports);
    if (b.mode.kind === 'background') {
      const file = join(logDir, `block-${b.line}.sh`);
      const log = join(logDir, `block-${b.line}.log`);
      writeFileSync(file, `set -euo pipefail\n${code}\n`);
      // Its own process group (setsid), so that stopping it stops what it started.
      out.push(`setsid bash ${shellQuote(file)} > ${shellQuote(log)} 2>&1 < /dev/null &`);
      out.push('__bg="$__bg $!"');
      out.push(`__ready ${shellQuote(rewrite(b.mode.readyUrl, ports))} $! ${shellQuote(log)}`);
    } else {
      out.push(code);
    }
  }
  out.push("echo '::walkthrough done'");
  return out.join('\n') + '\n';
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Left out of the copy: installed, local state, results of earlier runs. */
const NOT_COPIED = new Set(['node_modules', '.git', '.plusone', '.wrangler', 'bench-results', 'test-artifacts', 'scratch', 'coverage']);

/** A copy of the project (sources, dist/, generated modules) with node_modules linked. */
export function copyProject(root: string, into: string): void {
  for (const name of ['package.json', 'dist', 'wrangler.toml']) {
    if (!existsSync(join(root, name))) throw new Error(`${join(root, name)} is missing: run npm ci (which builds) first`);
  }
  cpSync(root, into, {
    recursive: true,
    filter: (src) => {
      const rel = relative(root, src);
      return rel === '' || !NOT_COPIED.has(rel.split(/[\\/]/)[0]);
    },
  });
  symlinkSync(join(root, 'node_modules'), join(into, 'node_modules'), 'dir');
}

export interface WalkthroughResult {
  /** bash's exit code. */
  code: number;
  /** Everything the blocks printed, stdout and stderr interleaved. */
  output: string;
  /** README lines of the blocks that started, and of those skipped. */
  started: number[];
  skipped: number[];
  /** The block that was running when it failed. */
  failedAt: number | null;
  dir: string;
  seconds: number;
}

interface RunOptions {
  root: string;
  /** Told each line of output as it comes. */
  onLine?: (line: string) => void;
  /** Keep the temporary copy (its logs) afterwards. */
  keep?: boolean;
  timeoutMs?: number;
}

/** Copies the project and runs the README's walkthrough in the copy. */
export async function runWalkthrough(options: RunOptions): Promise<WalkthroughResult> {
  const t0 = performance.now();
  const readme = readFileSync(join(options.root, 'README.md'), 'utf8');
  const blocks = shellBlocks(readme);
  const dir = mkdtempSync(join(tmpdir(), 'plusone-readme-'));
  const work = join(dir, basename(options.root));
  const logs = join(dir, 'logs');
  copyProject(options.root, work);
  mkdirSync(logs);
  const ports = { start: await freePort(), dev: await freePort() };
  const script = join(logs, 'walkthrough.sh');
  writeFileSync(script, walkthroughScript(blocks, ports, logs));
  const output: string[] = [];
  let child: ChildProcess | null = null;
  const code = await new Promise<number>((resolve) => {
    child = spawn('bash', [script], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, CI: 'true' } });
    const timer = setTimeout(() => {
      output.push(`::walkthrough stopped after ${(options.timeoutMs ?? 900_000) / 1000} s`);
      // bash's EXIT trap stops the background commands.
      child?.kill('SIGTERM');
    }, options.timeoutMs ?? 900_000);
    let partial = '';
    const take = (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        output.push(l);
        options.onLine?.(l);
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.once('close', (c) => {
      clearTimeout(timer);
      if (partial) output.push(partial);
      resolve(c ?? 1);
    });
  });
  const started = output.flatMap((l) => /^::block README\.md:(\d+) at \d+s$/.exec(l)?.slice(1, 2).map(Number) ?? []);
  const skipped = output.flatMap((l) => /^::skip README\.md:(\d+)/.exec(l)?.slice(1, 2).map(Number) ?? []);
  if (!options.keep) rmSync(dir, { recursive: true, force: true });
  return {
    code,
    output: output.join('\n'),
    started,
    skipped,
    failedAt: code === 0 ? null : (started.at(-1) ?? null),
    dir,
    seconds: (performance.now() - t0) / 1000,
  };
}
