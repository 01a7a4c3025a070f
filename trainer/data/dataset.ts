import { InputError } from './errors.js';
import type { FeatureRows } from './features.js';
import type { InteractionRows } from './interactions.js';
import { csrFromCoo } from './sparse.js';
import type { Csr } from './sparse.js';

/** A stable, insertion-ordered mapping between external ids and dense indices 0..size-1. */
export class IdMap {
  private readonly indexOf = new Map<string, number>();
  private readonly ids: string[] = [];

  /** Index of `id`, registering it at the end when new. */
  add(id: string): number {
    let index = this.indexOf.get(id);
    if (index === undefined) {
      index = this.ids.length;
      this.indexOf.set(id, index);
      this.ids.push(id);
    }
    return index;
  }

  /** Index of `id`, or undefined when it is not registered. */
  get(id: string): number | undefined {
    return this.indexOf.get(id);
  }

  /** External id at `index`. */
  id(index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= this.ids.length) {
      throw new RangeError(`index ${index} is out of range 0..${this.ids.length - 1}`);
    }
    return this.ids[index];
  }

  /** Number of registered ids. */
  get size(): number {
    return this.ids.length;
  }

  /** The ids in index order. */
  toJSON(): string[] {
    return this.ids.slice();
  }

  /** Rebuilds a map from `toJSON()` output; rejects non-strings and duplicates. */
  static fromJSON(ids: readonly string[]): IdMap {
    if (!Array.isArray(ids)) throw new InputError('id map: expected an array of ids');
    const map = new IdMap();
    ids.forEach((id, i) => {
      if (typeof id !== 'string') {
        throw new InputError(`id map: entry ${i} is ${JSON.stringify(id)}, not a string`);
      }
      if (map.add(id) !== i) {
        const first = map.get(id);
        throw new InputError(`id map: id ${JSON.stringify(id)} appears twice (entries ${first} and ${i})`);
      }
    });
    return map;
  }
}

/** Options of `Dataset`: whether each user (item) gets its own identity feature. */
interface DatasetOptions {
  userIdentity?: boolean;
  itemIdentity?: boolean;
}

/** What `Dataset.fit` registers ids and feature names from. */
interface FitInput {
  interactions?: InteractionRows[];
  /** Ids known without interactions or features (a catalog, a customer list). */
  users?: Iterable<string>;
  items?: Iterable<string>;
  userFeatures?: FeatureRows;
  itemFeatures?: FeatureRows;
}

/** What to do with an id that the dataset was not fitted with. */
type UnknownPolicy = 'skip' | 'error';

/** Interactions as indices: unique (user, item) pairs in CSR order, and the CSR itself. */
export interface DatasetInteractions {
  users: Int32Array;
  items: Int32Array;
  /** Summed weights of the merged duplicates (1 per input row when the input had none). */
  weights: Float32Array;
  /** Latest timestamp of each pair, or null when the input had none. */
  timestamps: Float64Array | null;
  /** users x items, values = weights. */
  csr: Csr;
  /** Input rows left out because their user or item is not in the dataset. */
  skippedUnknown: number;
}

/** Options of `buildUserFeatures`/`buildItemFeatures`: unknown ids or features (default error). */
interface FeatureOptions {
  unknown?: UnknownPolicy;
}

/** The serialised mappings of a Dataset (`dataset.json` in a model directory). */
export interface DatasetJSON {
  format: 'plusone-dataset';
  version: 1;
  userIdentity: boolean;
  itemIdentity: boolean;
  users: string[];
  items: string[];
  userFeatures: string[];
  itemFeatures: string[];
}

const DEFAULTS: Required<DatasetOptions> = { userIdentity: true, itemIdentity: true };

/**
 * The stable mapping from external user ids, item ids and feature names to matrix indices,
 * after LightFM's `Dataset`. `fit()` registers ids; the `build*` methods turn rows into
 * index arrays and CSR matrices; `toJSON()`/`fromJSON()` let evaluation rebuild the very
 * same matrices later.
 *
 * Feature matrix layout: row i is user (item) i; with identity features column i is its
 * identity feature (weight 1), and named features follow the identity block. Without
 * identity features an entity with no named features has an empty row, so a model can
 * only give it a zero representation.
 */
export class Dataset {
  readonly userIdentity: boolean;
  readonly itemIdentity: boolean;
  private userIds = new IdMap();
  private itemIds = new IdMap();
  private userFeatureIds = new IdMap();
  private itemFeatureIds = new IdMap();

  constructor(options: DatasetOptions = {}) {
    const o = { ...DEFAULTS, ...options };
    for (const key of ['userIdentity', 'itemIdentity'] as const) {
      if (typeof o[key] !== 'boolean') throw new TypeError(`${key} must be true or false`);
    }
    this.userIdentity = o.userIdentity;
    this.itemIdentity = o.itemIdentity;
  }

  /** User ids, in index order of the matrices. */
  get users(): IdMap {
    return this.userIds;
  }

  /** Item ids, in index order of the matrices. */
  get items(): IdMap {
    return this.itemIds;
  }

