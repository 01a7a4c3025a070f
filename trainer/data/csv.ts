import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import type { CsvError, Parser } from 'csv-parse';
import { parseNumber } from './cells.js';
import { InputError } from './errors.js';

/** How to read a CSV file: which columns to look for and what to do with bad rows. */
export interface CsvOptions {
  /** Canonical names of the columns that must be in the header. */
  required?: readonly string[];
  /** Canonical names of the columns read when present. */
  optional?: readonly string[];
  /** Header name to read for a canonical name (`{ order_id: 'InvoiceNo' }`, from `--columns`). */
  columns?: Readonly<Record<string, string>>;
  /** Other header names accepted for a canonical name (`{ id: ['user_id', 'item_id'] }`). */
  aliases?: Readonly<Record<string, readonly string[]>>;
  /** Required columns whose values may be empty (the caller decides what that means). */
  allowEmpty?: readonly string[];
  /** Columns whose non-empty values must parse as finite numbers. */
  numeric?: readonly string[];
  /** Make a malformed row fatal (InputError) instead of a warning. */
  strict?: boolean;
  /** Receives `FILE:LINE: reason; row skipped` for every malformed row. */
  onWarning?: (message: string) => void;
}

/** One data row: where it starts in the file and the trimmed values of the requested columns. */
export interface CsvRow {
  /** 1-based physical line on which the row starts (a quoted field may span lines). */
  line: number;
  /** Values in the order required then optional columns; an absent optional column reads ''. */
  values: string[];
}

/** A row csv-parse could not parse, queued by on_skip so that it is reported in file order. */
interface Pending {
  /** Number of records emitted before it. */
  seq: number;
  reason: string;
}

/**
 * The next thing in the file: a record (`fields`) or a row that did not parse (`reason`),
 * with its first line and the number of line breaks inside it (`inner`).
 */
type Item = { line: number; inner: number; fields: string[]; reason?: undefined } | { line: number; inner: number; fields: null; reason: string };

const WAIT = 'wait';
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * A streaming CSV reader over csv-parse: plain or gzip input (found by its magic bytes),
 * UTF-8 BOM, CRLF or LF, quoted fields with commas, quotes and newlines. The first row is
 * the header; `open()` checks it and fails with an InputError (exit code 2) when the file
 * is missing or empty, a required column is absent or a name is duplicated. Rows are then
 * read with `rows()`; a malformed row is reported and skipped (or fatal with `strict`).
 *
 * Rows whose fields are all empty (blank lines, `,,,` padding) are ignored without a
 * warning and are not counted as read or skipped.
 */
export class CsvFile {
  /** Number of data rows read, skipped ones included. */
  rowsRead = 0;
  /** Number of malformed rows skipped (and rows the caller rejected with `reject`). */
  skipped = 0;
  /** Header names as found in the file (trimmed). */
  header: readonly string[] = [];

  private positions = new Int32Array(0);
  private names: string[] = [];
  private checkEmpty: number[] = [];
  private checkNumber: number[] = [];
  /** Lines consumed and records taken from the parser so far. */
  private consumed = 0;
  private received = 0;
  private ended = false;
  private failure: unknown = undefined;
  private wake: (() => void) | undefined = undefined;
  private started = false;

  private constructor(
    /** The path as given, used in messages. */
    readonly path: string,
    private readonly options: CsvOptions,
    private readonly wanted: readonly string[],
    private readonly parser: Parser,
    private readonly pending: Pending[],
  ) {
    const wake = (): void => {
      const w = this.wake;
      this.wake = undefined;
      w?.();
    };
    parser.on('readable', wake);
    parser.on('end', () => {
      this.ended = true;
      wake();
    });
    parser.on('close', () => {
      this.ended = true;
      wake();
    });
    parser.on('error', (err) => {
      this.failure ??= err;
      wake();
    });
  }

