import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { issueText, validationError } from './validate.js';

const issue = (path: PropertyKey[], message: string) => ({ code: 'custom', path, message, input: undefined }) as z.core.$ZodIssue;

describe('issueText', () => {
  it('names the field of the issue once', () => {
    expect(issueText(issue([], 'the body must be JSON'))).toBe('the body must be JSON');
    expect(issueText(issue(['n'], 'n must be an integer from 1 to 100'))).toBe('n must be an integer from 1 to 100');
    expect(issueText(issue(['n'], 'Invalid input'))).toBe('n: Invalid input');
    expect(issueText(issue(['arms', 1, 'model'], 'model must be one of a, b'))).toBe('arms[1].model must be one of a, b');
    expect(issueText(issue(['arms', 0, 'weight'], 'Too small'))).toBe('arms[0].weight: Too small');
    expect(issueText(issue(['arms'], 'arms: at most 10 arms'))).toBe('arms: at most 10 arms');
  });
});

describe('validationError', () => {
  it('is 400 invalid_request with the first five issues, or 413 too_many_items when a list is too long', () => {
    const many = validationError({ issues: Array.from({ length: 7 }, (_, i) => issue([`p${i}`], 'bad')) });
    expect(many.status).toBe(400);
    expect(many.body()).toEqual({ error: { code: 'invalid_request', message: 'p0: bad; p1: bad; p2: bad; p3: bad; p4: bad' } });
    const tooMany = validationError({
      issues: [issue(['n'], 'bad'), { ...issue(['items'], 'items has 101 ids'), params: { status: 413 } } as z.core.$ZodIssue],
    });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body().error).toEqual({ code: 'too_many_items', message: 'items has 101 ids' });
  });
});
