#!/usr/bin/env node
// Entry point of the `plusone` command. The trainer is written in TypeScript and compiled
// to dist/ by `npm ci` (the package's prepare script) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = fileURLToPath(new URL('../dist/trainer/cli/main.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write(`plusone: ${cli} is missing; run "npm run build" (or "npm ci") first.\n`);
  process.exit(2);
}
const { main } = await import(pathToFileURL(cli).href);
process.exitCode = await main(process.argv.slice(2));
