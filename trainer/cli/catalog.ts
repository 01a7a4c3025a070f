import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError } from '../data/errors.js';
import { checkSeller } from '../publish/publish.js';
import { helpText, numberOption, parseCommand, type CommandSpec } from './args.js';
import type { Io } from './io.js';

/**
 * `plusone catalog push`: sends a catalog file to the edge's `PUT /v1/sellers/:seller/catalog`
 * (spec/edge-api.md, "Catalog updates") in calls of up to 10,000 items and 8 MiB, each applied
 * whole by the edge; the edge's refusals are shown by the file's own lines. It goes through
 * the API because that is where a call is made atomic (R2 conditional writes), for the local
 * `wrangler dev` as for a deployed worker.
 */

export const catalogSpec: CommandSpec = {
  name: 'catalog',
  summary: 'push catalog updates (new products, prices, stock, tags) to the edge, without a retrain',
  usage: 'plusone catalog push --seller S --file F [--url URL | --local | --remote] [--key sk_…] [--json]   (plusone catalog push --help)',
  options: {},
};

/** The local edge that `npx wrangler dev` and `npm start` serve. */
const LOCAL_URL = 'http://127.0.0.1:8787';
/** What one call takes at most (the edge's limits). */
const CALL_ITEMS = 10_000;
const CALL_BYTES = 8 * 1024 * 1024;
/** Attempts of a call the edge asks to repeat (409 catalog_conflict, 429, 503). */
const ATTEMPTS = 4;

const pushSpec: CommandSpec = {
  name: 'catalog push',
  summary: 'upsert the items of a file into the catalog the edge answers with: NDJSON (one item per line) or JSON {"items":[…]}',
  usage: 'plusone catalog push --seller S --file F [--url URL | --local | --remote] [--key sk_…] [--batch N] [--json]',
  options: {
    seller: { type: 'string', value: 'S', help: 'seller id', required: true },
    file: {
      type: 'string',
      value: 'F',
      help: 'items {"id","title","url","image","price","in_stock","category","features":[…]}: .ndjson/.jsonl one per line, .json {"items":[…]} (or a list)',
      required: true,
    },
    url: { type: 'string', value: 'URL', help: `the edge's address (the worker's https:// address for a deployment)` },
    local: { type: 'boolean', help: `the local edge of \`npx wrangler dev\` and \`npm start\`, ${LOCAL_URL} (the default)` },
    remote: { type: 'boolean', help: 'a deployed worker: needs --url' },
    key: { type: 'string', value: 'sk_…', help: "the seller's secret key (default: the PLUSONE_KEY environment variable)" },
    batch: { type: 'string', value: 'N', help: `items per call, 1 to ${CALL_ITEMS}`, default: String(CALL_ITEMS) },
    json: { type: 'boolean', help: 'print one JSON line with what was pushed' },
  },
};

/** One item of the file, as sent, and where it is in the file (for messages). */
interface FileItem {
  line: string;
  where: string;
}

/** The items of a catalog file: its non-blank lines (NDJSON), or the elements of `items` (JSON), each checked to be a JSON object. */
export function catalogFileItems(text: string, path: string): FileItem[] {
  const trimmed = text.trimStart();
  const ext = extname(path).toLowerCase();
  const asJson = ext === '.json' || (ext !== '.ndjson' && ext !== '.jsonl' && (trimmed.startsWith('[') || /^\{\s*"items"\s*:/.test(trimmed)));
  if (asJson) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new InputError(`${path}: not JSON (${(err as Error).message}); write {"items":[…]}, a list of items, or NDJSON (.ndjson) with one item per line`);
    }
    const items = Array.isArray(doc) ? doc : (doc as { items?: unknown } | null)?.items;
    if (!Array.isArray(items)) throw new InputError(`${path}: expected {"items":[…]} or a list of items`);
    return items.map((item, k) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new InputError(`${path}: items[${k}] is not an object such as {"id":"sku1"}`);
      return { line: JSON.stringify(item), where: `${path} items[${k}]` };
    });
  }
  const out: FileItem[] = [];
  text.split('\n').forEach((raw, k) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    let item: unknown;
    try {
      item = JSON.parse(line);
    } catch (err) {
      throw new InputError(`${path}:${k + 1}: not JSON (${(err as Error).message}); each line is one item such as {"id":"sku1","in_stock":false}`);
    }
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new InputError(`${path}:${k + 1}: not an object such as {"id":"sku1"}`);
    out.push({ line, where: `${path}:${k + 1}` });
  });
  return out;
}

