// Parsers for single CSV cells. Each returns NaN (or the input unchanged) instead of
// throwing, so that the reader can report the row with its file and line.

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a decimal number (`12`, `-3.5`, `.5`, `1e3`). Unlike `Number()`, an empty string,
 * hex, `Infinity` and thousands separators do not parse: the result is NaN.
 */
export function parseNumber(text: string): number {
  return NUMBER.test(text) ? Number(text) : NaN;
}

// Groups: year, month, day, hour, minute, second, fraction, zone.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;
const UNIX = /^\d+(?:\.\d+)?$/;
// Below this a bare number is read as unix seconds, above it as milliseconds: 1e11 s is
// the year 5138, while 1e11 ms is 1973.
const UNIX_MS_FROM = 1e11;

/**
 * Parses a timestamp into epoch milliseconds, or NaN. Accepted forms:
 * - ISO 8601: `2010-12-01`, `2010-12-01T08:26:00`, `2010-12-01 08:26`, with optional
 *   fraction and `Z` / `+01:00` offset;
 * - `M/D/YYYY H:MM[:SS]` (month first, as in the Online Retail export);
 * - unix time: seconds (`1291191960`), or milliseconds when the value is 1e11 or more.
 * A date and time without an offset are read as UTC, so results do not depend on the
 * machine's time zone.
 */
export function parseTimestamp(text: string): number {
  let m = ISO.exec(text);
  if (m) {
    const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
    const t = utc(+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), ms);
    return t - offsetMs(m[8]);
  }
  m = US.exec(text);
  if (m) return utc(+m[3], +m[1], +m[2], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), 0);
  if (UNIX.test(text)) {
    const v = Number(text);
    return v >= UNIX_MS_FROM ? v : v * 1000;
  }
  return NaN;
}

/** Date.UTC with range checks (Date.UTC itself rolls 2/30 over into March). */
function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return NaN;
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  return new Date(t).getUTCDate() === d ? t : NaN;
}

function offsetMs(zone: string | undefined): number {
  if (!zone || zone === 'Z' || zone === 'z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  return sign * (hours * 60 + minutes) * 60_000;
}

const FLOAT_INTEGER = /^(-?\d+)\.0+$/;

/**
 * Normalises an id that a spreadsheet or pandas export turned into a float
 * (`17850.0` -> `17850`); any other id is returned unchanged.
 */
export function normalizeId(text: string): string {
  const m = FLOAT_INTEGER.exec(text);
  return m ? m[1] : text;
}
