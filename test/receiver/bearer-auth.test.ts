import { describe, expect, test } from 'vitest';
import { createBearerCheck } from '../../src/receiver/bearer-auth.js';

describe('createBearerCheck', () => {
  const check = createBearerCheck('t0ken');
  test('accepts exactly the configured bearer token, scheme in any case', () => {
    expect(check('Bearer t0ken')).toBe(true);
    expect(check('bearer t0ken')).toBe(true);
    expect(check('  Bearer   t0ken ')).toBe(true);
  });
  test('refuses a missing, wrong, longer, shorter or differently cased token', () => {
    for (const value of [undefined, '', 'Bearer', 'Bearer t0ke', 'Bearer t0ken2', 'Bearer T0KEN', 'Basic t0ken', 't0ken']) {
      expect(check(value)).toBe(false);
    }
  });
  test('lets everything through when no token is configured', () => {
    expect(createBearerCheck(undefined)(undefined)).toBe(true);
  });
});
