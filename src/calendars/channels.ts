import { createHmac, randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { isUuid } from '../db/tenant.ts';
import { safeEqual } from '../auth/tokens.ts';

/**
 * The secret a push channel carries (Google's channel token, Graph's
 * clientState): it names tenant and connection and is signed, so a
 * notification is checked before any lookup, then compared with the value
 * stored for that channel. `tenant.connection.nonce.mac`, 113 characters
 * (Graph allows 128).
 */
const mac = (config: Pick<Config, 'sessionSecret'>, body: string) =>
  createHmac('sha256', `${config.sessionSecret}:calendar-channel`).update(body).digest('base64url').slice(0, 22);

export function newChannelSecret(config: Pick<Config, 'sessionSecret'>, tenantId: string, connectionId: string): string {
  const body = `${tenantId}.${connectionId}.${randomBytes(12).toString('base64url')}`;
  return `${body}.${mac(config, body)}`;
}

/** The tenant and connection a channel secret names, when it is one of ours; undefined otherwise. */
export function readChannelSecret(config: Pick<Config, 'sessionSecret'>, secret: unknown): { tenantId: string; connectionId: string } | undefined {
  if (typeof secret !== 'string' || secret.length > 200) return undefined;
  const parts = secret.split('.');
  if (parts.length !== 4) return undefined;
  const [tenantId, connectionId, nonce, sig] = parts as [string, string, string, string];
  if (!isUuid(tenantId) || !isUuid(connectionId) || !safeEqual(sig, mac(config, `${tenantId}.${connectionId}.${nonce}`))) return undefined;
  return { tenantId, connectionId };
}

export const CHANNEL_TTL_MS = 7 * 24 * 3600_000;
