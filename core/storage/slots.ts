/**
 * Slots and the serving configuration (spec/model-format.md, "Slots, pointers and the serving
 * configuration"): the names, the KV keys, the parsers of what is stored, the rule of which
 * model type may serve which surface, and the listing of a seller's slots. Shared by the
 * publisher (trainer/publish/) and the edge (functions/), so both read and write one layout.
 *
 *   KV sellers/<S>/slots/<slot>/active         the slot's pointer
 *   KV sellers/<S>/slots/<slot>/versions/<V>   one value per kept version of the slot
 *   KV sellers/<S>/serving                     the serving configuration (one value)
 *   KV sellers/<S>/pending/<id>                one value per publish under way
 */
import { MODEL_TYPE_NAMES, SERVED_SURFACES, SURFACES, type ModelType } from '../format/spec.js';
import { modelStorage, parseCustomerShards, type ActivePointer, type CustomerShards } from './pointer.js';

/** A slot name: lowercase letters, digits and `-`, 1 to 32 characters, starting with a letter or digit. */
export const SLOT_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** Names no slot may take: an experiment arm `none` shows nothing. */
export const RESERVED_SLOT_NAMES: readonly string[] = ['none'];

/** Why `name` is not a slot name, or null when it is one. */
export function slotNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'a slot name must be text';
  if (!SLOT_PATTERN.test(name))
    return `slot "${name.slice(0, 40)}" is not a valid name: use 1-32 lowercase letters, digits or "-", starting with a letter or digit (e.g. warp, ease, lookalike)`;
  if (RESERVED_SLOT_NAMES.includes(name)) return `slot "${name}" is reserved (an experiment arm "none" shows nothing); choose another name`;
  return null;
}

/** The rules of a serving configuration: the three surfaces, and `new-items` for queries whose items the surface's model does not know. */
export const RULE_NAMES = [...SURFACES, 'new-items'] as const;
export type RuleName = (typeof RULE_NAMES)[number];
/** The rules that are surfaces (every rule but `new-items`). */
export const SURFACE_RULES: readonly RuleName[] = SURFACES;

/**
 * Whether a model type may answer a rule: a surface it serves at the edge (SERVED_SURFACES),
 * and for `new-items` a type that answers from an item (it answers `similar`).
 */
export function typeServesRule(type: string, rule: RuleName): boolean {
  const served = SERVED_SURFACES[type as ModelType] as readonly string[] | undefined;
  if (served === undefined) return false;
  return served.includes(rule === 'new-items' ? 'similar' : rule);
}

/** The model types that may answer a rule (for messages). */
export function typesServingRule(rule: RuleName): ModelType[] {
  return MODEL_TYPE_NAMES.filter((t) => typeServesRule(t, rule));
}

/** One rule: the slot that answers, and the slot that answers when it cannot. */
export interface ServingRule {
  slot: string;
  fallback: string | null;
}

/** What `sellers/<S>/serving` holds. */
export interface ServingConfig {
  surfaces: Partial<Record<RuleName, ServingRule>>;
  /** ISO 8601, when it was last written. */
  updated: string;
}

/** KV keys of the slots' layout. */
export const slotStorage = {
  pointer: (seller: string, slot: string) => `sellers/${seller}/slots/${slot}/active`,
  versionsPrefix: (seller: string, slot: string) => `sellers/${seller}/slots/${slot}/versions/`,
  version: (seller: string, slot: string, version: string) => `sellers/${seller}/slots/${slot}/versions/${version}`,
  /** Every slot's pointer and version entries are under this prefix. */
  slotsPrefix: (seller: string) => `sellers/${seller}/slots/`,
  serving: (seller: string) => `sellers/${seller}/serving`,
  pendingPrefix: (seller: string) => `sellers/${seller}/pending/`,
  pending: (seller: string, id: string) => `sellers/${seller}/pending/${id}`,
  /** Before the slots: the seller's one version list, and the list of pending publishes. */
  legacyVersions: (seller: string) => `sellers/${seller}/versions`,
  legacyPending: (seller: string) => `sellers/${seller}/pending`,
};

/** What a key under `slotsPrefix(seller)` is: a slot's pointer or one of its version entries; null for anything else. */
export function parseSlotKey(seller: string, key: string): { slot: string; version: string | null } | null {
  const prefix = slotStorage.slotsPrefix(seller);
  if (!key.startsWith(prefix)) return null;
  const parts = key.slice(prefix.length).split('/');
  if (slotNameProblem(parts[0]) !== null) return null;
  if (parts.length === 2 && parts[1] === 'active') return { slot: parts[0], version: null };
  if (parts.length === 3 && parts[1] === 'versions' && VERSION.test(parts[2])) return { slot: parts[0], version: parts[2] };
  return null;
}

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** A version as listed: one KV value per version (`slotStorage.version`), or an entry of the older list. */
export interface VersionEntry {
  slot: string;
  version: string;
  /** Model type of the artifact. */
  model: string;
  sha256: string;
  bytes: number;
  items: number;
  customers: number;
  published: string;
  /** Absent for versions published before the shards (records in KV). */
  customerShards?: CustomerShards;
  /** The numeric figures of the version's model card ({@link cardMetrics}). */
  metrics?: Record<string, number>;
}

