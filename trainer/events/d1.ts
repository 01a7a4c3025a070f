import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { isTransient } from '../publish/store.js';

/**
 * SQL on the worker's D1 database (binding `DB` of wrangler.toml) through `wrangler d1 execute`:
 * the local state `wrangler dev` uses, or the account wrangler is logged in to.
 */

/** Where D1 is. */
export interface D1Target {
  mode: 'local' | 'remote';
  /** Local state folder (default .wrangler/state beside the configuration). */
  persistTo?: string | undefined;
  /** wrangler.toml (default the project's). */
  config?: string | undefined;
}

/** Runs statements separated by `;` and resolves with each statement's rows. */
export type D1Runner = (sql: string) => Promise<Record<string, unknown>[][]>;

/** Runs one wrangler command (the arguments after `wrangler`) and resolves with its standard output. */
export type WranglerExec = (args: string[]) => Promise<string>;

const WRANGLER = () => createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');

function exec(args: string[]): Promise<string> {
  return new Promise((ok, fail) => {
    execFile(
      process.execPath,
      [WRANGLER(), ...args],
      { maxBuffer: 1 << 28, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
      (err, stdout, stderr) => {
        if (err) fail(new Error(`wrangler ${args.slice(0, 3).join(' ')} failed: ${(stderr || stdout || err.message).trim().split('\n').slice(-5).join(' ')}`));
        else ok(stdout);
      },
    );
  });
}

/** A D1 runner over wrangler; remote commands are retried on transient failures (rate limits, 5xx, the network). */
export function wranglerD1(target: D1Target, run: WranglerExec = exec): D1Runner {
  const flags = [`--${target.mode}`];
  if (target.mode === 'local') flags.push('--persist-to', target.persistTo ?? join(dirname(resolve(target.config ?? 'wrangler.toml')), '.wrangler', 'state'));
  if (target.config) flags.push('--config', target.config);
  return async (sql) => {
    const args = ['d1', 'execute', 'DB', ...flags, '--json', '--yes', '--command', sql];
    for (let attempt = 1; ; attempt++) {
      let stdout: string;
      try {
        stdout = await run(args);
      } catch (err) {
        if (target.mode === 'remote' && attempt < 5 && isTransient(err)) {
          await new Promise((r) => setTimeout(r, 1000 * 2 ** (attempt - 1)));
          continue;
        }
        throw err;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(stdout);
      } catch {
        throw new Error(`wrangler d1 execute printed no JSON: ${stdout.slice(0, 200)}`);
      }
      if (!Array.isArray(parsed)) throw new Error(`wrangler d1 execute printed ${stdout.slice(0, 200)}, not a list of results`);
      return parsed.map((r: { results?: Record<string, unknown>[] }) => r.results ?? []);
    }
  };
}
