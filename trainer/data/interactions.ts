import { parseNumber, parseTimestamp } from './cells.js';
import { CsvFile } from './csv.js';

/** User-item interactions as parallel columns, one entry per input row (duplicates kept). */
export interface InteractionRows {
  users: string[];
  items: string[];
  /** Positive weights, or null when the input has none (every row then weighs 1). */
  weights: Float32Array | null;
  /** Epoch milliseconds, or null when the input has no timestamps. */
  timestamps: Float64Array | null;
  /** Rows left out, all reasons together. */
  skipped: number;
}

/** Interactions read from a file, with the counts behind `skipped`. */
interface InteractionFile extends InteractionRows {
  /** Data rows in the file, kept and skipped. */
  rows: number;
  /** Skipped rows by reason: `malformed`, `non-positive weight`. */
  skippedBy: Record<string, number>;
}

/** Options shared by the file readers. */
export interface ReadOptions {
  /** Header name to read for a canonical column (`--columns user_id=CustomerID`). */
  columns?: Readonly<Record<string, string>>;
  /** Make a malformed row fatal instead of a warning. */
  strict?: boolean;
  /** Receives one message per skipped malformed row, and summaries. */
  onWarning?: (message: string) => void;
}

/** Accepted timestamp forms, for messages. */
const TIMESTAMP_FORMS = 'ISO 8601, "YYYY-MM-DD HH:MM", "M/D/YYYY H:MM" or unix seconds';

/**
 * Reads `user_id,item_id[,weight][,timestamp]` (plain or gzip CSV). A weight must be a finite
 * number; rows with a weight <= 0 are left out and counted under `non-positive weight`.
 * Timestamps are parsed by `parseTimestamp` and stored as epoch milliseconds.
 */
export async function readInteractions(path: string, opts: ReadOptions = {}): Promise<InteractionFile> {
  const csv = await CsvFile.open(path, {
    ...opts,
    required: ['user_id', 'item_id'],
    optional: ['weight', 'timestamp'],
    numeric: ['weight'],
  });
  const kUser = csv.index('user_id');
  const kItem = csv.index('item_id');
  const hasWeight = csv.has('weight');
  const hasTime = csv.has('timestamp');
  const kWeight = csv.index('weight');
  const kTime = csv.index('timestamp');
  const users: string[] = [];
  const items: string[] = [];
  const weights: number[] = [];
  const times: number[] = [];
  let nonPositive = 0;

  for await (const { line, values } of csv.rows()) {
    let w = 1;
    if (hasWeight) {
      const text = values[kWeight];
      if (text === '') {
        csv.reject(line, `empty value in column "${csv.headerName('weight')}"`);
        continue;
      }
      w = parseNumber(text);
      if (!Number.isFinite(Math.fround(w))) {
        csv.reject(line, `column "${csv.headerName('weight')}": ${text} is too large for float32`);
        continue;
      }
      if (w <= 0) {
        nonPositive++;
        continue;
      }
    }
    let t = 0;
    if (hasTime) {
      t = parseTimestamp(values[kTime]);
      if (Number.isNaN(t)) {
        csv.reject(line, timestampReason(csv.headerName('timestamp'), values[kTime]));
        continue;
      }
    }
    users.push(values[kUser]);
    items.push(values[kItem]);
    if (hasWeight) weights.push(w);
    if (hasTime) times.push(t);
  }

  if (nonPositive > 0) {
    const rows = nonPositive === 1 ? 'row' : 'rows';
    opts.onWarning?.(`${path}: ${nonPositive} ${rows} with a weight <= 0 skipped`);
  }
  return {
    users,
    items,
    weights: hasWeight ? Float32Array.from(weights) : null,
    timestamps: hasTime ? Float64Array.from(times) : null,
    skipped: csv.skipped + nonPositive,
    rows: csv.rowsRead,
    skippedBy: { malformed: csv.skipped, 'non-positive weight': nonPositive },
  };
}

/** The message for a timestamp that does not parse. */
export function timestampReason(column: string, text: string): string {
  if (text === '') return `empty value in column "${column}"`;
  return `column "${column}": ${JSON.stringify(text)} is not a timestamp (use ${TIMESTAMP_FORMS})`;
}
