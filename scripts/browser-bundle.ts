/**
 * What the browser builds share (scripts/build-widget.ts: the storefront widget;
 * scripts/build-web.ts: the worker's own pages): esbuild turning one entry (TypeScript, or
 * a stylesheet) into one minified ASCII text, the hashes a page states for it, and the
 * write-or-check step of a generated module under functions/.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles `entry` with what it imports into one minified text: a `.ts` entry as an IIFE
 * (ES2020), a `.css` entry as a stylesheet. ASCII only (other characters as escapes), no
 * license comments, nothing written to disk.
 */
export async function bundleBrowser(entry: string): Promise<string> {
  const css = entry.endsWith('.css');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    ...(css ? {} : { format: 'iife' as const, target: 'es2020' }),
    platform: 'browser',
    charset: 'ascii',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  if (result.errors.length > 0 || result.outputFiles.length !== 1) {
    throw new Error(`esbuild failed on ${entry}: ${result.errors.map((e) => e.text).join('; ')}`);
  }
  return result.outputFiles[0].text;
}

/** The digest of a text's UTF-8 bytes. */
export function digest(algorithm: 'sha256' | 'sha384', text: string): Buffer {
  return createHash(algorithm).update(Buffer.from(text, 'utf8')).digest();
}

/** A Content-Security-Policy hash source for an inline script or style: `sha256-<base64>` (quote it in the header). */
export function cspHash(text: string): string {
  return `sha256-${digest('sha256', text).toString('base64')}`;
}

/**
 * Writes a generated module, or with `check` only compares it with what is on disk; resolves
 * to false when the check fails (missing or stale), after saying so and how to fix it.
 */
export async function writeGenerated(out: string, module: string, options: { check: boolean; figures: string; command: string }): Promise<boolean> {
  if (options.check) {
    const current = existsSync(out) ? await readFile(out, 'utf8') : null;
    if (current !== module) {
      console.error(`${out} is ${current === null ? 'missing' : 'stale'}; run \`${options.command}\``);
      return false;
    }
    console.log(`${out} is current (${options.figures})`);
    return true;
  }
  // The folder may hold nothing else (generated files are not committed): a fresh clone lacks it.
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, module);
  console.log(`wrote ${out}: ${options.figures}`);
  return true;
}
