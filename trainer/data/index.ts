export { parseNumber, parseTimestamp, normalizeId } from './cells.js';
export { CsvFile } from './csv.js';
export type { CsvOptions, CsvRow } from './csv.js';
export { Dataset, IdMap } from './dataset.js';
export type {
  DatasetInteractions,
  DatasetJSON,
  DatasetOptions,
  FeatureOptions,
  FitInput,
  UnknownPolicy,
} from './dataset.js';
export { InputError } from './errors.js';
export type { InputLocation } from './errors.js';
export { readFeatures } from './features.js';
export type { FeatureRows } from './features.js';
export { readInteractions, TIMESTAMP_FORMS } from './interactions.js';
export type { InteractionFile, InteractionRows, ReadOptions } from './interactions.js';
export { ORDER_COLUMNS, ordersToInteractions, parseColumnsArg, readOrders } from './orders.js';
export type {
  OrderOptions,
  OrderRows,
  OrderSkipReason,
  OrdersToInteractionsOptions,
} from './orders.js';
export { csrFromCoo, csrHas } from './sparse.js';
export type { Csr } from './sparse.js';
