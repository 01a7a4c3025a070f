import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../data/errors.js';
import { Dataset, type DatasetJSON } from '../data/dataset.js';

/**
 * A trained model on disk, the trainer's working format (the edge gets a compact artifact
 * exported from it):
 *
 *   DIR/model.json    manifest: model type, hyperparameters, training figures, and the
 *                     table of the typed arrays stored in arrays.bin
 *   DIR/dataset.json  the id <-> index mappings (users, items, feature names)
 *   DIR/arrays.bin    the arrays back to back, little-endian, each 8-byte aligned
 */
const MODEL_DIR_FORMAT = 'plusone-model-dir';
const MODEL_DIR_VERSION = 1;

type ArrayKind = 'f32' | 'i32' | 'f64';
type TypedArray = Float32Array | Int32Array | Float64Array;

interface Section {
  name: string;
  dtype: ArrayKind;
  offset: number;
  length: number;
}

interface ModelManifest {
  format: typeof MODEL_DIR_FORMAT;
  version: number;
  type: string;
  created: string;
  /** Model-specific settings and training figures. */
  meta: Record<string, unknown>;
  sections: Section[];
}

export interface ModelDirContents {
  type: string;
  meta: Record<string, unknown>;
  dataset: Dataset;
  arrays: Record<string, TypedArray>;
}

function kindOf(a: TypedArray): ArrayKind {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Int32Array) return 'i32';
  return 'f64';
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('model directories are little-endian; this machine is big-endian');
}

/**
 * Writes a model directory. Files are written to a temporary folder beside DIR first and
 * swapped in at the end, so an interrupted write never leaves a half-written model.
 */
export async function writeModelDir(dir: string, contents: ModelDirContents): Promise<void> {
  assertLittleEndian();
  const sections: Section[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(contents.arrays)) {
    const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const pad = (8 - (bytes.length % 8)) % 8;
    sections.push({ name, dtype: kindOf(a), offset, length: a.length });
    chunks.push(Buffer.from(bytes), Buffer.alloc(pad));
    offset += bytes.length + pad;
  }
  const manifest: ModelManifest = {
    format: MODEL_DIR_FORMAT,
    version: MODEL_DIR_VERSION,
    type: contents.type,
    created: new Date().toISOString(),
    meta: contents.meta,
    sections,
  };
  const tmp = `${dir.replace(/\/+$/, '')}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeFile(join(tmp, 'arrays.bin'), Buffer.concat(chunks));
  await writeFile(join(tmp, 'dataset.json'), JSON.stringify(contents.dataset.toJSON()));
  await writeFile(join(tmp, 'model.json'), JSON.stringify(manifest, null, 2) + '\n');
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

/** Reads a model directory written by {@link writeModelDir}, checking what it can. */
export async function readModelDir(dir: string): Promise<ModelDirContents & { manifest: ModelManifest }> {
  assertLittleEndian();
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelManifest;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${dir}: no model.json here; pass the --out folder of "plusone train"`, { file: dir });
    throw new InputError(`${join(dir, 'model.json')}: not valid JSON (${(err as Error).message}); retrain the model`, { file: dir });
  }
  if (manifest.format !== MODEL_DIR_FORMAT) throw new InputError(`${dir}: model.json is not a PlusOne model directory`, { file: dir });
  if (manifest.version !== MODEL_DIR_VERSION) {
    throw new InputError(`${dir}: model directory version ${manifest.version}; this trainer reads version ${MODEL_DIR_VERSION}. Retrain the model.`, {
      file: dir,
    });
  }
  const bin = await readFile(join(dir, 'arrays.bin'));
  const arrays: Record<string, TypedArray> = {};
  for (const s of manifest.sections) {
    const width = s.dtype === 'f64' ? 8 : 4;
    if (s.offset + s.length * width > bin.length) {
      throw new InputError(`${dir}: arrays.bin is truncated (section ${s.name} ends past byte ${bin.length}); retrain the model`, { file: dir });
    }
    // Copy into a fresh, aligned buffer.
    const bytes = new Uint8Array(bin.buffer, bin.byteOffset + s.offset, s.length * width).slice();
    arrays[s.name] = s.dtype === 'f32' ? new Float32Array(bytes.buffer) : s.dtype === 'i32' ? new Int32Array(bytes.buffer) : new Float64Array(bytes.buffer);
  }
  const datasetJson = JSON.parse(await readFile(join(dir, 'dataset.json'), 'utf8')) as DatasetJSON;
  return { manifest, type: manifest.type, meta: manifest.meta, dataset: Dataset.fromJSON(datasetJson), arrays };
}
