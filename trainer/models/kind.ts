import { z } from 'zod';
import type { ModelType, Surface } from '../../core/format/spec.js';
import type { Dataset, DatasetInteractions } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import type { Csr } from '../data/sparse.js';
import type { NamedArrays } from './knn/persist.js';
import type { ModelDirContents } from './model-dir.js';
import type { Scorer } from './scorer.js';

/**
 * What a model kind is: one object per kind (trainer/models/<kind>/index.ts), listed in
 * registry.ts. The CLI, the loader, export, the retrain pipeline, the demo and the
 * benchmarks take from it what they need, so that adding a kind is one folder and one line.
 */
export interface ModelKind<P extends object = Record<string, unknown>> {
  /** The kind's name: the `--model` value, the model directory's type and the artifact's model type. */
  readonly name: ModelType;
  /** One line for `plusone train --help`. */
  readonly summary: string;
  /** The hyperparameters, with their defaults and the checks that name a bad one. */
  readonly params: z.ZodType<P>;
  /** The CLI flag of each hyperparameter (`plusone train --<flag>`), with its help line. */
  readonly flags: { readonly [K in keyof P]-?: FlagDoc };
  /** Named settings; `default` is what the demo, the retrain pipeline and the benchmarks train. */
  readonly presets: { readonly default: Partial<P> } & Readonly<Record<string, Partial<P>>>;
  /** Whether it uses user and item features (only hybrid MF does). */
  readonly usesFeatures: boolean;
  /**
   * The surfaces the edge answers with this kind's artifact (core/format/spec.ts
   * SERVED_SURFACES, which the edge reads; registry.test.ts checks they agree). Only these
   * are evaluated and offered; the others show as "not served".
   */
  readonly surfaces: readonly Surface[];
  /** Whether the retrain pipeline trains it as a candidate when no `--models` is given. */
  readonly retrainCandidate: boolean;
  /** Trains on the data; reports progress of long work through `context.onProgress`. */
  fit(data: TrainingData, params: P, context: FitContext): Promise<TrainedModel>;
  /** Rebuilds a trained model from its model directory (model-dir.ts). */
  fromContents(contents: ModelDirContents): TrainedModel;
}

/** The CLI side of one hyperparameter. */
export interface FlagDoc {
  flag: string;
  /** Value placeholder in the help text. */
  value: string;
  help: string;
}

/** Training data, as the trainer has read and indexed it. */
export interface TrainingData {
  dataset: Dataset;
  interactions: DatasetInteractions;
  /** users x user features and items x item features (identity columns included); null when none were given. */
  userFeatures: Csr | null;
  itemFeatures: Csr | null;
  /**
   * orders x items (each order a row, 1 per distinct item, or the order's recency weight):
   * when the data came from an orders file with order ids; absent otherwise.
   */
  orders?: Csr | null;
}

/**
 * Whether a customer may be recommended again what they bought before, per surface that
 * answers a customer (the artifact's `history` section). Off: the surface leaves those items
 * out, as it leaves out the cart.
 */
export interface RepeatSettings {
  basket: boolean;
  'for-you': boolean;
}

/** The default: nothing bought before is offered again (customized items are rarely bought twice). */
export const NO_REPEATS: Readonly<RepeatSettings> = Object.freeze({ basket: false, 'for-you': false });

/** The repeat settings a model directory's meta holds (`meta.repeats`), or the default when it holds none. */
export function repeatsOf(meta: Record<string, unknown>): RepeatSettings {
  const r = meta.repeats as Partial<Record<string, unknown>> | undefined;
  if (r === undefined || r === null || typeof r !== 'object') return { ...NO_REPEATS };
  return { basket: r.basket === true, 'for-you': r['for-you'] === true };
}

export interface FitContext {
  /** Training threads (hybrid MF trains lock-free on several). */
  threads: number;
  /** Progress of long work: `done` of `total` steps, with a short note. */
  onProgress?: (done: number, total: number, note?: string) => void;
}

/** A trained model of any kind, in memory: it scores, saves and exports. */
export interface TrainedModel {
  kind: ModelType;
  dataset: Dataset;
  /** users x items training interactions (weights), left out of rankings by default. */
  train: Csr;
  scorer: Scorer;
  /** What the model directory's `meta` holds beside the training figures (options, shapes). */
  meta: Record<string, unknown>;
  /** The arrays the model directory stores. */
  arrays: NamedArrays;
  /** Settings and figures of the fit, as `plusone train --json` prints them (beside the common counts). */
  figures: Record<string, unknown>;
  /** More about the fit, kept in the model directory only (e.g. every epoch's time). */
  details?: Record<string, unknown>;
  /** The parts of the edge artifact that depend on the kind (spec/model-format.md). */
  artifactParts(): KindArtifactParts;
}

