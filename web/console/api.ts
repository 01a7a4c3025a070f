/**
 * The console's session and its one way to the API. The seller id and the secret key are kept
 * in this tab's sessionStorage (the key under the name the report page reads, so that a report
 * opened from the console in this tab needs no second sign-in), never in localStorage, a URL
 * or a cookie; the key travels only in the Authorization header of same-origin requests to
 * /v1/…, the public API, so the console can do nothing a key could not do with curl.
 */
import type { ErrorBody } from '../../core/errors/api-error.js';

export interface Session {
  seller: string;
  key: string;
}

const SELLER_NAME = 'plusone.consoleSeller';
const keyName = (seller: string) => `plusone.secretKey.${seller}`;
/** Where the session lives when the browser refuses sessionStorage: this page only. */
let memory: Session | null = null;

/** The seller rule of the API (core/storage/keys.ts). */
export const SELLER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** A well-formed key (core/storage/keys.ts). */
export const KEY_PATTERN = /^(pk|sk)_[A-Za-z0-9_-]{32}$/;

export function loadSession(): Session | null {
  try {
    const seller = sessionStorage.getItem(SELLER_NAME);
    const key = seller === null ? null : sessionStorage.getItem(keyName(seller));
    return seller !== null && key !== null ? { seller, key } : null;
  } catch {
    return memory;
  }
}

export function saveSession(s: Session | null): void {
  const before = loadSession();
  memory = s;
  try {
    if (before) sessionStorage.removeItem(keyName(before.seller));
    if (s === null) sessionStorage.removeItem(SELLER_NAME);
    else {
      sessionStorage.setItem(SELLER_NAME, s.seller);
      sessionStorage.setItem(keyName(s.seller), s.key);
    }
  } catch {
    // storage disabled: this page's memory only
  }
}

/** An answer other than 2xx: its status, the API's error code and message. */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the API refuses the session's key itself (401, 403 of the key): the console signs out with this message. */
let onKeyRefused: (message: string) => void = () => undefined;
export function whenKeyRefused(handler: (message: string) => void): void {
  onKeyRefused = handler;
}

const KEY_CODES = new Set(['missing_key', 'invalid_key', 'revoked_key', 'wrong_seller', 'unknown_seller', 'secret_key_required', 'secret_key_in_browser']);

/** What a refusal of the key means, in a sentence a seller can act on. */
export function explainKeyRefusal(f: ApiFailure, seller: string): string {
  switch (f.code) {
    case 'invalid_key':
      return `This API does not know that key (${f.message}). Check that you copied the whole secret key of seller ${seller}, from this deployment.`;
    case 'revoked_key':
      return `That key was revoked (${f.message}). Sign in with another secret key of seller ${seller}.`;
    case 'wrong_seller':
      return `That key belongs to another seller, not to ${seller}. Check the seller id, or use a secret key of ${seller}.`;
    case 'unknown_seller':
      return `There is no seller ${seller} on this API: no key was ever created for it. Check the seller id.`;
    case 'secret_key_required':
      return 'That is a publishable key (pk_…): it only serves recommendations in a storefront. The console needs a secret key (sk_…).';
    default:
      return `The API refused the key (${f.status} ${f.code}): ${f.message}`;
  }
}

/** The API as the console calls it: `/v1/sellers/<seller>` + path, with the session's key. */
export class Api {
  constructor(readonly session: Session) {}

  /** The seller's base path. */
  get base(): string {
    return `/v1/sellers/${encodeURIComponent(this.session.seller)}`;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.session.key}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path.startsWith('/v1/') ? path : this.base + path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch (err) {
      throw new ApiFailure(0, 'network', `the API could not be reached (${(err as Error).message}); check the connection and try again`);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      json = null;
    }
    if (!res.ok) {
      const error = (json as Partial<ErrorBody> | null)?.error;
      const failure = new ApiFailure(res.status, error?.code ?? 'unknown', error?.message ?? `the API answered ${res.status}`);
      if (KEY_CODES.has(failure.code)) onKeyRefused(explainKeyRefusal(failure, this.session.seller));
      throw failure;
    }
    return json as T;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }
  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }
}

/** A failure as one line for the page. */
export function failureText(err: unknown): string {
  if (err instanceof ApiFailure) return err.status === 0 ? err.message : `${err.message} (${err.status} ${err.code})`;
  return err instanceof Error ? err.message : String(err);
}
