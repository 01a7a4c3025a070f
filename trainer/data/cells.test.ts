import { describe, expect, it } from 'vitest';
import { normalizeId, parseNumber, parseTimestamp } from './cells.js';

describe('parseNumber', () => {
  it('reads decimal numbers', () => {
    expect(parseNumber('12')).toBe(12);
    expect(parseNumber('-3.5')).toBe(-3.5);
    expect(parseNumber('.5')).toBe(0.5);
    expect(parseNumber('1e3')).toBe(1000);
    expect(parseNumber('+2.')).toBe(2);
  });

  it('gives NaN where Number() would guess', () => {
    for (const text of ['', ' ', '0x10', 'Infinity', '1,000', '1.2.3', 'abc', '-']) {
      expect(parseNumber(text), text).toBeNaN();
    }
  });
});

describe('parseTimestamp', () => {
  const at = Date.UTC(2010, 11, 1, 8, 26);

  it('reads ISO 8601 as UTC unless an offset is given', () => {
    expect(parseTimestamp('2010-12-01T08:26:00')).toBe(at);
    expect(parseTimestamp('2010-12-01T08:26:00Z')).toBe(at);
    expect(parseTimestamp('2010-12-01T09:26:00+01:00')).toBe(at);
    expect(parseTimestamp('2010-12-01T03:26:00-0500')).toBe(at);
    expect(parseTimestamp('2010-12-01T08:26:00.250Z')).toBe(at + 250);
    expect(parseTimestamp('2010-12-01')).toBe(Date.UTC(2010, 11, 1));
  });

  it('reads "YYYY-MM-DD HH:MM" and Online Retail "M/D/YYYY H:MM"', () => {
    expect(parseTimestamp('2010-12-01 08:26')).toBe(at);
    expect(parseTimestamp('12/1/2010 8:26')).toBe(at);
    expect(parseTimestamp('12/01/2010 08:26:00')).toBe(at);
    expect(parseTimestamp('2/28/2011')).toBe(Date.UTC(2011, 1, 28));
  });

  it('reads unix seconds, and milliseconds from 1e11 up', () => {
    expect(parseTimestamp('1291191960')).toBe(at);
    expect(parseTimestamp('1291191960000')).toBe(at);
    expect(parseTimestamp('1291191960.5')).toBe(at + 500);
  });

  it('rejects impossible or unknown forms', () => {
    for (const text of ['', '2011-02-30', '2011-13-01', '13/1/2010 8:26', '2010-12-01T25:00', 'yesterday', '1/2/10']) {
      expect(parseTimestamp(text), text).toBeNaN();
    }
  });
});

describe('normalizeId', () => {
  it('drops the .0 that float exports add, nothing else', () => {
    expect(normalizeId('17850.0')).toBe('17850');
    expect(normalizeId('17850.00')).toBe('17850');
    expect(normalizeId('17850')).toBe('17850');
    expect(normalizeId('17850.5')).toBe('17850.5');
    expect(normalizeId('85123A')).toBe('85123A');
  });
});
