/**
 * The body of `PUT …/catalog` (spec/edge-api.md, "Catalog updates"): NDJSON or JSON, checked
 * whole. Every problem names its line (NDJSON) or item (JSON) and field; the first 20 are
 * reported, and nothing of a call with a problem is applied.
 */
import type { CatalogItem } from '../../core/catalog/merge.js';
import { ApiError } from '../../core/errors/api-error.js';
import { issueText } from '../http/validate.js';
import { catalogItem } from '../routes/catalog-schema.js';
import { CATALOG_LIMITS } from './store.js';

/** Problems reported at most (then "… and N more"). */
const MAX_PROBLEMS = 20;

type Format = 'ndjson' | 'json';

/** How a body is read: by its Content-Type, else JSON when it is an object with `items`, else NDJSON. */
function formatOf(text: string, contentType: string | undefined): { format: Format; json?: unknown } {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines' || type === 'application/ndjson')
    return { format: 'ndjson' };
  if (type === 'application/json') return { format: 'json' };
  const start = text.trimStart();
  if (start.startsWith('{')) {
    try {
      const json = JSON.parse(text) as unknown;
      if (typeof json === 'object' && json !== null && !Array.isArray(json) && 'items' in json) return { format: 'json', json };
    } catch {
      // Not one JSON document: lines.
    }
  }
  return { format: 'ndjson' };
}

/** One item as sent, with where it is (for messages): a line, or a position in `items`. */
interface Sent {
  where: string;
  /** JSON: the item's index in `items` (its issues are named `items[k].field`). */
  index?: number;
  value: unknown;
}

/** The items of a body, each with its line or position; throws 400 when the body is not NDJSON or JSON of that shape, 413 over the item limit. */
function itemsOf(text: string, contentType: string | undefined): { sent: Sent[]; problems: string[] } {
  const { format, json } = formatOf(text, contentType);
  const problems: string[] = [];
  const sent: Sent[] = [];
  if (format === 'json') {
    let doc = json;
    if (doc === undefined) {
      try {
        doc = JSON.parse(text);
      } catch (err) {
        throw new ApiError('invalid_request', `the body is not JSON (${(err as Error).message}); send {"items":[…]} or NDJSON, one item per line`);
      }
    }
    const items = (doc as { items?: unknown } | null)?.items;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Array.isArray(items)) {
      throw new ApiError('invalid_request', 'the body must be {"items":[…]} (or NDJSON, one item per line)');
    }
    const extra = Object.keys(doc).filter((k) => k !== 'items');
    if (extra.length > 0) problems.push(`unknown field ${JSON.stringify(extra[0])} beside items`);
    if (items.length > CATALOG_LIMITS.callItems) {
      throw new ApiError('too_many_items', `the call has ${items.length} items; at most ${CATALOG_LIMITS.callItems} are accepted per call: split it`);
    }
    items.forEach((value, k) => sent.push({ where: `items[${k}]`, index: k, value }));
    return { sent, problems };
  }
  const lines = text.split('\n');
  let count = 0;
  for (const line of lines) if (line.trim() !== '') count++;
  if (count > CATALOG_LIMITS.callItems) {
    throw new ApiError('too_many_items', `the call has ${count} items; at most ${CATALOG_LIMITS.callItems} are accepted per call: split it`);
  }
  lines.forEach((line, k) => {
    if (line.trim() === '') return;
    try {
      sent.push({ where: `line ${k + 1}`, value: JSON.parse(line) });
    } catch (err) {
      problems.push(`line ${k + 1}: not JSON (${(err as Error).message})`);
    }
  });
  return { sent, problems };
}

/**
 * The validated items of a `PUT …/catalog` body: 400 `invalid_request` listing the problems
 * (line or item, field), 413 `too_many_items` over 10,000 items.
 */
export function parseCatalogBody(text: string, contentType: string | undefined): CatalogItem[] {
  const { sent, problems } = itemsOf(text, contentType);
  const items: CatalogItem[] = [];
  const firstSeen = new Map<string, string>();
  for (const s of sent) {
    const result = catalogItem.safeParse(s.value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        problems.push(s.index === undefined ? `${s.where}: ${issueText(issue)}` : issueText({ ...issue, path: ['items', s.index, ...issue.path] }));
      }
      continue;
    }
    const before = firstSeen.get(result.data.id);
    if (before !== undefined) {
      problems.push(`${s.where}: id ${JSON.stringify(result.data.id)} is also at ${before}; name each item once per call`);
      continue;
    }
    firstSeen.set(result.data.id, s.where);
    items.push(result.data);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS).join('; ');
    const more = problems.length > MAX_PROBLEMS ? `; … and ${problems.length - MAX_PROBLEMS} more` : '';
    throw new ApiError('invalid_request', `the catalog call was refused, nothing of it was applied: ${shown}${more}`);
  }
  if (items.length === 0) throw new ApiError('invalid_request', 'the body holds no items; send {"items":[…]} or NDJSON, one item per line');
  return items;
}
