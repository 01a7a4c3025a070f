import { InputError } from '../data/errors.js';
import { wranglerD1 } from '../events/d1.js';
import { replayDeadLetters } from '../events/replay.js';
import { checkSeller } from '../publish/publish.js';
import { helpText, parseCommand, type CommandSpec } from './args.js';
import type { Io } from './io.js';
import { storeOptions } from './store-options.js';

/** `plusone events <subcommand>`: the shopper events the worker stored in D1. */
export const eventsSpec: CommandSpec = {
  name: 'events',
  summary: 'replay the events the worker could not write to D1 (dead letters)',
  usage: 'plusone events replay --seller S | --all [--local | --remote] [--json]   (plusone events replay --help)',
  options: {},
};

const replaySpec: CommandSpec = {
  name: 'events replay',
  summary: "move the events of dead-lettered queue batches into D1's events, once each",
  usage: 'plusone events replay --seller S | --all [--local | --remote] [--persist-to DIR] [--config F] [--json]',
  options: {
    seller: { type: 'string', value: 'S', help: 'the seller whose dead letters to replay' },
    all: { type: 'boolean', help: 'every seller with dead letters' },
    ...storeOptions,
    json: { type: 'boolean', help: 'print one JSON line' },
  },
};

/** `plusone events replay`. */
async function replayCommand(argv: string[], io: Io): Promise<number> {
  const { values, help } = parseCommand(replaySpec, argv);
  if (help) {
    io.out(helpText(replaySpec));
    return 0;
  }
  const seller = values.seller as string | undefined;
  if ((seller === undefined) === !values.all)
    throw new InputError('plusone events replay: give --seller S or --all (one of them). See "plusone events replay --help".');
  if (seller !== undefined) checkSeller(seller);
  if (values.local && values.remote) throw new InputError('give --local or --remote, not both');
  const mode = values.remote ? 'remote' : 'local';
  const d1 = wranglerD1({ mode, persistTo: values['persist-to'] as string | undefined, config: values.config as string | undefined });
  const replayed = await replayDeadLetters(d1, seller ?? null, (line) => {
    if (!values.json) io.err(line);
  });
  const total = { letters: 0, new_events: 0, skipped: 0 };
  for (const r of replayed) {
    total.letters += r.letters;
    total.new_events += r.new_events;
    total.skipped += r.skipped;
  }
  if (values.json) io.out(JSON.stringify({ d1: mode, sellers: replayed, ...total }));
  else
    io.out(
      replayed.length === 0
        ? `no dead letters${seller ? ` for ${seller}` : ''} in D1 (${mode})`
        : `${total.letters} dead letters replayed over ${replayed.length} seller${replayed.length === 1 ? '' : 's'}: ${total.new_events} new events stored, ${total.skipped} already stored or of deleted customers`,
    );
  return 0;
}

const SUBCOMMANDS: Record<string, { run: (argv: string[], io: Io) => Promise<number>; spec: CommandSpec }> = {
  replay: { run: replayCommand, spec: replaySpec },
};

/** `plusone events <subcommand>`. */
export async function eventsCommand(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.out([`plusone events: ${eventsSpec.summary}`, '', 'Usage:', ...Object.values(SUBCOMMANDS).map((s) => `  ${s.spec.usage}`)].join('\n'));
    return name === undefined ? 2 : 0;
  }
  const sub = SUBCOMMANDS[name];
  if (sub === undefined) throw new InputError(`plusone events: unknown subcommand "${name}"; use replay`);
  return sub.run(rest, io);
}
