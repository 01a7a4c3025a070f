/**
 * A local edge for browser tests and benchmarks: `wrangler dev` on 127.0.0.1 over a given
 * state folder, started in its own process group (so that stopping it stops workerd too),
 * plus one-shot wrangler commands (D1 migrations) on the same state. Never run two
 * wrangler processes on one state folder at once: the local runtime does not share it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { projectRoot } from './bench-common.js';

const WRANGLER = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
const ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => ok(port));
    });
  });
}

/** Runs one wrangler command (in the project, or `cwd`) (e.g. `d1 migrations apply DB --local --persist-to DIR`); resolves to its stdout. */
export function wranglerCommand(args: string[], cwd = projectRoot()): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [WRANGLER, ...args], { cwd, env: ENV, maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`wrangler ${args.slice(0, 3).join(' ')} failed: ${(stderr || stdout || err.message).trim().split('\n').slice(-5).join(' | ')}`));
      else resolve(stdout);
    });
  });
}

/** A running `wrangler dev`. */
export interface LocalEdge {
  /** `http://127.0.0.1:PORT` */
  url: string;
  child: ChildProcess;
  /** Its last 200 lines of output. */
  log: string[];
  stop(): Promise<void>;
}

export interface LocalEdgeOptions {
  /** The state folder (`--persist-to`). */
  state: string;
  /** `--var NAME:VALUE` for each entry. */
  vars?: Record<string, string>;
  /** How long to wait for /v1/health (ms); default 120 s. */
  startMs?: number;
  /** The project to serve (its wrangler.toml and functions/); default this one. */
  root?: string;
  /** wrangler's `--log-level` (default `warn`; `info` adds a line per request). */
  logLevel?: 'warn' | 'info' | 'debug';
  /** Called with every line of output (the `log` keeps only the last 200). */
  onLine?: (line: string) => void;
}

/** Stops a process group started by {@link startLocalEdge}: SIGTERM, then SIGKILL after 10 s. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Starts `wrangler dev` on a free port of 127.0.0.1 over `state` and waits until /v1/health answers. */
export async function startLocalEdge(options: LocalEdgeOptions): Promise<LocalEdge> {
  const port = await freePort();
  const inspector = await freePort();
  const args = [
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspector),
    '--persist-to',
    options.state,
    '--log-level',
    options.logLevel ?? 'warn',
  ];
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push('--var', `${name}:${value}`);
  const child = spawn(process.execPath, [WRANGLER, ...args], {
    cwd: options.root ?? projectRoot(),
    env: ENV,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    const lines = chunk
      .toString()
      .split('\n')
      .filter((l) => l.trim() !== '');
    if (options.onLine) for (const l of lines) options.onLine(l);
    log.push(...lines);
    if (log.length > 200) log.splice(0, log.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const edge: LocalEdge = { url, child, log, stop: () => stopGroup(child) };
  const deadline = Date.now() + (options.startMs ?? 120_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}): ${log.slice(-10).join(' | ')}`);
    try {
      if ((await fetch(`${url}/v1/health`)).ok) return edge;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await edge.stop();
  throw new Error(`wrangler dev did not answer /v1/health within ${(options.startMs ?? 120_000) / 1000} s: ${log.slice(-10).join(' | ')}`);
}
