import type { z } from 'zod';
import { ApiError } from '../../core/errors/api-error.js';

type Issues = { issues: readonly z.core.$ZodIssue[] };

/** A field as the API names it: `n`, `arms[1].model`. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/**
 * An issue as one sentence that names its field: the message itself when it starts with the
 * field ("n must be …"; "model must be …" at arms[1].model reads "arms[1].model must be …"),
 * else "field: message".
 */
export function issueText(issue: z.core.$ZodIssue): string {
  const field = fieldName(issue.path);
  if (field === '' || issue.message.startsWith(field)) return issue.message;
  const last = issue.path.at(-1);
  if (typeof last === 'string' && issue.message.startsWith(`${last} `)) return `${fieldName(issue.path.slice(0, -1))}.${issue.message}`;
  return `${field}: ${issue.message}`;
}

/** A failed validation as the API's error: 413 for too many ids, else 400 naming the fields (the first five). */
export function validationError(error: Issues): ApiError {
  const tooMany = error.issues.find((i) => i.code === 'custom' && (i as { params?: { status?: number } }).params?.status === 413);
  if (tooMany !== undefined) return new ApiError('too_many_items', tooMany.message);
  return new ApiError('invalid_request', error.issues.slice(0, 5).map(issueText).join('; '));
}

/** The hook of `zValidator` on every route: a failure is thrown as {@link validationError}, which app.onError answers. */
export function validationHook(result: { success: boolean; error?: Issues }): void {
  if (!result.success) throw validationError(result.error!);
}
