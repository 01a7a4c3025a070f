import { FormatError } from './errors.js';

/** For tests: the message of the FormatError that `fn` throws; any other outcome throws. */
export function formatErrorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FormatError) return err.message;
    throw err;
  }
  throw new Error('expected a FormatError');
}