function object(text: string, where: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${where} is not JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where} is not a JSON object`);
  return raw as Record<string, unknown>;
}

/**
 * Checks a version entry (`raw`, parsed JSON) found at `where`; `slot` is the slot it is
 * listed in (entries of the older list have none: their slot is their model type).
 */
export function versionEntryFrom(raw: Record<string, unknown>, where: string, slot?: string): VersionEntry {
  const bad = (field: string) => new Error(`${where} has a missing or invalid ${field}`);
  if (typeof raw.version !== 'string' || !VERSION.test(raw.version)) throw bad('version');
  if (typeof raw.model !== 'string' || raw.model === '') throw bad('model');
  if (typeof raw.sha256 !== 'string' || !SHA256.test(raw.sha256)) throw bad('sha256');
  const entrySlot = slot ?? (typeof raw.slot === 'string' ? raw.slot : raw.model);
  if (slotNameProblem(entrySlot) !== null) throw bad('slot');
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const entry: VersionEntry = {
    slot: entrySlot,
    version: raw.version,
    model: raw.model,
    sha256: raw.sha256,
    bytes: num(raw.bytes),
    items: num(raw.items),
    customers: num(raw.customers),
    published: typeof raw.published === 'string' ? raw.published : '',
  };
  if (raw.customerShards !== undefined) entry.customerShards = parseCustomerShards(raw.customerShards, where);
  const metrics = numericFigures(raw.metrics);
  if (metrics !== null) entry.metrics = metrics;
  return entry;
}

/** Reads a version entry stored under `key` (the slot is the key's). */
export function parseVersionEntry(text: string, key: string, slot: string): VersionEntry {
  return versionEntryFrom(object(text, `the version entry ${key}`), `the version entry ${key}`, slot);
}

/** The entries of the older version list `sellers/<S>/versions` (each in the slot named by its model type). */
export function parseLegacyVersions(text: string, seller: string): VersionEntry[] {
  const key = slotStorage.legacyVersions(seller);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${key} is not JSON`);
  }
  if (!Array.isArray(raw)) throw new Error(`${key} is not a JSON list`);
  return raw.map((e, i) => {
    if (typeof e !== 'object' || e === null) throw new Error(`${key}[${i}] is not an object`);
    return versionEntryFrom(e as Record<string, unknown>, `${key}[${i}]`);
  });
}

/** The finite numbers of an object, by name (nested objects and other values left out); null when there are none. */
function numericFigures(raw: unknown): Record<string, number> | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * The figures of a model card to list beside its version: `card.metrics.candidate` (the
 * served figures the retrain pipeline writes), else the numbers of `card.metrics`.
 */
export function cardMetrics(card: unknown): Record<string, number> | null {
  if (typeof card !== 'object' || card === null) return null;
  const metrics = (card as Record<string, unknown>).metrics;
  if (typeof metrics !== 'object' || metrics === null) return null;
  return numericFigures((metrics as Record<string, unknown>).candidate) ?? numericFigures(metrics);
}

/** Checks one rule's shape (not what is published); returns it, or why it is not a rule. */
function ruleFrom(raw: unknown, rule: RuleName): ServingRule | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `${rule} is not an object {"slot","fallback"}`;
  const r = raw as Record<string, unknown>;
  const slotProblem = slotNameProblem(r.slot);
  if (slotProblem !== null) return `${rule}.slot: ${slotProblem}`;
  const fallback = r.fallback ?? null;
  if (fallback !== null) {
    const problem = slotNameProblem(fallback);
    if (problem !== null) return `${rule}.fallback: ${problem}`;
    if (fallback === r.slot) return `${rule}.fallback is the slot itself`;
  }
  return { slot: r.slot as string, fallback: fallback as string | null };
}

/**
 * Reads a stored serving configuration. A rule that does not parse is left out and named in
 * `problems` (the other rules still serve); a value that is not an object throws.
 */
