import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The stored form of a token: HMAC-SHA256 keyed with the server secret, so a
 * copy of the database alone cannot produce a working link.
 */
export function tokenDigest(secret: string, token: string): string {
  return createHmac('sha256', secret).update(token).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A secret that can be re-derived later (for links in reminder emails)
 * without storing it: HMAC of a purpose, an id and a stored random nonce.
 * A copy of the database alone cannot derive it.
 */
export function derivedToken(secret: string, purpose: string, id: string, nonce: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${id}:${nonce}`).digest('base64url');
}
