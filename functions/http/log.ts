import type { Log } from '../../core/recommend/recommend.js';

/**
 * Logs without customer ids: every line the app logs goes through {@link redactingLog}, which
 * replaces a customer id in a route path or a storage key by a stable hash of it.
 */

/**
 * A stable, non-reversible tag of a customer id for logs (FNV-1a 64, hex): the same customer
 * always gives the same tag, so log lines can be matched, but the id itself is never logged.
 */
export function hashedId(id: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x050c5d1f;
  for (let i = 0; i < id.length; i++) {
    const ch = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ ch, 0x01000193) >>> 0;
    h2 = (h2 + (h1 >>> 13)) >>> 0;
  }
  return `h:${h1.toString(16).padStart(8, '0')}${h2.toString(16).padStart(8, '0')}`;
}

/** Where customer ids appear in text: the DELETE route's path, and the KV key of a record of a version published before the shards. */
const CUSTOMER_ID_PLACES = [/(\/v1\/sellers\/[^/\s"]+\/customers\/)([^/?#\s"]+)/g, /(\/models\/[^/\s"]+\/users\/)([^/?#\s"]+)/g];

/** Text fit for logs: every customer id in a route path or a record key replaced by its {@link hashedId}. */
export function redactText(text: string): string {
  let out = text;
  for (const place of CUSTOMER_ID_PLACES) {
    out = out.replace(place, (_, prefix: string, id: string) => {
      let decoded = id;
      try {
        decoded = decodeURIComponent(id);
      } catch {
        // a malformed escape: hash what was sent
      }
      return `${prefix}${hashedId(decoded)}`;
    });
  }
  return out;
}

/** A log event with every string field passed through {@link redactText} (nested ones too). */
export function redactEvent(event: Record<string, unknown>): Record<string, unknown> {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactText(v);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(event) as Record<string, unknown>;
}

/** `log` with every event passed through {@link redactEvent}. */
export function redactingLog(log: Log): Log {
  return (event) => log(redactEvent(event));
}