export function parseServingConfig(text: string, seller: string): { config: ServingConfig; problems: string[] } {
  const key = slotStorage.serving(seller);
  const raw = object(text, `the serving configuration ${key}`);
  const surfaces = raw.surfaces;
  if (typeof surfaces !== 'object' || surfaces === null || Array.isArray(surfaces)) throw new Error(`the serving configuration ${key} has no surfaces object`);
  const config: ServingConfig = { surfaces: {}, updated: typeof raw.updated === 'string' ? raw.updated : '' };
  const problems: string[] = [];
  for (const [name, value] of Object.entries(surfaces as Record<string, unknown>)) {
    if (!(RULE_NAMES as readonly string[]).includes(name)) {
      problems.push(`${key}: unknown surface "${name.slice(0, 40)}"`);
      continue;
    }
    if (value === null) continue;
    const rule = ruleFrom(value, name as RuleName);
    if (typeof rule === 'string') problems.push(`${key}: ${rule}`);
    else config.surfaces[name as RuleName] = rule;
  }
  return { config, problems };
}

/**
 * Why `rule` cannot serve `surface` given the kinds of the seller's slots (`kindOf(slot)`:
 * the model type its pointer names, or null for an empty slot), or null when it can.
 */
export function ruleProblem(surface: RuleName, rule: ServingRule, kindOf: (slot: string) => string | null): string | null {
  for (const [role, slot] of [
    ['slot', rule.slot],
    ['fallback', rule.fallback],
  ] as const) {
    if (slot === null) continue;
    const kind = kindOf(slot);
    if (kind === null) return `${surface}: ${role} "${slot}" is empty (nothing is published in it); publish into it first (plusone publish --slot ${slot})`;
    if (!typeServesRule(kind, surface)) {
      const served = (SERVED_SURFACES[kind as ModelType] as readonly string[] | undefined) ?? [];
      return `${surface}: ${role} "${slot}" holds a ${kind} model, which does not serve ${surface} (it serves ${served.join(', ') || 'nothing'}); choose a slot of kind ${typesServingRule(surface).join(', ')}`;
    }
  }
  return null;
}

/**
 * Oldest first: by the publish time (milliseconds, ISO 8601), then by name (versions of the
 * same second are not ordered by their names, whose end is a hash).
 */
export function byPublished(a: Pick<VersionEntry, 'published' | 'version'>, b: Pick<VersionEntry, 'published' | 'version'>): number {
  if (a.published !== b.published) return a.published < b.published ? -1 : 1;
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

/** One slot as listed (`GET …/models`, `plusone versions`). */
export interface SlotListing {
  slot: string;
  /** The model type of its current version; null when it has no pointer. */
  kind: string | null;
  current: string | null;
  /** The rules that name it, as the slot or as the fallback (`basket`, `for-you (fallback)`, …). */
  serves: string[];
  versions: (VersionEntry & { current: boolean })[];
}

/** What a seller has stored, as read for a listing. */
export interface StoredSlots {
  /** Pointers of slots (`sellers/<S>/slots/<slot>/active`). */
  pointers: Map<string, ActivePointer>;
  /** Version entries of slots. */
  entries: VersionEntry[];
  /** Before the slots: the older version list's entries and the type pointers (`sellers/<S>/active/<type>`). */
  legacyEntries: VersionEntry[];
  legacyTypePointers: Map<string, ActivePointer>;
  serving: ServingConfig | null;
}

/**
 * The seller's slots: every slot with a pointer or an entry, the older layout's type pointers
 * and list read as slots named by type (a slot's own pointer wins). Slots by name, versions
 * oldest first.
 */
export function listSlots(stored: StoredSlots): SlotListing[] {
  const pointers = new Map(stored.pointers);
  for (const [type, p] of stored.legacyTypePointers) if (!pointers.has(type)) pointers.set(type, p);
  const versions = new Map<string, Map<string, VersionEntry>>();
  for (const e of [...stored.legacyEntries, ...stored.entries]) {
    if (!versions.has(e.slot)) versions.set(e.slot, new Map());
    versions.get(e.slot)!.set(e.version, e);
  }
  const names = [...new Set([...pointers.keys(), ...versions.keys()])].sort();
  return names.map((slot) => {
    const p = pointers.get(slot) ?? null;
    const serves: string[] = [];
    for (const rule of RULE_NAMES) {
      const r = stored.serving?.surfaces[rule];
      if (r?.slot === slot) serves.push(rule);
      else if (r?.fallback === slot) serves.push(`${rule} (fallback)`);
    }
    const list = [...(versions.get(slot)?.values() ?? [])].sort(byPublished);
    return {
      slot,
      kind: p?.model ?? null,
      current: p?.version ?? null,
      serves,
      versions: list.map((v) => ({ ...v, current: v.version === p?.version })),
    };
  });
}

/** The older type pointers' keys of a seller, by type. */
export function legacyTypePointerKeys(seller: string): Map<string, string> {
  return new Map(MODEL_TYPE_NAMES.map((t) => [t, modelStorage.activeOfType(seller, t)]));
}
