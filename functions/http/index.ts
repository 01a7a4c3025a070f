export { cors } from './cors.js';
export { ApiError, ERROR_CODES } from '../../core/errors/api-error.js';
export type { ErrorBody, ErrorCode, ErrorStatus } from '../../core/errors/api-error.js';
export { limits, MAX_BODY_BYTES, MAX_URL_BYTES } from './limits.js';
