import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from './bench-common.js';

// What `npm run simulate:traffic` runs: dist/, which `npm run build` writes (npm test does it first).
const SCRIPT = join(projectRoot(), 'dist', 'scripts', 'simulate-traffic.js');
const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('npm run simulate:traffic: its command line', () => {
  it('is built (run `npm run build` when this fails)', () => {
    expect(existsSync(SCRIPT), SCRIPT).toBe(true);
  });

  it('--help lists every option with its default and exits 0, sending nothing', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    for (const option of [
      '--url',
      '--seller',
      '--pk',
      '--sk',
      '--visitors N',
      '--surface',
      '--arms',
      '--better',
      '--lift',
      '--base-conversion',
      '--click',
      '--n N',
      '--rps',
      '--seed',
      '--replace',
      '--out',
      '--help',
    ]) {
      expect(r.stdout).toContain(`  ${option}`);
    }
    for (const value of [
      'default 1000',
      'default for-you',
      'default warp:warp,bpr:bpr,logistic:logistic,warp-kos:warp-kos,ease:ease,lookalike:lookalike',
      'default ease',
      'default 0.3',
      'default 0.1',
      'default 20',
    ]) {
      expect(r.stdout.replace(/\s+/g, ' ')).toContain(value);
    }
  });

  it('answers an unknown option, a missing or bad value with one line that says what and where to look, and exit 2', () => {
    for (const [args, message] of [
      [['--vistors', '10'], 'simulate-traffic: unknown option --vistors; see --help'],
      [['--visitors'], 'simulate-traffic: --visitors needs a value; see --help'],
      [['--visitors', 'many'], 'simulate-traffic: --visitors must be an integer from 10 to 1,000,000, got "many"; see --help'],
      [['--lift=-1'], 'simulate-traffic: --lift must be a number from 0 to 10, got "-1"; see --help'],
      [
        ['--arms', 'a:popularity,b:Magic!'],
        'simulate-traffic: --arms: "Magic!" is not popularity or none, and slot "Magic!" is not a valid name: use 1-32 lowercase letters, digits or "-", starting with a letter or digit (e.g. warp, ease, lookalike); see --help',
      ],
      [['--surface', 'home'], 'simulate-traffic: --surface must be basket, similar, for-you, got "home"; see --help'],
      [['--better', 'nobody'], 'simulate-traffic: --better nobody is not one of the arms (warp, bpr, logistic, warp-kos, ease, lookalike); see --help'],
      [['extra'], 'simulate-traffic: unexpected argument extra (every option has a name); see --help'],
    ] as const) {
      const r = run(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toBe(`${message}\n`);
    }
  });
});