  /** Opens `path`, reads and checks the header. */
  static async open(path: string, options: CsvOptions = {}): Promise<CsvFile> {
    const wanted = [...(options.required ?? []), ...(options.optional ?? [])];
    checkMapping(wanted, options.columns);
    const source = await openSource(path);
    const pending: Pending[] = [];
    const parser: Parser = parse({
      bom: true,
      // Listed explicitly so that a file mixing CRLF and LF still splits on both.
      record_delimiter: ['\r\n', '\n', '\r'],
      // Bad rows are checked and reported by rows(), with their line numbers. With these
      // options the only error left to csv-parse is a quote still open at the end of the
      // file, reported through on_skip.
      relax_column_count: true,
      relax_quotes: true,
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined): undefined => {
        pending.push({ seq: parser.info.records, reason: skipReason(err) });
        return undefined;
      },
    });
    if (source.gzip) pipeline(source.stream, createGunzip(), parser, ignore);
    else pipeline(source.stream, parser, ignore);

    const csv = new CsvFile(path, options, wanted, parser, pending);
    try {
      await csv.readHeader();
    } catch (err) {
      csv.close();
      throw streamError(path, err);
    }
    return csv;
  }

  /** Whether the column with this canonical name was found in the header. */
  has(name: string): boolean {
    const k = this.wanted.indexOf(name);
    return k >= 0 && this.positions[k] >= 0;
  }

  /** Position of a canonical column in `CsvRow.values` (-1 when it was not requested). */
  index(name: string): number {
    return this.wanted.indexOf(name);
  }

  /** The header name read for a canonical column, for messages. */
  headerName(name: string): string {
    const k = this.wanted.indexOf(name);
    return k >= 0 ? this.names[k] : name;
  }

  /**
   * Reports a bad row: with `strict` throws an InputError, otherwise warns
   * `FILE:LINE: reason; row skipped` and counts it. Readers call it for their own checks.
   */
  reject(line: number, reason: string): void {
    this.skipped++;
    const where = `${this.path}:${line}: ${reason}`;
    if (this.options.strict) {
      throw new InputError(`${where}. Fix the row, or leave out --strict to skip bad rows.`, {
        file: this.path,
        line,
      });
    }
    this.options.onWarning?.(`${where}; row skipped`);
  }

  /** The data rows, in file order; malformed rows are reported and left out. Once only. */
  async *rows(): AsyncGenerator<CsvRow> {
    if (this.started) throw new Error(`CsvFile.rows() called twice for ${this.path}`);
    this.started = true;
    const width = this.header.length;
    const positions = this.positions;
    const n = positions.length;
    try {
      for (;;) {
        const item = this.take();
        if (item === WAIT) {
          await this.waitForData();
          continue;
        }
        if (item === null) return;
        const { line, fields } = item;
        if (fields === null) {
          this.rowsRead++;
          this.reject(line, item.reason);
          continue;
        }
        let bad: string | undefined;
        const values = new Array<string>(n);
        let empty = true;
        if (fields.length !== width) {
          bad = fieldCountReason(width, fields.length, line, item.inner);
        } else {
          for (let k = 0; k < n; k++) {
            const p = positions[k];
            const v = p >= 0 ? fields[p].trim() : '';
            values[k] = v;
            if (v !== '') empty = false;
          }
          bad = this.check(values);
        }
        // Blank lines and ,,, padding are not rows; only look when the row looks empty.
        if ((bad !== undefined || empty) && isBlank(fields)) continue;
        this.rowsRead++;
        if (bad !== undefined) {
          this.reject(line, bad);
          continue;
        }
        yield { line, values };
      }
    } catch (err) {
      throw streamError(this.path, err);
    } finally {
      this.close();
    }
  }

  /** Stops reading and releases the file (also done when `rows()` ends). */
  close(): void {
    this.parser.destroy();
  }

  private async readHeader(): Promise<void> {
    for (;;) {
      const item = this.take();
      if (item === WAIT) {
        await this.waitForData();
        continue;
      }
      if (item === null) {
        const example = this.wanted.length > 0 ? ` such as "${this.wanted.join(',')}"` : '';
        throw new InputError(`${this.path}: the file is empty (no header row). Export the data with a header line${example}.`, { file: this.path });
      }
      if (item.fields === null) {
        throw new InputError(`${this.path}:${item.line}: cannot read the header row: ${item.reason}. Fix the header line.`, {
          file: this.path,
          line: item.line,
        });
      }
      if (isBlank(item.fields)) continue;
      this.header = item.fields.map((f) => f.trim());
      const { path, header, wanted, options } = this;
      const positions = resolveColumns(path, item.line, header, wanted, options);
      this.positions = Int32Array.from(positions);
      this.names = wanted.map((name, k) => (positions[k] >= 0 ? header[positions[k]] : name));
      const allowEmpty = new Set(this.options.allowEmpty ?? []);
      const numeric = new Set(this.options.numeric ?? []);
      const nRequired = this.options.required?.length ?? 0;
      this.wanted.forEach((name, k) => {
        if (k < nRequired && !allowEmpty.has(name)) this.checkEmpty.push(k);
        if (numeric.has(name) && positions[k] >= 0) this.checkNumber.push(k);
      });
      return;
    }
  }

  /**
   * The next item in file order, WAIT when csv-parse has nothing buffered yet, or null at
   * the end. Rows that csv-parse skipped come out between the records around them.
   */
  private take(): Item | typeof WAIT | null {
    const pending = this.pending;
    if (pending.length > 0 && (pending[0].seq <= this.received || this.ended)) {
      // Only an unclosed quote at the end of the file gets here, so no line follows it.
      const p = pending.shift()!;
      return { line: this.consumed + 1, inner: 0, fields: null, reason: p.reason };
    }
    const fields = this.parser.read() as string[] | null;
    if (fields === null) {
      if (this.failure !== undefined) throw this.failure;
      if (!this.ended) return WAIT;
      return pending.length > 0 ? this.take() : null;
    }
    this.received++;
    // Line numbers are counted here, in file order: the record's terminator plus the line
    // breaks kept inside its quoted fields. (csv-parse's info.lines counts a CRLF inside
    // quotes twice, and its raw/on_record options double the parse time.)
    let inner = 0;
    for (const f of fields) {
      if (f.indexOf('\n') >= 0 || f.indexOf('\r') >= 0) inner += countBreaks(f);
    }
    const line = this.consumed + 1;
    this.consumed += inner + 1;
    return { line, inner, fields };
  }

  private waitForData(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private check(values: string[]): string | undefined {
    for (const k of this.checkEmpty) {
      if (values[k] === '') return `empty value in column "${this.names[k]}"`;
    }
    for (const k of this.checkNumber) {
      const v = values[k];
      if (v !== '' && !Number.isFinite(parseNumber(v))) {
        return `column "${this.names[k]}": ${JSON.stringify(v)} is not a number`;
      }
    }
    return undefined;
  }
}