/** What a kind adds to the artifact beside item ids, popularity, catalog and meta. */
export interface KindArtifactParts {
  vectors?: { dim: number; items: Float32Array; biases: Float32Array };
  neighbours?: { indptr: Int32Array; indices: Int32Array; data: Float32Array };
  trending?: Float32Array;
  /** Item-item: how the customer's history enters a query (the `history` section's weights); 0 and 0 when absent. */
  history?: { historyWeight: number; repeatBoost: number };
  /** Hybrid MF trained with item features: the named features' embeddings, from which the edge scores an item it never saw (the `item-features` section). */
  features?: { names: readonly string[]; embeddings: Float32Array; biases: Float32Array; normalised: boolean; identity: boolean };
  /**
   * How a known customer is served: a user vector, a precomputed top-N list (with the
   * customer's own training items, or without them), their history (item-item scores it at
   * the edge), or nothing per customer.
   */
  customers:
    | { kind: 'vectors'; dim: number; embeddings: Float32Array; biases: Float32Array }
    | { kind: 'top-items'; topN(n: number, options: { repeats: boolean }): TopLists }
    | { kind: 'history' }
    | { kind: 'none' };
}

/** Per-customer ranked lists in CSR form (row u: customer u's items, best first). */
export interface TopLists {
  indptr: Int32Array;
  items: Int32Array;
  scores: Float32Array;
}

/** Defines a kind, checking that its default preset is valid. */
export function defineKind<P extends object>(kind: ModelKind<P>): ModelKind<P> {
  kind.params.parse(kind.presets.default);
  return kind;
}

/**
 * A kind's hyperparameters: the preset (default `default`) with `overrides` over it, checked.
 * A bad value is an InputError that names the hyperparameter (or, with `flagNames`, its CLI
 * flag) and the value given.
 */
export function resolveParams<P extends object>(
  kind: ModelKind<P>,
  overrides: Partial<Record<keyof P, unknown>> = {},
  options: { preset?: string; flagNames?: boolean } = {},
): P {
  const presetName = options.preset ?? 'default';
  const preset = kind.presets[presetName];
  if (!preset) throw new InputError(`${kind.name} has no preset "${presetName}" (known: ${Object.keys(kind.presets).join(', ')})`);
  const known = new Set(Object.keys(kind.flags));
  for (const key of Object.keys(overrides)) {
    if (!known.has(key)) throw new InputError(`${kind.name} has no hyperparameter "${key}" (known: ${[...known].join(', ')})`);
  }
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const raw = { ...preset, ...given };
  const parsed = kind.params.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = String(issue.path[0] ?? '');
  const flags = kind.flags as Record<string, FlagDoc>;
  const name = options.flagNames && flags[key] ? `--${flags[key].flag}` : key ? `${kind.name} ${key}` : kind.name;
  const value = (raw as Record<string, unknown>)[key];
  // A check across settings (code "custom") says its values itself.
  const got = value === undefined || issue.code === 'custom' ? '' : `, got "${String(value)}"`;
  throw new InputError(`${name} ${issue.message}${got}`);
}

/** A number hyperparameter (strings from the command line are read as numbers), with its bounds. */
export function numberParam(check: { integer?: boolean; min?: number; exclusiveMin?: number; max?: number }, fallback: number) {
  let s = z.coerce.number({ error: 'must be a number' });
  if (check.integer) s = s.int({ error: 'must be an integer' });
  if (check.min !== undefined) s = s.min(check.min, { error: `must be >= ${check.min}` });
  if (check.exclusiveMin !== undefined) s = s.gt(check.exclusiveMin, { error: `must be > ${check.exclusiveMin}` });
  if (check.max !== undefined) s = s.max(check.max, { error: `must be <= ${check.max}` });
  return s.default(fallback);
}

/** A choice hyperparameter. */
export function choiceParam<const T extends readonly [string, ...string[]]>(choices: T, fallback: T[number]) {
  return z.enum(choices, { error: `must be one of ${choices.join(', ')}` }).default(fallback);
}
