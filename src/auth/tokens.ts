import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

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

const sealKey = (secret: string) => createHash('sha256').update(`slotwise:seal:${secret}`).digest();

/**
 * Encrypt a short secret for storage until a job uses it (AES-256-GCM, key
 * derived from the server secret): e.g. a reset link waiting in the mail
 * queue, which must not sit in the database as plain text.
 */
export function seal(secret: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(secret), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

export function unseal(secret: string, sealed: string): string {
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  const decipher = createDecipheriv('aes-256-gcm', sealKey(secret), iv!);
  decipher.setAuthTag(tag!);
  return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
}