function ignore(): void {}

async function openSource(path: string): Promise<{ stream: Readable; gzip: boolean }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw openError(path, err);
  }
  let gzip: boolean;
  try {
    if ((await handle.stat()).isDirectory()) {
      throw new InputError(`${path}: is a directory. Pass the path of a .csv or .csv.gz file.`, {
        file: path,
      });
    }
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    gzip = bytesRead === 2 && magic[0] === GZIP_MAGIC[0] && magic[1] === GZIP_MAGIC[1];
  } catch (err) {
    await handle.close();
    throw err instanceof InputError ? err : openError(path, err);
  }
  return { stream: handle.createReadStream({ start: 0 }), gzip };
}

function openError(path: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  const message =
    code === 'ENOENT'
      ? `${path}: file not found. Check the path (relative paths start from ${process.cwd()}).`
      : code === 'EACCES'
        ? `${path}: permission denied. Make the file readable for this user.`
        : `${path}: cannot open the file (${(err as Error).message}).`;
  return new InputError(message, { file: path });
}

/** Turns stream failures (zlib, csv-parse, I/O) into InputErrors that name the file. */
function streamError(path: string, err: unknown): unknown {
  if (err instanceof InputError || !(err instanceof Error)) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code.startsWith('Z_')) {
    return new InputError(`${path}: the gzip data is corrupt or truncated (${err.message}). Download or compress the file again.`, { file: path });
  }
  if (code.startsWith('CSV_')) {
    return new InputError(`${path}: cannot parse the file as CSV (${err.message}).`, {
      file: path,
    });
  }
  if (code.startsWith('E')) {
    return new InputError(`${path}: cannot read the file (${err.message}).`, { file: path });
  }
  return err;
}

