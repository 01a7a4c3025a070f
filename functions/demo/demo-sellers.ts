import { KEY_PATTERN, SELLER_PATTERN } from '../../core/storage/keys.js';

/** The KV key that lists the demo storefront's sellers (written by `npm start`). */
export const DEMO_SELLERS_KEY = 'demo/sellers';

/** One seller of the demo storefront. */
export interface DemoSeller {
  id: string;
  name: string;
  /** The publishable key its pages give the widget. */
  publishableKey: string;
  /** ISO 4217 code its prices are in; EUR when not given. */
  currency: string;
}

/**
 * Parses the `demo/sellers` value: `[{"id":"S","name":"Display name","publishable_key":"pk_…","currency":"EUR"?}]`.
 * Throws with the index and field of the first bad entry.
 */
export function parseDemoSellers(text: string): DemoSeller[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${DEMO_SELLERS_KEY} is not JSON; write it as [{"id","name","publishable_key"}]`);
  }
  if (!Array.isArray(value)) throw new Error(`${DEMO_SELLERS_KEY} must be a JSON array of {"id","name","publishable_key"}`);
  return value.map((raw, i): DemoSeller => {
    const bad = (field: string, rule: string) => new Error(`${DEMO_SELLERS_KEY}[${i}].${field} ${rule}`);
    if (typeof raw !== 'object' || raw === null) throw bad('', 'must be an object');
    const r = raw as Record<string, unknown>;
    if (typeof r.id !== 'string' || !SELLER_PATTERN.test(r.id)) throw bad('id', 'must be a seller id (letters, digits, "-", "_")');
    if (typeof r.name !== 'string' || r.name.trim() === '' || r.name.length > 200) throw bad('name', 'must be a name of 1-200 characters');
    if (typeof r.publishable_key !== 'string' || !KEY_PATTERN.test(r.publishable_key) || !r.publishable_key.startsWith('pk_')) {
      throw bad('publishable_key', 'must be a publishable key (pk_…)');
    }
    const currency = r.currency ?? 'EUR';
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) throw bad('currency', 'must be an ISO 4217 code such as "EUR"');
    return { id: r.id, name: r.name, publishableKey: r.publishable_key, currency };
  });
}
