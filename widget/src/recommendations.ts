import type { Account, RecItem, Recommendations, Surface } from './types.js';

/** What one recommendation request asks. */
export interface RecQuery {
  surface: Surface;
  items: string[];
  customer: string | null;
  n: number;
  visitor: string | null;
}

/** How long the widget waits for recommendations before it gives up and stays empty (ms). */
const TIMEOUT_MS = 2500;

/** The URL of a recommendation request (the key in the query: a plain GET needs no preflight). */
export function recommendationsUrl(account: Account, q: RecQuery): string {
  const p = new URLSearchParams({ key: account.key, n: String(q.n) });
  if (q.surface === 'similar') p.set('item', q.items[0] ?? '');
  else if (q.items.length > 0) p.set('items', q.items.join(','));
  if (q.customer && q.surface !== 'similar') p.set('customer', q.customer);
  if (q.visitor) p.set('visitor', q.visitor);
  return `${account.api}/v1/sellers/${encodeURIComponent(account.seller)}/recommendations/${q.surface}?${p}`;
}

/** An absolute http(s) URL, resolved against `base`; null for anything else (javascript:, data:, junk). */
export function safeUrl(value: unknown, base: string): string | null {
  if (typeof value !== 'string' || value === '') return null;
  try {
    const u = new URL(value, base);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * The checked form of a response body; null when it is not a recommendation response.
 * Items without an id are dropped, urls that are not http(s) become null.
 */
export function parseRecommendations(body: unknown, base: string): Recommendations | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  const recId = text(b.rec_id);
  if (!Array.isArray(b.items) || recId === null) return null;
  const items: RecItem[] = [];
  for (const raw of b.items as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const r = raw as Record<string, unknown>;
    const id = text(r.id);
    if (id === null) continue;
    const price = typeof r.price === 'number' && Number.isFinite(r.price) ? r.price : null;
    items.push({ id, title: text(r.title) ?? id, url: safeUrl(r.url, base), image: safeUrl(r.image, base), price });
  }
  return { items, recId, variant: text(b.variant), experiment: text(b.experiment) };
}

/**
 * Fetches and checks recommendations; null on any failure (network, timeout, status,
 * body). Never throws and never logs: a storefront must not notice when the API is down.
 */
export async function fetchRecommendations(url: string, base: string, timeoutMs = TIMEOUT_MS): Promise<Recommendations | null> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const res = await fetch(url, { signal: ctl.signal, credentials: 'omit' });
    return res.ok ? parseRecommendations(await res.json(), base) : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