  /** Named user features (column = identity block size + index). */
  get userFeatures(): IdMap {
    return this.userFeatureIds;
  }

  /** Named item features (column = identity block size + index). */
  get itemFeatures(): IdMap {
    return this.itemFeatureIds;
  }

  /** Forgets all mappings, then registers ids and feature names from `input`. */
  fit(input: FitInput): this {
    this.userIds = new IdMap();
    this.itemIds = new IdMap();
    this.userFeatureIds = new IdMap();
    this.itemFeatureIds = new IdMap();
    return this.fitPartial(input);
  }

  /**
   * Registers new ids and feature names, keeping existing indices: users and items of the
   * interactions, in order, then the plain id lists, then the ids of the feature files (so
   * that an item known only by its features, a cold-start item, gets an index), then the
   * feature names.
   */
  fitPartial(input: FitInput): this {
    for (const rows of input.interactions ?? []) {
      for (const u of rows.users) this.userIds.add(u);
      for (const i of rows.items) this.itemIds.add(i);
    }
    for (const u of input.users ?? []) this.userIds.add(u);
    for (const i of input.items ?? []) this.itemIds.add(i);
    if (input.userFeatures) {
      for (const u of input.userFeatures.ids) this.userIds.add(u);
      for (const f of input.userFeatures.features) this.userFeatureIds.add(f);
    }
    if (input.itemFeatures) {
      for (const i of input.itemFeatures.ids) this.itemIds.add(i);
      for (const f of input.itemFeatures.features) this.itemFeatureIds.add(f);
    }
    return this;
  }

  /**
   * Maps interactions to indices and merges duplicate (user, item) pairs: weights are
   * summed, the latest timestamp is kept. Rows with an unknown user or item are skipped and
   * counted, or throw an InputError with `unknown: 'error'`.
   */
  buildInteractions(rows: InteractionRows, options: { unknown: UnknownPolicy }): DatasetInteractions {
    const n = rows.users.length;
    checkLength('items', rows.items.length, n);
    if (rows.weights) checkLength('weights', rows.weights.length, n);
    if (rows.timestamps) checkLength('timestamps', rows.timestamps.length, n);

    const rowIdx = new Int32Array(n);
    const colIdx = new Int32Array(n);
    const values = new Float32Array(n);
    const kept = new Int32Array(n);
    let m = 0;
    let skippedUnknown = 0;
    for (let r = 0; r < n; r++) {
      const u = this.userIds.get(rows.users[r]);
      const i = this.itemIds.get(rows.items[r]);
      if (u === undefined || i === undefined) {
        if (options.unknown === 'error') {
          const [what, id] = u === undefined ? ['user', rows.users[r]] : ['item', rows.items[r]];
          throw new InputError(
            `interaction ${r + 1}: ${what} ${JSON.stringify(id)} is not in the dataset. ` +
              `Fit the dataset with these interactions (or a feature file that lists the ${what}), ` +
              `or build them with unknown: 'skip'.`,
          );
        }
        skippedUnknown++;
        continue;
      }
      rowIdx[m] = u;
      colIdx[m] = i;
      values[m] = rows.weights ? rows.weights[r] : 1;
      kept[m] = r;
      m++;
    }

    const csr = csrFromCoo(this.userIds.size, this.itemIds.size, rowIdx.subarray(0, m), colIdx.subarray(0, m), values.subarray(0, m));
    const nnz = csr.indices.length;
    const users = new Int32Array(nnz);
    for (let u = 0; u < csr.rows; u++) users.fill(u, csr.indptr[u], csr.indptr[u + 1]);

    let timestamps: Float64Array | null = null;
    if (rows.timestamps) {
      timestamps = new Float64Array(nnz).fill(-Infinity);
      for (let j = 0; j < m; j++) {
        const p = findInRow(csr, rowIdx[j], colIdx[j]);
        const t = rows.timestamps[kept[j]];
        if (t > timestamps[p]) timestamps[p] = t;
      }
    }
    return {
      users,
      items: csr.indices.slice(),
      weights: csr.data.slice(),
      timestamps,
      csr,
      skippedUnknown,
    };
  }

  /** The users x user-features matrix; see the class comment for its layout. */
  buildUserFeatures(rows?: FeatureRows, normalize = true, options: FeatureOptions = {}): Csr {
    const side = { kind: 'user', ids: this.userIds, names: this.userFeatureIds } as const;
    return buildFeatures(side, this.userIdentity, rows, normalize, options.unknown ?? 'error');
  }

  /** The items x item-features matrix; see the class comment for its layout. */
  buildItemFeatures(rows?: FeatureRows, normalize = true, options: FeatureOptions = {}): Csr {
    const side = { kind: 'item', ids: this.itemIds, names: this.itemFeatureIds } as const;
    return buildFeatures(side, this.itemIdentity, rows, normalize, options.unknown ?? 'error');
  }

