/**
 * Constants and enums of the model artifact, format version 1. The numbers are those of
 * `spec/model-format.md`; change them only together with the spec and the format version.
 */

/** First four bytes of an artifact: ASCII "P1MA" (PlusOne Model Artifact). */
export const MAGIC = Uint8Array.of(0x50, 0x31, 0x4d, 0x41);
/** The format version this code reads and writes. */
export const FORMAT_VERSION = 1;
/** Size of the fixed header. */
export const HEADER_BYTES = 32;
/** Size of one section table entry. */
export const SECTION_ENTRY_BYTES = 24;

/** Header field offsets. */
export const HEADER = {
  magic: 0,
  version: 4,
  modelType: 5,
  quantization: 6,
  sectionCount: 7,
  flags: 8,
  dim: 12,
  itemCount: 16,
  fileLength: 20,
  tableChecksum: 24,
  headerChecksum: 28,
} as const;

/** Section table entry field offsets. */
export const ENTRY = {
  kind: 0,
  encoding: 2,
  offset: 4,
  byteLength: 8,
  count: 12,
  extra: 16,
  checksum: 20,
} as const;

/**
 * Model types of an artifact, with their code in the header. This is the edge's own list of
 * model kinds (the worker does not import the trainer); the trainer's registry
 * (trainer/models/registry.ts) must name the same kinds, which test/registry.test.ts checks.
 */
export const MODEL_TYPES = { lightfm: 1, 'item-knn': 2, 'user-knn': 3, popularity: 4 } as const;
export type ModelType = keyof typeof MODEL_TYPES;
/** The model types, in code order. */
export const MODEL_TYPE_NAMES = Object.keys(MODEL_TYPES) as ModelType[];

/**
 * How the edge answers with a model of each type: item vectors (dot products), sparse item
 * neighbours, precomputed per-customer lists, or a ranking.
 */
export const ANSWERS_WITH: Readonly<Record<ModelType, 'vectors' | 'neighbours' | 'user-lists' | 'ranking'>> = {
  lightfm: 'vectors',
  'item-knn': 'neighbours',
  'user-knn': 'user-lists',
  popularity: 'ranking',
};

/** The recommendation surfaces: basket (cart -> items to add), similar (item -> items), for-you (customer or session -> items). */
export const SURFACES = ['basket', 'similar', 'for-you'] as const;
export type Surface = (typeof SURFACES)[number];

/**
 * The surfaces a model of each type answers at the edge from its artifact, as it is
 * evaluated. user-knn keeps precomputed per-customer lists only: it cannot answer a cart
 * (least of all an anonymous one) or an item, so those surfaces are not served by it: the
 * edge answers them from the fallback ranking (`"fallback": true`), the evaluation shows
 * them as "not served", and the retrain pipeline never makes such a model the seller's
 * active one. The trainer's registry repeats this per kind (ModelKind.surfaces).
 */
export const SERVED_SURFACES: Readonly<Record<ModelType, readonly Surface[]>> = {
  lightfm: SURFACES,
  'item-knn': SURFACES,
  'user-knn': ['for-you'],
  popularity: SURFACES,
};

/** Quantisation schemes (also the per-section encoding byte). */
export const QUANTIZATIONS = { f32: 0, f16: 1, int8: 2 } as const;
export type Quantization = keyof typeof QUANTIZATIONS;

/** Section kinds. */
export const SECTION_KINDS = {
  'item-ids': 1,
  'item-vectors': 2,
  'item-biases': 3,
  neighbours: 4,
  popularity: 5,
  trending: 6,
  catalog: 7,
  meta: 8,
  history: 9,
  'item-features': 10,
} as const;
export type SectionKind = keyof typeof SECTION_KINDS;

/** Header flag bits. */
export const FLAGS = {
  /** Per-customer records are published for this version. */
  userRecords: 1 << 0,
} as const;
/** Flag bits 16-31 must be understood by a reader; bits 0-15 may be ignored. */
export const REQUIRED_FLAG_MASK = 0xffff0000;
/** All flag bits this version knows. */
export const KNOWN_FLAGS = FLAGS.userRecords;

/** Bits of the `history` section's flags: which surfaces may answer what the customer bought before. */
export const HISTORY_FLAGS = { repeatBasket: 1 << 0, repeatForYou: 1 << 1 } as const;
/** Byte length of the `history` section. */
export const HISTORY_SECTION_BYTES = 16;

/** Bits of the `item-features` section's flags. */
export const ITEM_FEATURES_FLAGS = {
  /** An item's feature weights are divided by the sum of their absolute values before they are summed (LightFM's normalize=True). */
  normalised: 1 << 0,
  /** Every item of the training had its own identity feature (weight 1) beside its named features. */
  identity: 1 << 1,
} as const;

/** Sections every artifact of a model type must have, beyond `item-ids` and `meta`. */
export const REQUIRED_SECTIONS: Readonly<Record<ModelType, readonly SectionKind[]>> = {
  lightfm: ['item-vectors', 'item-biases'],
  'item-knn': ['neighbours'],
  'user-knn': [],
  popularity: ['popularity'],
};

/** Catalog per-item flag bits. */
export const CATALOG_FLAGS = { listed: 1, stockKnown: 2, inStock: 4 } as const;
/** Most prefixes a catalog string table may have (u16 prefix indices). */
export const MAX_PREFIXES = 65536;

/** First four bytes of a per-customer record: ASCII "P1UR". */
export const USER_RECORD_MAGIC = Uint8Array.of(0x50, 0x31, 0x55, 0x52);
/** The per-customer record version of records without a history block (written for them, so their bytes never changed). */
export const USER_RECORD_VERSION = 1;
/** The per-customer record version of records with a history block (and of every `history` record). */
export const USER_RECORD_VERSION_HISTORY = 2;
/** Size of a per-customer record's header. */
export const USER_RECORD_HEADER_BYTES = 24;
/** Per-customer record kinds. */
export const USER_RECORD_KINDS = { 'user-vector': 1, 'top-items': 2, history: 3 } as const;

/** The name of an enum value, or undefined when the number is not in the table. */
export function nameOf<K extends string>(table: Readonly<Record<K, number>>, value: number): K | undefined {
  for (const key of Object.keys(table) as K[]) if (table[key] === value) return key;
  return undefined;
}

/** The first multiple of 8 at or after `x`. */
export function align8(x: number): number {
  return x + ((8 - (x % 8)) % 8);
}
