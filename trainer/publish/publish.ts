import { createHash } from 'node:crypto';
import { decodeArtifact } from '../../core/format/decode.js';
import { userRecordKey } from '../../core/format/user-record.js';
import { modelStorage, type ActivePointer } from '../../core/storage/pointer.js';
import { InputError } from '../data/errors.js';
import type { ModelStore } from './store.js';

/**
 * Publishing a seller's model. Storage layout (shared with the edge, see
 * spec/model-format.md):
 *
 *   R2  sellers/<S>/models/<V>/artifact.bin     the artifact, immutable
 *   R2  sellers/<S>/models/<V>/card.json        model card
 *   R2  sellers/<S>/models/<V>/customers.json   ids of the per-customer records
 *   KV  sellers/<S>/models/<V>/users/<C>        per-customer record, base64
 *   KV  sellers/<S>/versions                    published versions, oldest first
 *   KV  sellers/<S>/active                      the pointer the edge follows
 *
 * The pointer moves last, after everything was read back and verified, so a failure at
 * any step leaves the previous version serving.
 */

/** One entry of `sellers/<S>/versions`. */
interface VersionEntry {
  version: string;
  model: string;
  sha256: string;
  bytes: number;
  customers: number;
  published: string;
}

interface PublishInput {
  seller: string;
  artifact: Uint8Array;
  /** Per-customer records (base64 text). */
  customers?: { customer: string; record: string }[];
  card?: Record<string, unknown>;
  /** Versions kept (the active one always is); default 5. */
  keep?: number;
  /**
   * Move the seller's active pointer to the new version (default true). False only
   * refreshes the pointer of its model type (`sellers/<S>/active/<type>`), for A/B arms.
   */
  activate?: boolean;
  now?: Date;
  log?: (message: string) => void;
  /** Test hook: runs after the upload, before verification and the pointer move. */
  afterUpload?: () => Promise<void> | void;
}

const SELLER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function checkSeller(seller: string): void {
  if (!SELLER.test(seller)) {
    throw new InputError(`seller "${seller}" is not a valid id: use 1-64 letters, digits, "-" or "_", starting with a letter or digit`);
  }
}

export const keys = {
  active: modelStorage.active,
  activeOfType: modelStorage.activeOfType,
  versions: (s: string) => `sellers/${s}/versions`,
  prefix: (s: string, v: string) => `sellers/${s}/models/${v}`,
  artifact: modelStorage.artifact,
  card: (s: string, v: string) => `sellers/${s}/models/${v}/card.json`,
  customers: (s: string, v: string) => `sellers/${s}/models/${v}/customers.json`,
  /** The edge reads it back with the same function (the id percent-encoded). */
  customer: (s: string, v: string, c: string) => userRecordKey(s, v, c),
};

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The pointer and the version list of a seller. */
export async function readVersions(store: ModelStore, seller: string): Promise<{ active: ActivePointer | null; versions: VersionEntry[] }> {
  checkSeller(seller);
  const got = await store.getValues([keys.active(seller), keys.versions(seller)]);
  const activeText = got.get(keys.active(seller));
  const versionsText = got.get(keys.versions(seller));
  return {
    active: activeText ? (JSON.parse(activeText) as ActivePointer) : null,
    versions: versionsText ? (JSON.parse(versionsText) as VersionEntry[]) : [],
  };
}

