/**
 * The error responses of the API: `{"error":{"code","message"}}` with a status that says
 * whose fault it was. Handlers throw an {@link ApiError}; the app's error handler turns it
 * into the response (and anything else into a logged 500).
 */

/** Every error code the API answers with, by HTTP status. */
export const ERROR_CODES = {
  invalid_request: 400,
  missing_key: 401,
  invalid_key: 401,
  revoked_key: 401,
  secret_key_in_url: 401,
  wrong_seller: 403,
  origin_not_allowed: 403,
  secret_key_required: 403,
  secret_key_in_browser: 403,
  not_found: 404,
  unknown_seller: 404,
  experiment_not_found: 404,
  model_not_available: 404,
  key_not_found: 404,
  version_not_found: 404,
  experiment_conflict: 409,
  serving_conflict: 409,
  rollback_conflict: 409,
  key_conflict: 409,
  catalog_conflict: 409,
  request_too_large: 413,
  too_many_items: 413,
  too_many_events: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  not_configured: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
type ErrorStatus = (typeof ERROR_CODES)[ErrorCode];

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** An error to answer with: its status follows from the code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: ErrorStatus;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = ERROR_CODES[code];
    this.headers = headers;
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}
