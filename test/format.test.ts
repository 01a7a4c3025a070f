import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeArtifact, decodeUserRecord, FormatError } from '../core/format/index.js';
import { FIXTURE_DIR, formatFixtures } from '../trainer/artifact/fixtures.js';
import { sampleInput } from '../trainer/artifact/test-data.js';

const CORE_DIR = 'core';

async function fixture(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(FIXTURE_DIR, name)));
}

function rejection(bytes: Uint8Array): string {
  try {
    decodeArtifact(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return (err as Error).message;
  }
  throw new Error('expected the file to be rejected');
}

describe('format fixtures (test/fixtures/format)', () => {
  it('are what the encoder writes today; if the format changed on purpose, bump its version and run npx tsx trainer/artifact/write-fixtures.ts', async () => {
    const expected = formatFixtures();
    expect((await readdir(FIXTURE_DIR)).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, bytes] of Object.entries(expected)) {
      expect(Buffer.compare(await fixture(name), bytes), `${name} differs from what the encoder writes now`).toBe(0);
    }
  });

  it.each(['valid-int8.bin', 'valid-f16.bin', 'valid-f32.bin'])('reads %s', async (name) => {
    const a = decodeArtifact(await fixture(name));
    const input = sampleInput();
    expect(a.items.ids()).toEqual(input.itemIds);
    expect(a.quantization).toBe(name.slice(6, -4));
    expect(a.meta).toEqual(input.meta);
    expect(a.catalog!.entry(1).title).toBe('Tasse « café » ☕');
  });

  it.each([
    ['wrong-magic.bin', 'not a PlusOne model artifact (magic 0x504b0304, expected 0x50314d41 "P1MA")'],
    ['future-version.bin', 'unsupported format version 2; this reader supports 1'],
    ['truncated.bin', 'truncated: section item-vectors ends at byte 360 but the file has 336'],
    ['flipped-byte.bin', 'checksum mismatch in section neighbours'],
    ['flipped-header.bin', 'checksum mismatch in header'],
  ])('rejects %s: %s', async (name, message) => {
    expect(rejection(await fixture(name))).toBe(message);
  });

  it('reads the per-customer records, made for valid-int8.bin', async () => {
    const a = decodeArtifact(await fixture('valid-int8.bin'));
    const v = decodeUserRecord(await fixture('user-vector-int8.bin'), a);
    expect(v).toMatchObject({ kind: 'user-vector', quantization: 'int8', bias: 0.25, itemTableTag: a.itemTableTag });
    const top = decodeUserRecord(await fixture('user-top-items.bin'), a);
    expect(top).toMatchObject({ kind: 'top-items', items: Uint32Array.of(4, 0, 2) });
    const other = decodeArtifact(await fixture('valid-f32.bin'));
    expect(other.itemTableTag).toBe(a.itemTableTag); // same ids, same item order
  });

  it('reads record version 2 (a history alone, a vector with its history block) and the history section', async () => {
    const a = decodeArtifact(await fixture('valid-int8.bin'));
    // Without the section: what every artifact before it meant.
    expect(a.history).toBeUndefined();
    expect(a.historySettings).toEqual({ repeatBasket: true, repeatForYou: true, historyWeight: 0, repeatBoost: 0 });
    expect(decodeUserRecord(await fixture('user-history.bin'), a)).toEqual({
      kind: 'history',
      itemTableTag: a.itemTableTag,
      history: { items: Uint32Array.of(0, 3, 4), weights: Float32Array.of(2, 1, 0.5) },
    });
    const v = decodeUserRecord(await fixture('user-vector-history.bin'), a);
    expect(v).toMatchObject({ kind: 'user-vector', bias: 0.25, history: { items: Uint32Array.of(1, 2), weights: Float32Array.of(1, 3) } });
    // The vector is the same as in the version 1 record.
    expect((v as { vector: Float32Array }).vector).toEqual((decodeUserRecord(await fixture('user-vector-int8.bin'), a) as { vector: Float32Array }).vector);
    const h = decodeArtifact(await fixture('valid-int8-history.bin'));
    expect(h.history).toEqual({ repeatBasket: true, repeatForYou: false, historyWeight: 0.25, repeatBoost: 0.5 });
    expect(h.itemTableTag).toBe(a.itemTableTag);
    expect(h.sections.map((x) => x.name).at(-1)).toBe('history');
  });

  it('reads the item-features section, and an artifact without it has none (no unseen item is scored with it)', async () => {
    expect(decodeArtifact(await fixture('valid-int8.bin')).features).toBeUndefined();
    const a = decodeArtifact(await fixture('valid-int8-features.bin'));
    const f = a.features!;
    expect(f.names.ids()).toEqual(['colour:red', 'type:mug', 'thème:café']);
    expect(f.names.indexOf('thème:café')).toBe(2);
    expect(f).toMatchObject({ quantization: 'int8', dim: a.dim, normalised: true });
    expect(f.biases).toEqual(Float32Array.of(0.25, 0.125, 0));
    expect(a.itemTableTag).toBe(decodeArtifact(await fixture('valid-int8.bin')).itemTableTag);
    expect(a.sections.map((x) => x.name).at(-1)).toBe('item-features');
  });
});

describe('core/ (code shared by the trainer and the worker)', () => {
  it('imports nothing from node:* or a package, nor from outside core/, and uses no Buffer or process (vitest in tests only)', async () => {
    const files = (await readdir(CORE_DIR, { recursive: true })).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(files).toContain(join('format', 'decode.ts'));
    const problems: string[] = [];
    for (const f of files) {
      const text = await readFile(join(CORE_DIR, f), 'utf8');
      const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
      const testOnly = f.endsWith('.test.ts') || f.endsWith('score-cases.ts');
      for (const s of specifiers) {
        const inside = s.startsWith('.') && !relative(CORE_DIR, join(CORE_DIR, dirname(f), s)).startsWith('..');
        const allowed = inside || (testOnly && s === 'vitest');
        if (!allowed) problems.push(`${f} imports ${s}`);
      }
      if (/\brequire\s*\(/.test(text)) problems.push(`${f} calls require()`);
      if (/\bBuffer\b/.test(text)) problems.push(`${f} uses Buffer`);
      if (/\bprocess\s*\./.test(text)) problems.push(`${f} uses process`);
    }
    expect(problems).toEqual([]);
  });
});
