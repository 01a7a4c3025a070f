import { InputError } from '../data/errors.js';
import { WranglerStore } from '../publish/store.js';
import type { OptionSpec } from './args.js';

/** The options of every command that reads or writes published state (KV, R2). */
export const storeOptions: Record<string, OptionSpec> = {
  local: { type: 'boolean', help: 'the local state that `wrangler dev` uses (the default)' },
  remote: { type: 'boolean', help: 'the Cloudflare account wrangler is logged in to' },
  'persist-to': { type: 'string', value: 'DIR', help: 'local state folder (wrangler --persist-to); default .wrangler/state' },
  config: { type: 'string', value: 'F', help: 'wrangler configuration with the KV and R2 bindings (default wrangler.toml)' },
};

/** The store those options name. */
export function storeFrom(values: Record<string, unknown>): WranglerStore {
  if (values.local && values.remote) throw new InputError('give --local or --remote, not both');
  return new WranglerStore({
    mode: values.remote ? 'remote' : 'local',
    ...(typeof values['persist-to'] === 'string' ? { persistTo: values['persist-to'] } : {}),
    ...(typeof values.config === 'string' ? { config: values.config } : {}),
  });
}
