import { InputError } from '../data/errors.js';
import { itemKnn } from './item-knn/index.js';
import type { ModelKind } from './kind.js';
import { lightfm } from './lightfm/index.js';
import { popularity } from './popularity/index.js';
import { userKnn } from './user-knn/index.js';

/**
 * Every model kind the trainer knows, one line each. The edge's list of artifact model
 * types (core/format/spec.ts MODEL_TYPES) must name the same kinds (test/registry.test.ts).
 */
export const MODEL_KINDS: readonly ModelKind[] = [lightfm, itemKnn, userKnn, popularity];

/** The names of the kinds, in registry order. */
export const MODEL_KIND_NAMES: readonly string[] = MODEL_KINDS.map((k) => k.name);

/** The kind of this name; an InputError that lists the known kinds otherwise. */
export function modelKind(name: string, what = '--model'): ModelKind {
  const kind = MODEL_KINDS.find((k) => k.name === name);
  if (!kind) throw new InputError(`${what} must be one of ${MODEL_KIND_NAMES.join(', ')}, got "${name}"`);
  return kind;
}
