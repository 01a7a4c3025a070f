export { authenticate, KeyLookup, requireSecret } from './authenticate.js';
export type { AuthOptions } from './authenticate.js';
export {
  KEY_ID_PATTERN,
  KEY_PATTERN,
  KEY_PREFIXES,
  KEY_SECRET_CHARS,
  KEY_TYPES,
  hashKey,
  keyHint,
  keyStorage,
  keyTypeOf,
  MAX_ORIGINS,
  normalizeOrigin,
  originAllowed,
  parseKeyIndex,
  parseKeyRecord,
  SELLER_PATTERN,
  toHex,
} from '../../core/storage/keys.js';
export type { KeyIndexEntry, KeyRecord, KeyType } from '../../core/storage/keys.js';
export { TokenBuckets } from './rate-limit.js';
export type { RateLimit, TakeResult } from './rate-limit.js';
