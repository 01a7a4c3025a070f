/** Where an input problem was found: the file and, when known, its 1-based line. */
interface InputLocation {
  file?: string;
  line?: number;
}

/**
 * A problem with data or arguments given by the user (a missing file, a bad header, a
 * malformed row, a bad `--columns` spec). The message says what was wrong, where and what
 * to do; the CLI prints it without a stack trace and exits with `exitCode` (2).
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly file?: string;
  readonly line?: number;
  readonly exitCode = 2;

  constructor(message: string, where: InputLocation = {}) {
    super(message);
    if (where.file !== undefined) this.file = where.file;
    if (where.line !== undefined) this.line = where.line;
  }
}
