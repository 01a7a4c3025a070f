import { dirname, join, resolve } from 'node:path';
import { InputError } from '../data/errors.js';
import { ProxyStore, ramFolder } from '../publish/proxy-store.js';
import { type ModelStore, WranglerStore } from '../publish/store.js';
import type { OptionSpec } from './args.js';

/** The options of every command that reads or writes published state (KV, R2). */
export const storeOptions: Record<string, OptionSpec> = {
  local: { type: 'boolean', help: 'the local state that `wrangler dev` uses (the default)' },
  remote: { type: 'boolean', help: 'the Cloudflare account wrangler is logged in to' },
  'persist-to': { type: 'string', value: 'DIR', help: 'local state folder (wrangler --persist-to); default .wrangler/state beside the configuration' },
  config: { type: 'string', value: 'F', help: 'wrangler configuration with the KV and R2 bindings (default wrangler.toml)' },
};

interface OpenOptions {
  /**
   * Build a state that does not exist yet in memory (/dev/shm) and move it into place at the
   * end: for publishing many records. Ctrl-C still moves what was written into place, so
   * that the same publish run again resumes.
   */
  stage?: boolean;
  /** Told about remote retries. */
  log?: (message: string) => void;
}

/**
 * Runs `fn` on the store the options name, closing it afterwards. Local: one local runtime
 * over the state `wrangler dev` reads (ProxyStore), the state folder as wrangler finds it
 * (`--persist-to`, else `.wrangler/state` beside the configuration). Remote: wrangler's
 * commands against the account (WranglerStore).
 */
export async function withStore<T>(values: Record<string, unknown>, fn: (store: ModelStore) => Promise<T>, options: OpenOptions = {}): Promise<T> {
  if (values.local && values.remote) throw new InputError('give --local or --remote, not both');
  const config = typeof values.config === 'string' ? values.config : undefined;
  if (values.remote) return fn(new WranglerStore({ mode: 'remote', ...(config ? { config } : {}), ...(options.log ? { log: options.log } : {}) }));
  const persistTo = typeof values['persist-to'] === 'string' ? values['persist-to'] : join(dirname(resolve(config ?? 'wrangler.toml')), '.wrangler', 'state');
  const before = new Set(process.listeners('SIGINT'));
  const store = await ProxyStore.open({ persistTo, ...(config ? { config } : {}), stageIn: options.stage ? ramFolder() : null });
  // Miniflare's own Ctrl-C handler stops the runtime and exits at once (a staged state is
  // then lost): while the command runs, ours closes the store first. A second Ctrl-C kills.
  const runtimes = process.listeners('SIGINT').filter((l) => !before.has(l));
  for (const l of runtimes) process.removeListener('SIGINT', l);
  const interrupted = () => {
    process.stderr.write(`\ninterrupted: closing ${store.description}\n`);
    store.dispose().then(
      () => process.exit(130),
      (err: unknown) => {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exit(130);
      },
    );
  };
  process.once('SIGINT', interrupted);
  try {
    return await fn(store);
  } finally {
    process.removeListener('SIGINT', interrupted);
    await store.dispose();
  }
}
