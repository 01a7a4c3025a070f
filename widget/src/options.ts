import type { RenderOptions, Surface } from './types.js';

/** The heading of each surface unless `data-title` / `title` says otherwise. */
export const DEFAULT_TITLES: Record<Surface, string> = {
  basket: 'Complete your order',
  similar: 'Customers also bought',
  'for-you': 'Recommended for you',
};

/** Items shown when `n` is not given. */
export const DEFAULT_N = 8;

/** What the script tag says, beyond one render: the account, consent mode, currency. */
export interface ScriptOptions extends RenderOptions {
  /** `data-consent="required"`: send nothing and store nothing until `PlusOne.consent(true)`. */
  consentRequired: boolean;
}

/** A surface name, or null when it is none. */
export function surfaceOf(value: unknown): Surface | null {
  return value === 'basket' || value === 'similar' || value === 'for-you' ? value : null;
}

/** Item ids from a list or a comma-separated string; blanks and ids over 256 characters dropped, at most 100. */
export function itemList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  const out: string[] = [];
  for (const v of list) {
    const id = typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
    if (id !== '' && id.length <= 256 && out.length < 100) out.push(id);
  }
  return out;
}

/** A count of items between 1 and 100; `fallback` for anything else. */
export function countOf(value: unknown, fallback = DEFAULT_N): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 100 ? n : fallback;
}

/**
 * The options of the `<script>` tag that loaded the widget (its `data-*` attributes);
 * `api` defaults to the origin the script came from.
 */
export function scriptOptions(data: Record<string, string | undefined>, src: string): ScriptOptions {
  const o: ScriptOptions = { consentRequired: data.consent === 'required' };
  let api = data.api;
  if (api === undefined) {
    try {
      api = new URL(src).origin;
    } catch {
      // an inline copy of the script: data-api is then required
    }
  }
  if (api) o.api = api.replace(/\/+$/, '');
  if (data.seller) o.seller = data.seller;
  if (data.key) o.key = data.key;
  const surface = surfaceOf(data.surface);
  if (surface) o.surface = surface;
  if (data.items !== undefined) o.items = data.items;
  if (data.customer) o.customer = data.customer;
  if (data.target) o.target = data.target;
  if (data.n !== undefined) o.n = countOf(data.n);
  if (data.title) o.title = data.title;
  if (data.currency) o.currency = data.currency;
  return o;
}