function skipReason(err: CsvError | undefined): string {
  if (err?.code === 'CSV_QUOTE_NOT_CLOSED') {
    return 'unclosed quote (the quoted field runs to the end of the file)';
  }
  return `cannot parse the row (${err?.message ?? 'unknown error'})`;
}

function fieldCountReason(width: number, found: number, line: number, inner: number): string {
  const reason = `expected ${width} fields as in the header, found ${found}`;
  if (inner === 0) return reason;
  return `${reason} (lines ${line}-${line + inner} were read as one row: is a quote left open?)`;
}

/** Line breaks in `text`: CRLF, LF and a lone CR each count once. */
function countBreaks(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) n++;
  }
  return n;
}

function isBlank(fields: string[]): boolean {
  for (const f of fields) if (f.trim() !== '') return false;
  return true;
}

/** Rejects a `columns` mapping that names a column the reader does not know. */
function checkMapping(wanted: readonly string[], columns: CsvOptions['columns']): void {
  for (const name of Object.keys(columns ?? {})) {
    if (!wanted.includes(name)) {
      throw new InputError(`--columns: unknown column "${name}". Known columns: ${wanted.join(', ')}.`);
    }
  }
}

/** Finds each wanted column in the header; -1 for an absent optional one. */
function resolveColumns(path: string, line: number, header: readonly string[], wanted: readonly string[], options: CsvOptions): number[] {
  const where = { file: path, line };
  const shown = header.join(',');
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === '') return; // unnamed columns (e.g. a pandas index) are never read
    const before = seen.get(name);
    if (before !== undefined) {
      throw new InputError(`${path}:${line}: duplicate column "${name}" in the header (columns ${before + 1} and ${i + 1}). Rename one of them.`, where);
    }
    seen.set(name, i);
  });

  const required = new Set(options.required ?? []);
  const missing: string[] = [];
  const positions = wanted.map((name) => {
    const mapped = options.columns?.[name];
    if (mapped !== undefined) {
      const i = seen.get(mapped);
      if (i === undefined) {
        throw new InputError(
          `${path}: column "${mapped}" (given by --columns ${name}=${mapped}) is not in the header (header has: ${shown}). Check the spelling; names are case-sensitive.`,
          where,
        );
      }
      return i;
    }
    for (const candidate of [name, ...(options.aliases?.[name] ?? [])]) {
      const i = seen.get(candidate);
      if (i !== undefined) return i;
    }
    if (required.has(name)) missing.push(name);
    return -1;
  });
  if (missing.length > 0) {
    const taken = new Set(positions.filter((p) => p >= 0).map((p) => header[p]));
    const list = missing.map((m) => `"${m}"${aliasNote(m, options.aliases)}`).join(', ');
    const spec = missing.map((m) => `${m}=${guessHeader(m, header, taken) ?? '<header name>'}`);
    const plural = missing.length > 1 ? 's' : '';
    throw new InputError(
      `${path}: missing column${plural} ${list} (header has: ${shown}). Rename the column${plural} or pass --columns ${spec.join(',')}.`,
      where,
    );
  }
  return positions;
}

function aliasNote(name: string, aliases: CsvOptions['aliases']): string {
  const others = aliases?.[name] ?? [];
  return others.length > 0 ? ` (or ${others.map((a) => `"${a}"`).join(', ')})` : '';
}

/** A header name that probably means `name` (`item` or `ItemID` for `item_id`), if any. */
function guessHeader(name: string, header: readonly string[], taken: Set<string>): string | undefined {
  const want = squash(name);
  return header.find((h) => {
    if (taken.has(h) || h === '') return false;
    const have = squash(h);
    return have === want || `${have}id` === want;
  });
}

function squash(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}