/** Calls of at most `maxItems` items and {@link CALL_BYTES} bytes, in file order. */
function calls(items: FileItem[], maxItems: number): FileItem[][] {
  const out: FileItem[][] = [];
  let current: FileItem[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(item.line) + 1;
    if (size > CALL_BYTES) throw new InputError(`${item.where}: one item of ${size} bytes; a call takes at most ${CALL_BYTES}`);
    if (current.length === maxItems || bytes + size > CALL_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The edge's message with its "line K" (of the call) replaced by where that item is in the file. */
export function inFileTerms(message: string, call: FileItem[]): string {
  return message.replace(/\bline (\d+)\b/g, (text, k: string) => call[Number(k) - 1]?.where ?? text);
}

interface CatalogVersion {
  version: number;
  base_entries: number;
  delta_entries: number;
  updated: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pushCommand(argv: string[], io: Io): Promise<number> {
  const { values, help } = parseCommand(pushSpec, argv);
  if (help) {
    io.out(helpText(pushSpec));
    return 0;
  }
  const seller = values.seller as string;
  checkSeller(seller);
  if (values.local && values.remote) throw new InputError('give --local or --remote, not both');
  if (values.local && values.url !== undefined) throw new InputError(`--local is the local edge at ${LOCAL_URL}; give --url alone for another address`);
  if (values.remote && values.url === undefined) throw new InputError("--remote needs --url, the deployed worker's address (https://…)");
  const base = String(values.url ?? LOCAL_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(base)) throw new InputError(`--url must be an http:// or https:// address, got "${base}"`);
  const key = (values.key as string | undefined) ?? process.env.PLUSONE_KEY;
  if (key === undefined || key === '') throw new InputError("give the seller's secret key: --key sk_… or the PLUSONE_KEY environment variable");
  if (!key.startsWith('sk_')) throw new InputError('catalog updates need a secret key (sk_…); a publishable key is refused by the edge');
  const batch = numberOption(values, 'batch', { integer: true, min: 1, max: CALL_ITEMS });
  const path = values.file as string;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const items = catalogFileItems(text, path);
  if (items.length === 0) throw new InputError(`${path} holds no items`);
  const plan = calls(items, batch);
  const url = `${base}/v1/sellers/${encodeURIComponent(seller)}/catalog`;
  let pushed = 0;
  let catalog: CatalogVersion | null = null;
  for (const [k, call] of plan.entries()) {
    const body = call.map((i) => i.line).join('\n') + '\n';
    let answer: { status: number; body: Record<string, unknown> } | null = null;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, { method: 'PUT', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/x-ndjson' }, body });
      } catch (err) {
        const c = (err as { cause?: { code?: string; message?: string } }).cause;
        const cause = c?.code ?? c?.message ?? (err as Error).message;
        io.err(
          `error: cannot reach the edge at ${base} (${cause})${pushed > 0 ? `; the ${pushed} items of the calls before were applied` : ''}. Is it running (npx wrangler dev, npm start), and is --url right?`,
        );
        return 1;
      }
      let parsed: Record<string, unknown>;
      try {
        parsed = (await res.json()) as Record<string, unknown>;
      } catch {
        io.err(`error: ${url} answered ${res.status} without JSON: is --url the PlusOne edge?`);
        return 1;
      }
      answer = { status: res.status, body: parsed };
      const again = res.status === 409 || res.status === 429 || res.status === 503;
      if (!again || attempt === ATTEMPTS) break;
      const wait = Number(res.headers.get('retry-after'));
      await sleep(Number.isFinite(wait) && wait > 0 ? Math.min(wait, 30) * 1000 : 500 * 2 ** (attempt - 1));
    }
    if (answer!.status !== 200) {
      const error = answer!.body.error as { code?: string; message?: string } | undefined;
      const where = `call ${k + 1} of ${plan.length} (${call[0].where} to ${call[call.length - 1].where})`;
      const applied = pushed > 0 ? `the ${pushed} items of the calls before it were applied` : 'nothing was applied';
      io.err(
        `error: the edge refused ${where} with ${answer!.status} ${error?.code ?? ''}: ${inFileTerms(error?.message ?? JSON.stringify(answer!.body), call)}. Nothing of this call was applied; ${applied}${k + 1 < plan.length ? '; the later calls were not sent' : ''}.`,
      );
      return answer!.status >= 500 ? 1 : 2;
    }
    pushed += call.length;
    catalog = answer!.body.catalog as CatalogVersion;
    io.err(`call ${k + 1} of ${plan.length}: ${call.length} items applied (catalog version ${catalog.version})`);
  }
  const summary = { seller, url: base, items: pushed, calls: plan.length, catalog };
  if (values.json) io.out(JSON.stringify(summary));
  else
    io.out(
      `pushed ${pushed} items to seller ${seller} in ${plan.length} call${plan.length === 1 ? '' : 's'}: catalog version ${catalog!.version} (${catalog!.base_entries} base + ${catalog!.delta_entries} delta entries); answers use it within MEMO_SECONDS (5 s)`,
    );
  return 0;
}

/** `plusone catalog <subcommand>`. */
export async function catalogCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'push') return pushCommand(rest, io);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(`${helpText(catalogSpec)}\n\nSubcommands:\n  push    ${pushSpec.summary}`);
    return sub === undefined ? 2 : 0;
  }
  throw new InputError(`plusone catalog: unknown subcommand "${sub}"; see "plusone catalog --help"`);
}
