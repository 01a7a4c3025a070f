import { InputError } from '../data/errors.js';
import { DivergenceError } from '../models/lightfm/hybrid-mf.js';
import { VERSION } from '../version.js';
import { catalogCommand, catalogSpec } from './catalog.js';
import { evaluateCommand, evaluateSpec } from './evaluate.js';
import { eventsCommand, eventsSpec } from './events.js';
import { processIo, type Io } from './io.js';
import { keysCommand, keysSpec } from './keys.js';
import {
  exportCommand,
  exportSpec,
  publishCommand,
  publishSpec,
  rollbackCommand,
  rollbackSpec,
  serveCommand,
  serveSpec,
  versionsCommand,
  versionsSpec,
} from './publish.js';
import { trainCommand, trainSpec } from './train.js';
import { tuneCommand, tuneSpec } from './tune.js';

type Command = (argv: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  train: { run: trainCommand, summary: trainSpec.summary },
  tune: { run: tuneCommand, summary: tuneSpec.summary },
  evaluate: { run: evaluateCommand, summary: evaluateSpec.summary },
  export: { run: exportCommand, summary: exportSpec.summary },
  publish: { run: publishCommand, summary: publishSpec.summary },
  rollback: { run: rollbackCommand, summary: rollbackSpec.summary },
  versions: { run: versionsCommand, summary: versionsSpec.summary },
  serve: { run: serveCommand, summary: serveSpec.summary },
  keys: { run: keysCommand, summary: keysSpec.summary },
  events: { run: eventsCommand, summary: eventsSpec.summary },
  catalog: { run: catalogCommand, summary: catalogSpec.summary },
};

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    `plusone ${VERSION}: recommendations that add one more item to the basket`,
    '',
    'Usage: plusone <command> [options]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}${COMMANDS[n].summary}`),
    '',
    'Run "plusone <command> --help" for the options of a command.',
  ].join('\n');
}

/**
 * Runs the CLI and returns the exit code: 0 success, 1 an unexpected failure (with its
 * stack), 2 bad input or arguments (a message that says what to fix).
 */
export async function main(argv: string[], io: Io & { flushWarnings?(): void } = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(VERSION);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`plusone: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof InputError) {
      io.err(`error: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof DivergenceError || err instanceof RangeError) {
      io.err(`error: ${err.message}`);
      return 2;
    }
    io.err(`plusone ${name} failed: ${(err as Error).stack ?? String(err)}`);
    return 1;
  } finally {
    io.flushWarnings?.();
  }
}
