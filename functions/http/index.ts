export { cors } from './cors.js';
export { ApiError, ERROR_CODES } from './errors.js';
export type { ErrorBody, ErrorCode, ErrorStatus } from './errors.js';
export { limits, MAX_BODY_BYTES, MAX_URL_BYTES } from './limits.js';
