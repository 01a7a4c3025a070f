import { canonicalOrigins } from '../../core/storage/key-admin.js';
import { KEY_TYPES, type KeyType } from '../../core/storage/keys.js';
import { InputError } from '../data/errors.js';
import { createApiKey, readKeyIndex, revokeApiKey } from '../publish/api-keys.js';
import { checkSeller } from '../publish/publish.js';
import { choiceOption, helpText, numberOption, parseCommand, type CommandSpec } from './args.js';
import { storeOptions, withStore } from './store-options.js';
import type { Io } from './io.js';

/**
 * `plusone keys create | revoke | list`: the API keys of a seller, in the KV layout of
 * core/storage/keys.ts (spec/edge-api.md). A key is printed once, when it is created;
 * only its SHA-256 is stored.
 */

export const keysSpec: CommandSpec = {
  name: 'keys',
  summary: "create, revoke and list a seller's API keys",
  usage: 'plusone keys create|revoke|list --seller S [options]   (plusone keys <subcommand> --help)',
  options: {},
};

const createSpec: CommandSpec = {
  name: 'keys create',
  summary: 'create an API key; it is printed once, only its hash is stored',
  usage: 'plusone keys create --seller S --type publishable|secret [--origins https://shop.example,…] [--rps N] [--burst N] [--local | --remote] [--json]',
  options: {
    seller: { type: 'string', value: 'S', help: 'seller id', required: true },
    type: {
      type: 'string',
      value: 'T',
      help: 'publishable (pk_, for browsers: recommendations and events) or secret (sk_, servers and admin)',
      required: true,
    },
    origins: { type: 'string', value: 'LIST', help: 'publishable keys: comma-separated origins allowed to use the key (https://shop.example), or * for any' },
    rps: { type: 'string', value: 'N', help: "rate limit, requests per second per isolate (default: the worker's, 50)" },
    burst: { type: 'string', value: 'N', help: "burst size of the rate limit (default: the worker's, 100)" },
    ...storeOptions,
    json: { type: 'boolean', help: 'print one JSON line with the key' },
  },
};

const revokeSpec: CommandSpec = {
  name: 'keys revoke',
  summary: 'revoke an API key by its id; requests with it get 401 from then on',
  usage: 'plusone keys revoke --seller S --key-id ID [--local | --remote] [--json]',
  options: {
    seller: { type: 'string', value: 'S', help: 'seller id', required: true },
    'key-id': { type: 'string', value: 'ID', help: 'the key id (key_…) printed by "keys create" or "keys list"', required: true },
    ...storeOptions,
    json: { type: 'boolean', help: 'print one JSON line' },
  },
};

const listSpec: CommandSpec = {
  name: 'keys list',
  summary: "list a seller's keys (ids, types, origins, hints; never the keys)",
  usage: 'plusone keys list --seller S [--local | --remote] [--json]',
  options: {
    seller: { type: 'string', value: 'S', help: 'seller id', required: true },
    ...storeOptions,
    json: { type: 'boolean', help: 'print one JSON line' },
  },
};

function parseOrigins(text: string | undefined, type: KeyType): string[] {
  if (text === undefined) return [];
  if (type === 'secret') throw new InputError('--origins is for publishable keys; secret keys are never used from a browser');
  try {
    return canonicalOrigins(text.split(','));
  } catch (err) {
    throw new InputError(`--origins: ${(err as Error).message}`);
  }
}