  /** Column names of the user (item) feature matrix: `id:<externalId>` for identity columns. */
  featureNames(kind: 'user' | 'item'): string[] {
    const [ids, features, identity] =
      kind === 'user' ? [this.userIds, this.userFeatureIds, this.userIdentity] : [this.itemIds, this.itemFeatureIds, this.itemIdentity];
    const names = identity ? ids.toJSON().map((id) => `id:${id}`) : [];
    return names.concat(features.toJSON());
  }

  /** The mappings, for a model directory. */
  toJSON(): DatasetJSON {
    return {
      format: 'plusone-dataset',
      version: 1,
      userIdentity: this.userIdentity,
      itemIdentity: this.itemIdentity,
      users: this.userIds.toJSON(),
      items: this.itemIds.toJSON(),
      userFeatures: this.userFeatureIds.toJSON(),
      itemFeatures: this.itemFeatureIds.toJSON(),
    };
  }

  /** Rebuilds a Dataset from `toJSON()` output, checking its shape. */
  static fromJSON(json: unknown): Dataset {
    const o = json as Partial<Record<keyof DatasetJSON, unknown>> | null;
    if (typeof o !== 'object' || o === null || o.format !== 'plusone-dataset') {
      throw new InputError('dataset mapping: not a PlusOne dataset (expected "format": "plusone-dataset")');
    }
    if (o.version !== 1) {
      const version = JSON.stringify(o.version);
      throw new InputError(`dataset mapping: version ${version} is not supported (supported: 1)`);
    }
    for (const key of ['userIdentity', 'itemIdentity'] as const) {
      if (typeof o[key] !== 'boolean') {
        throw new InputError(`dataset mapping: "${key}" must be true or false`);
      }
    }
    const dataset = new Dataset({
      userIdentity: o.userIdentity as boolean,
      itemIdentity: o.itemIdentity as boolean,
    });
    const maps = (['users', 'items', 'userFeatures', 'itemFeatures'] as const).map((key) => {
      try {
        return IdMap.fromJSON(o[key] as string[]);
      } catch (err) {
        const reason = (err as Error).message.replace(/^id map: /, '');
        throw new InputError(`dataset mapping: "${key}": ${reason}`);
      }
    });
    [dataset.userIds, dataset.itemIds, dataset.userFeatureIds, dataset.itemFeatureIds] = maps;
    return dataset;
  }
}

function checkLength(name: string, length: number, expected: number): void {
  if (length !== expected) {
    throw new RangeError(`interactions: ${name} has ${length} entries but users has ${expected}`);
  }
}

/** Position of (row, col) in `m`'s arrays; the pair must be present. */
function findInRow(m: Csr, row: number, col: number): number {
  let lo = m.indptr[row];
  let hi = m.indptr[row + 1] - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (m.indices[mid] < col) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One side of the dataset: its entities and its named features. */
interface Side {
  kind: 'user' | 'item';
  ids: IdMap;
  names: IdMap;
}

function buildFeatures({ kind, ids, names }: Side, identity: boolean, rows: FeatureRows | undefined, normalize: boolean, unknown: UnknownPolicy): Csr {
  const entities = ids.size;
  const offset = identity ? entities : 0;
  const given = rows ? rows.ids.length : 0;
  if (rows) {
    if (rows.features.length !== given || (rows.weights && rows.weights.length !== given)) {
      throw new RangeError(`${kind} features: ids, features and weights differ in length`);
    }
  }
  const total = offset + given;
  const rowIdx = new Int32Array(total);
  const colIdx = new Int32Array(total);
  const values = new Float32Array(total);
  let m = 0;
  for (let e = 0; e < offset; e++) {
    rowIdx[m] = e;
    colIdx[m] = e;
    values[m] = 1;
    m++;
  }
  for (let r = 0; r < given; r++) {
    const e = ids.get(rows!.ids[r]);
    const f = names.get(rows!.features[r]);
    if (e === undefined || f === undefined) {
      if (unknown === 'error') {
        const what = e === undefined ? `${kind} ${JSON.stringify(rows!.ids[r])}` : `feature ${JSON.stringify(rows!.features[r])}`;
        throw new InputError(
          `${kind} features, row ${r + 1}: ${what} is not in the dataset. ` + `Fit the dataset with this feature file, or pass unknown: 'skip'.`,
        );
      }
      continue;
    }
    rowIdx[m] = e;
    colIdx[m] = offset + f;
    values[m] = rows!.weights ? rows!.weights[r] : 1;
    m++;
  }
  const csr = csrFromCoo(entities, offset + names.size, rowIdx.subarray(0, m), colIdx.subarray(0, m), values.subarray(0, m));
  if (normalize) normalizeRows(csr);
  return csr;
}

/** Divides each row by the sum of its absolute values (LightFM's `normalize=True`). */
function normalizeRows(m: Csr): void {
  for (let r = 0; r < m.rows; r++) {
    const start = m.indptr[r];
    const end = m.indptr[r + 1];
    let sum = 0;
    for (let p = start; p < end; p++) sum += Math.abs(m.data[p]);
    if (sum === 0) continue;
    for (let p = start; p < end; p++) m.data[p] /= sum;
  }
}