/** Uploads, verifies, then activates a new version; prunes versions beyond `keep`. */
export async function publish(store: ModelStore, input: PublishInput): Promise<{ pointer: ActivePointer; pruned: string[] }> {
  const { seller, artifact } = input;
  checkSeller(seller);
  const log = input.log ?? (() => {});
  const keep = input.keep ?? 5;
  if (!Number.isInteger(keep) || keep < 1) throw new InputError(`--keep must be an integer >= 1, got ${keep}`);
  // Refuse a broken artifact before touching storage.
  const decoded = decodeArtifact(artifact);
  const digest = sha256(artifact);
  const now = input.now ?? new Date();
  const version = `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${digest.slice(0, 8)}`;
  const customers = input.customers ?? [];
  const { active, versions } = await readVersions(store, seller);
  if (versions.some((v) => v.version === version)) throw new Error(`version ${version} already exists; publish again in a second`);

  const uploaded = { objects: [] as string[], values: [] as string[] };
  try {
    log(`uploading ${artifact.length} bytes to ${keys.artifact(seller, version)}`);
    await store.putObject(keys.artifact(seller, version), artifact);
    uploaded.objects.push(keys.artifact(seller, version));
    const card = {
      seller,
      version,
      model: decoded.modelType,
      sha256: digest,
      bytes: artifact.length,
      items: decoded.itemCount,
      customers: customers.length,
      published: now.toISOString(),
      ...input.card,
    };
    await store.putObject(keys.card(seller, version), new TextEncoder().encode(JSON.stringify(card, null, 2)));
    uploaded.objects.push(keys.card(seller, version));
    await store.putObject(keys.customers(seller, version), new TextEncoder().encode(JSON.stringify(customers.map((c) => c.customer))));
    uploaded.objects.push(keys.customers(seller, version));
    if (customers.length > 0) {
      log(`writing ${customers.length} per-customer records`);
      const entries = customers.map((c) => ({ key: keys.customer(seller, version, c.customer), value: c.record }));
      await store.putValues(entries);
      uploaded.values.push(...entries.map((e) => e.key));
    }
    await input.afterUpload?.();

    log('reading everything back');
    const back = await store.getObject(keys.artifact(seller, version));
    if (!back || sha256(back) !== digest)
      throw new Error(`verification failed: ${keys.artifact(seller, version)} reads back ${back ? 'different bytes' : 'missing'}`);
    decodeArtifact(back);
    if (customers.length > 0) {
      const got = await store.getValues(customers.map((c) => keys.customer(seller, version, c.customer)));
      for (const c of customers) {
        if (got.get(keys.customer(seller, version, c.customer)) !== c.record)
          throw new Error(`verification failed: the record of customer ${c.customer} reads back different`);
      }
    }

    const entry: VersionEntry = {
      version,
      model: decoded.modelType,
      sha256: digest,
      bytes: artifact.length,
      customers: customers.length,
      published: now.toISOString(),
    };
    const pointer: ActivePointer = {
      version,
      model: decoded.modelType,
      artifact: keys.artifact(seller, version),
      sha256: digest,
      items: decoded.itemCount,
      customers: customers.length,
      published: now.toISOString(),
      previous: active?.version ?? null,
    };
    // The version list and the pointers in one write, after everything checked out.
    const activate = input.activate ?? true;
    await store.putValues([
      { key: keys.versions(seller), value: JSON.stringify([...versions, entry]) },
      ...(activate ? [{ key: keys.active(seller), value: JSON.stringify(pointer) }] : []),
      { key: keys.activeOfType(seller, decoded.modelType), value: JSON.stringify(pointer) },
    ]);
    log(`${activate ? `sellers/${seller}/active and ` : ''}sellers/${seller}/active/${decoded.modelType} -> ${version}`);
    const pruned = await prune(store, seller, keep, log);
    return { pointer, pruned };
  } catch (err) {
    // Best effort: remove what this attempt wrote; the pointer was never moved.
    for (const k of uploaded.objects) await store.deleteObject(k).catch(() => undefined);
    if (uploaded.values.length > 0) await store.deleteValues(uploaded.values).catch(() => undefined);
    throw err;
  }
}

/** Deletes the oldest versions beyond `keep`, never the active one nor the latest of a model type (A/B arms serve those). */
async function prune(store: ModelStore, seller: string, keep: number, log: (m: string) => void): Promise<string[]> {
  const { active, versions } = await readVersions(store, seller);
  if (versions.length <= keep) return [];
  const types = [...new Set(versions.map((v) => v.model))];
  const typed = await store.getValues(types.map((t) => keys.activeOfType(seller, t)));
  const pinned = new Set([active?.version]);
  for (const text of typed.values()) if (text) pinned.add((JSON.parse(text) as ActivePointer).version);
  const doomed = versions.slice(0, versions.length - keep).filter((v) => !pinned.has(v.version));
  for (const v of doomed) {
    const listed = await store.getObject(keys.customers(seller, v.version));
    const ids = listed ? (JSON.parse(new TextDecoder().decode(listed)) as string[]) : [];
    if (ids.length > 0) await store.deleteValues(ids.map((c) => keys.customer(seller, v.version, c)));
    for (const key of [keys.artifact(seller, v.version), keys.card(seller, v.version), keys.customers(seller, v.version)]) await store.deleteObject(key);
    log(`pruned version ${v.version}`);
  }
  const gone = new Set(doomed.map((v) => v.version));
  await store.putValue(keys.versions(seller), JSON.stringify(versions.filter((v) => !gone.has(v.version))));
  return [...gone];
}

/** Points the seller back at an earlier version (default: the one before the active one). */
export async function rollback(store: ModelStore, seller: string, to?: string): Promise<ActivePointer> {
  const { active, versions } = await readVersions(store, seller);
  if (!active) throw new InputError(`seller ${seller} has no published model to roll back`);
  let target: VersionEntry | undefined;
  if (to) {
    target = versions.find((v) => v.version === to);
    if (!target)
      throw new InputError(
        `version ${to} is not among ${seller}'s versions (${versions.map((v) => v.version).join(', ') || 'none'}); see "plusone versions --seller ${seller}"`,
      );
  } else {
    const i = versions.findIndex((v) => v.version === active.version);
    target = i > 0 ? versions[i - 1] : undefined;
    if (!target) throw new InputError(`seller ${seller} has no version older than the active ${active.version}`);
  }
  const bytes = await store.getObject(keys.artifact(seller, target.version));
  if (!bytes || sha256(bytes) !== target.sha256)
    throw new Error(`version ${target.version}: its artifact is ${bytes ? 'damaged' : 'missing'}; not rolling back to it`);
  const decoded = decodeArtifact(bytes);
  const pointer: ActivePointer = {
    version: target.version,
    model: target.model,
    artifact: keys.artifact(seller, target.version),
    sha256: target.sha256,
    items: decoded.itemCount,
    customers: target.customers,
    published: new Date().toISOString(),
    previous: active.version,
  };
  await store.putValues([
    { key: keys.active(seller), value: JSON.stringify(pointer) },
    { key: keys.activeOfType(seller, target.model), value: JSON.stringify(pointer) },
  ]);
  return pointer;
}
