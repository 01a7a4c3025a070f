import type { KeyType } from '../../core/storage/keys.js';
import { createApiKey } from '../../trainer/publish/api-keys.js';
import type { ModelStore } from '../../trainer/publish/store.js';

export { keyIsLive } from '../../trainer/publish/api-keys.js';

/** Creates a key for `seller` in `store` (the layout `plusone keys create` writes) and returns it. */
export async function createKey(store: ModelStore, seller: string, type: KeyType, origins: string[] = []): Promise<string> {
  return (await createApiKey(store, { seller, type, origins })).key;
}
