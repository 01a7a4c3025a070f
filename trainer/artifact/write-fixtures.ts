// Writes the format fixtures: npx tsx trainer/artifact/write-fixtures.ts
// Run it only when the format changes on purpose (and then bump the version it concerns).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIXTURE_DIR, formatFixtures } from './fixtures.js';

await mkdir(FIXTURE_DIR, { recursive: true });
for (const [name, bytes] of Object.entries(formatFixtures())) {
  await writeFile(join(FIXTURE_DIR, name), bytes);
  process.stdout.write(`${join(FIXTURE_DIR, name)}  ${bytes.length} bytes\n`);
}
