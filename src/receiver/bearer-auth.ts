/** Bearer-token check shared by both transports. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Returns a predicate over the `authorization` value; without a token everything passes. */
export function createBearerCheck(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true;
  // Compare fixed-length digests so neither content nor length leaks through timing.
  const expected = createHash('sha256').update(`Bearer ${token}`).digest();
  return (authorization) => {
    if (authorization === undefined) return false;
    // The scheme is case-insensitive (RFC 7235); the token is not.
    const normalized = authorization.trim().replace(/^bearer\s+/i, 'Bearer ');
    const given = createHash('sha256').update(normalized).digest();
    return timingSafeEqual(given, expected);
  };
}
