import { describe, expect, it } from 'vitest';
import { cardMetrics, listSlots, parseServingConfig, parseSlotKey, parseVersionEntry, ruleProblem, slotNameProblem, typeServesRule } from './slots.js';

describe('slot names, rules and stored values', () => {
  it('takes lowercase names of 1 to 32 characters, refusing none', () => {
    for (const ok of ['warp', 'warp-kos', 'ease', 'item-knn', 'a', '0', 'x'.repeat(32)]) expect(slotNameProblem(ok), ok).toBeNull();
    for (const bad of ['', 'Warp', 'warp kos', '-warp', 'x'.repeat(33), 'ü', '../x']) expect(slotNameProblem(bad), bad).toMatch(/not a valid name/);
    expect(slotNameProblem('none')).toMatch(/reserved/);
    expect(slotNameProblem(3)).toMatch(/must be text/);
  });

  it('lets a kind serve the surfaces it answers, and new-items only kinds that answer from an item', () => {
    expect(typeServesRule('user-knn', 'for-you')).toBe(true);
    expect(typeServesRule('user-knn', 'basket')).toBe(false);
    expect(typeServesRule('user-knn', 'new-items')).toBe(false);
    expect(typeServesRule('lightfm', 'new-items')).toBe(true);
    expect(typeServesRule('magic', 'basket')).toBe(false);
    const kinds: Record<string, string | null> = { ease: 'item-knn', lookalike: 'user-knn', empty: null };
    const kindOf = (s: string) => kinds[s] ?? null;
    expect(ruleProblem('similar', { slot: 'ease', fallback: null }, kindOf)).toBeNull();
    expect(ruleProblem('similar', { slot: 'ease', fallback: 'lookalike' }, kindOf)).toMatch(
      /fallback "lookalike" holds a user-knn model, which does not serve similar/,
    );
    expect(ruleProblem('for-you', { slot: 'empty', fallback: null }, kindOf)).toMatch(/slot "empty" is empty/);
  });

  it('reads a serving configuration, leaving out (and naming) the rules it cannot parse', () => {
    const text = JSON.stringify({
      surfaces: { basket: { slot: 'ease', fallback: 'warp' }, similar: { slot: 'ease' }, 'for-you': { slot: 'X' }, home: { slot: 'a' }, 'new-items': null },
      updated: 'u',
    });
    const { config, problems } = parseServingConfig(text, 's1');
    expect(config).toEqual({ surfaces: { basket: { slot: 'ease', fallback: 'warp' }, similar: { slot: 'ease', fallback: null } }, updated: 'u' });
    expect(problems).toHaveLength(2);
    expect(() => parseServingConfig('[1]', 's1')).toThrow(/not a JSON object/);
    expect(() => parseServingConfig('{"surfaces":3}', 's1')).toThrow(/no surfaces object/);
  });

  it('knows the keys of the layout, and reads version entries and card figures', () => {
    expect(parseSlotKey('s1', 'sellers/s1/slots/warp/active')).toEqual({ slot: 'warp', version: null });
    expect(parseSlotKey('s1', 'sellers/s1/slots/warp/versions/20260101T000000Z-warp-12345678')).toEqual({
      slot: 'warp',
      version: '20260101T000000Z-warp-12345678',
    });
    for (const other of ['sellers/s1/slots/Warp/active', 'sellers/s10/slots/warp/active', 'sellers/s1/slots/warp/x', 'sellers/s1/active'])
      expect(parseSlotKey('s1', other), other).toBeNull();
    const entry = {
      version: 'v1',
      model: 'lightfm',
      sha256: 'a'.repeat(64),
      bytes: 10,
      items: 3,
      customers: 2,
      published: 'p',
      customerShards: { count: 2, format: 1 },
      metrics: { 'p@10': 0.1, surfaces: ['for-you'], nested: { x: 1 } },
    };
    expect(parseVersionEntry(JSON.stringify(entry), 'k', 'warp')).toEqual({ ...entry, slot: 'warp', metrics: { 'p@10': 0.1 } });
    expect(() => parseVersionEntry(JSON.stringify({ ...entry, sha256: 'x' }), 'k', 'warp')).toThrow(/the version entry k has a missing or invalid sha256/);
    expect(cardMetrics({ metrics: { candidate: { 'basket_hr@10': 0.5, model: 'x' }, gate_metric: 'basket_hr@10' } })).toEqual({ 'basket_hr@10': 0.5 });
    expect(cardMetrics({ metrics: { 'p@10': 0.2 } })).toEqual({ 'p@10': 0.2 });
    expect(cardMetrics({})).toBeNull();
  });

  it('lists slots: its own pointer wins over the older type pointer, versions oldest first, the rules naming each', () => {
    const pointer = (version: string, model: string) => ({ version, model, artifact: '', sha256: '', items: 0, customers: 0, published: '', previous: null });
    const entry = (slot: string, version: string, model: string) => ({ slot, version, model, sha256: '', bytes: 0, items: 0, customers: 0, published: '' });
    const slots = listSlots({
      pointers: new Map([['item-knn', pointer('v3', 'item-knn')]]),
      entries: [entry('item-knn', 'v3', 'item-knn'), entry('warp', 'v4', 'lightfm')],
      legacyEntries: [entry('item-knn', 'v1', 'item-knn'), entry('lightfm', 'v2', 'lightfm')],
      legacyTypePointers: new Map([
        ['item-knn', pointer('v1', 'item-knn')],
        ['lightfm', pointer('v2', 'lightfm')],
      ]),
      serving: { surfaces: { basket: { slot: 'item-knn', fallback: 'warp' } }, updated: '' },
    });
    expect(slots.map((s) => [s.slot, s.kind, s.current, s.serves, s.versions.map((v) => [v.version, v.current])])).toEqual([
      [
        'item-knn',
        'item-knn',
        'v3',
        ['basket'],
        [
          ['v1', false],
          ['v3', true],
        ],
      ],
      ['lightfm', 'lightfm', 'v2', [], [['v2', true]]],
      ['warp', null, null, ['basket (fallback)'], [['v4', false]]],
    ]);
  });
});
