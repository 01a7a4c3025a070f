import { describe, expect, it } from 'vitest';
import { assignArm, bucketFraction, fnv1a64 } from './assign.js';

/** Reference FNV-1a 64 with BigInt over TextEncoder bytes, to check the 32-bit-halves version. */
function referenceFnv(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

const asBigInt = ([hi, lo]: [number, number]) => (BigInt(hi) << 32n) | BigInt(lo);

describe('fnv1a64', () => {
  it('matches the published test vectors', () => {
    expect(asBigInt(fnv1a64(''))).toBe(0xcbf29ce484222325n);
    expect(asBigInt(fnv1a64('a'))).toBe(0xaf63dc4c8601ec8cn);
    expect(asBigInt(fnv1a64('foobar'))).toBe(0x85944171f73967e8n);
  });

  it('hashes UTF-8 bytes, including multi-byte characters, surrogate pairs and lone surrogates', () => {
    for (const s of ['visitor-42', 'é', 'Grüße', '北京', '😀 emoji', 'x\ud800y', '\udc00']) {
      expect(asBigInt(fnv1a64(s))).toBe(referenceFnv(s));
    }
  });
});

describe('assignArm', () => {
  const half = [
    { name: 'control', weight: 50 },
    { name: 'treatment', weight: 50 },
  ];

  it('is stable: the same visitor and experiment always get the same arm', () => {
    for (let i = 0; i < 200; i++) {
      const v = `visitor-${i}`;
      expect(assignArm(v, 'exp-1', half)).toBe(assignArm(v, 'exp-1', half));
    }
    expect(bucketFraction('v1', 'exp-1')).toBe(bucketFraction('v1', 'exp-1'));
  });

  it('splits 100,000 visitors within 1% of the weights (50/50 and 20/30/50)', () => {
    const n = 100_000;
    const threeWay = [
      { name: 'a', weight: 0.2 },
      { name: 'b', weight: 0.3 },
      { name: 'c', weight: 0.5 },
    ];
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const v = `visitor-${i}`;
      for (const [exp, arms] of [
        ['exp-half', half],
        ['exp-three', threeWay],
      ] as const) {
        const key = `${exp}:${assignArm(v, exp, arms)}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    const share = (k: string) => (counts.get(k) ?? 0) / n;
    expect(Math.abs(share('exp-half:control') - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(share('exp-half:treatment') - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(share('exp-three:a') - 0.2)).toBeLessThan(0.01);
    expect(Math.abs(share('exp-three:b') - 0.3)).toBeLessThan(0.01);
    expect(Math.abs(share('exp-three:c') - 0.5)).toBeLessThan(0.01);
  });

  it('splits experiments independently of each other', () => {
    // Among visitors in exp-1's control, exp-2's control should still be about half.
    let inBoth = 0;
    let inFirst = 0;
    for (let i = 0; i < 20_000; i++) {
      const v = `u${i}`;
      if (assignArm(v, 'exp-1', half) === 'control') {
        inFirst++;
        if (assignArm(v, 'exp-2', half) === 'control') inBoth++;
      }
    }
    expect(Math.abs(inBoth / inFirst - 0.5)).toBeLessThan(0.02);
  });

  it('never picks an arm with weight 0, and validates the arms', () => {
    const arms = [
      { name: 'off', weight: 0 },
      { name: 'on', weight: 1 },
    ];
    for (let i = 0; i < 1000; i++) expect(assignArm(`v${i}`, 'e', arms)).toBe('on');
    expect(() => assignArm('v', 'e', [])).toThrow(/at least one arm/);
    expect(() => assignArm('v', 'e', [{ name: 'a', weight: -1 }])).toThrow(/arms\[0\]\.weight \(arm "a"\)/);
    expect(() => assignArm('v', 'e', [{ name: 'a', weight: 0 }])).toThrow(/at least one weight must be > 0/);
    expect(() =>
      assignArm('v', 'e', [
        { name: 'a', weight: 1 },
        { name: 'a', weight: 1 },
      ]),
    ).toThrow(/used twice/);
  });
});
