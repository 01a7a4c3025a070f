import { main } from './main.js';

/** What one in-process `plusone` command printed and returned. */
interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

/** Runs the `plusone` CLI in-process and captures what it prints (scripts and tests). */
export async function runCli(argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** {@link runCli}, throwing with the command's last lines when it fails; resolves to its stdout lines. */
export async function runCliOrThrow(argv: string[]): Promise<string[]> {
  const r = await runCli(argv);
  if (r.code !== 0) throw new Error(`plusone ${argv.slice(0, 2).join(' ')} failed (exit ${r.code}): ${[...r.err, ...r.out].slice(-5).join(' | ')}`);
  return r.out;
}
