/**
 * A random (version 4) UUID. `crypto.randomUUID` exists only in secure contexts, so a
 * storefront served over plain http gets one built from `crypto.getRandomValues`.
 */
export function uuid(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  let hex = '';
  for (const x of b) hex += (x + 256).toString(16).slice(1);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The event id of a purchase of order `order` at `seller`: the same for every report of that
 * order (a reloaded confirmation page, a second `track` call), so the intake stores the order
 * once. 128 bits of four seeded FNV-1a hashes over seller and order, shaped as a UUID
 * (version 8, RFC 9562's "custom" version, so it never collides with a random version 4 id).
 */
export function orderEventId(seller: string, order: string): string {
  const text = `${seller}\u0000${order.trim()}`;
  let hex = '';
  for (const seed of [0x811c9dc5, 0x01000193, 0x9e3779b9, 0x85ebca6b]) {
    let h = seed;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    hex += ((h ^ (h >>> 13)) >>> 0).toString(16).padStart(8, '0');
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
