/**
 * `npm run test:readme`: runs the README's walkthrough (scripts/readme/walkthrough.ts) in a
 * copy of the project and prints what it prints; exit 0 when every block ran.
 *
 *   npm run test:readme [-- --keep]
 */
import { parseArgs } from 'node:util';
import { projectRoot } from './bench-common.js';
import { runWalkthrough } from './readme/walkthrough.js';

const { values } = parseArgs({ options: { keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write(
    'Usage: npm run test:readme [-- --keep]\n\nRuns every shell block of README.md in order in a copy of the project.\n  --keep  leave the copy and its logs behind\n',
  );
  process.exit(0);
}
const result = await runWalkthrough({ root: projectRoot(), keep: Boolean(values.keep), onLine: (l) => process.stdout.write(`${l}\n`) });
process.stdout.write(
  `\nREADME walkthrough: ${result.started.length} blocks run, ${result.skipped.length} skipped, ${result.seconds.toFixed(1)} s: ${
    result.code === 0 ? 'passed' : `FAILED in the block at README.md:${result.failedAt} (exit ${result.code})`
  }${values.keep ? `; the copy and its logs: ${result.dir}` : ''}\n`,
);
process.exitCode = result.code === 0 ? 0 : 1;
