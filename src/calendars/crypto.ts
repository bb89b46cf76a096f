import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';

/**
 * Calendar grants (refresh tokens) at rest: AES-256-GCM under
 * ENCRYPTION_KEY, a fresh 96-bit IV per value, the tag checked on the way
 * back, so a copy of the database alone holds no usable grant. The config
 * refuses a configured provider without the key (src/config.ts).
 */
function keyOf(config: Pick<Config, 'encryptionKey'>): Buffer {
  if (!config.encryptionKey) throw new Error('ENCRYPTION_KEY is not set');
  return config.encryptionKey;
}

export function sealGrant(config: Pick<Config, 'encryptionKey'>, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(config), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), body].map((b) => (typeof b === 'string' ? b : b.toString('base64url'))).join('.');
}

export function unsealGrant(config: Pick<Config, 'encryptionKey'>, sealed: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed grant');
  const decipher = createDecipheriv('aes-256-gcm', keyOf(config), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