/** `plusone keys create`. */
async function createCommand(argv: string[], io: Io): Promise<number> {
  const { values, help } = parseCommand(createSpec, argv);
  if (help) {
    io.out(helpText(createSpec));
    return 0;
  }
  const seller = values.seller as string;
  checkSeller(seller);
  const type = choiceOption(values, 'type', KEY_TYPES);
  const origins = parseOrigins(values.origins as string | undefined, type);
  const rps = values.rps === undefined ? null : numberOption(values, 'rps', { exclusiveMin: 0, max: 1e6 });
  const burst = values.burst === undefined ? null : numberOption(values, 'burst', { integer: true, min: 1, max: 1e6 });
  const { key, record, description } = await withStore(values, async (store) => ({
    ...(await createApiKey(store, { seller, type, origins, rps, burst })),
    description: store.description,
  }));
  if (values.json) {
    io.out(JSON.stringify({ seller, id: record.id, type, key, origins, rps, burst, created: record.created, store: description }));
  } else {
    io.out(key);
    io.err(`created ${type} key ${record.id} for ${seller} in ${description}. The key above is shown only now: store it safely.`);
  }
  if (type === 'publishable' && origins.length === 0) {
    io.err('warning: this publishable key lists no origins, so browsers cannot use it; pass --origins https://your.shop (or *) to allow a storefront');
  }
  return 0;
}

/** `plusone keys revoke`. */
async function revokeCommand(argv: string[], io: Io): Promise<number> {
  const { values, help } = parseCommand(revokeSpec, argv);
  if (help) {
    io.out(helpText(revokeSpec));
    return 0;
  }
  const seller = values.seller as string;
  checkSeller(seller);
  const id = values['key-id'] as string;
  const { entry, already } = await withStore(values, async (store) => {
    const done = await revokeApiKey(store, seller, id);
    if (done === null) {
      const index = await readKeyIndex(store, seller);
      throw new InputError(
        `seller ${seller} has no key ${id} (its keys: ${index.map((e) => e.id).join(', ') || 'none'}); see "plusone keys list --seller ${seller}"`,
      );
    }
    return done;
  });
  const revoked = entry.revoked!;
  if (values.json) io.out(JSON.stringify({ seller, id, revoked, already }));
  else
    io.out(
      already ? `${seller}: key ${id} was already revoked on ${revoked}` : `${seller}: revoked key ${id} (${entry.hint}); the edge refuses it within a minute`,
    );
  return 0;
}

/** `plusone keys list`. */
async function listCommand(argv: string[], io: Io): Promise<number> {
  const { values, help } = parseCommand(listSpec, argv);
  if (help) {
    io.out(helpText(listSpec));
    return 0;
  }
  const seller = values.seller as string;
  checkSeller(seller);
  const index = await withStore(values, (store) => readKeyIndex(store, seller));
  const shown = index.map(({ hash: _hash, ...e }) => e);
  if (values.json) {
    io.out(JSON.stringify({ seller, keys: shown }));
    return 0;
  }
  if (index.length === 0) io.out(`${seller}: no keys`);
  for (const e of index) {
    io.out(`${e.id}  ${e.type.padEnd(11)} ${e.hint}  ${e.revoked ? `revoked ${e.revoked}` : 'active'}  ${e.origins.join(',') || '-'}  created ${e.created}`);
  }
  return 0;
}

const SUBCOMMANDS: Record<string, { run: (argv: string[], io: Io) => Promise<number>; spec: CommandSpec }> = {
  create: { run: createCommand, spec: createSpec },
  revoke: { run: revokeCommand, spec: revokeSpec },
  list: { run: listCommand, spec: listSpec },
};

function keysHelp(): string {
  return [
    `plusone keys: ${keysSpec.summary}`,
    '',
    'Usage:',
    ...Object.values(SUBCOMMANDS).map((s) => `  ${s.spec.usage}`),
    '',
    'Run "plusone keys <subcommand> --help" for the options of each.',
  ].join('\n');
}

/** `plusone keys <subcommand>`. */
export async function keysCommand(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.out(keysHelp());
    return name === undefined ? 2 : 0;
  }
  const sub = SUBCOMMANDS[name];
  if (sub === undefined) throw new InputError(`plusone keys: unknown subcommand "${name}"; use create, revoke or list`);
  return sub.run(rest, io);
}
