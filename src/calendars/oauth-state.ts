import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { safeEqual } from '../auth/tokens.ts';

/**
 * The OAuth `state` of a calendar connect: it names the tenant (and its
 * host, to hand the user back), the resource and the provider, is bound to
 * the browser session that started it (an HMAC of the session id, so a
 * state lifted from one browser fails in another), expires, and carries a
 * nonce that the tenant's `oauth_states` row lets be used once. Signed with
 * HMAC-SHA256(SESSION_SECRET), so the root-domain callback can trust what it
 * names before it knows any tenant.
 */
export const STATE_TTL_MS = 10 * 60_000;

const Claims = z.object({
  t: z.uuid(), // tenant
  h: z.string().regex(/^[a-z0-9-]{1,63}$/), // tenant slug (host)
  r: z.uuid(), // resource
  p: z.enum(['google', 'outlook']),
  n: z.string().min(16).max(64), // nonce
  s: z.string().min(16).max(128), // session binding
  e: z.number().int(), // expiry, epoch ms
});
export type StateClaims = z.infer<typeof Claims>;

const mac = (config: Pick<Config, 'sessionSecret'>, body: string) => createHmac('sha256', `${config.sessionSecret}:oauth-state`).update(body).digest('base64url');

export const sessionBinding = (config: Pick<Config, 'sessionSecret'>, sessionId: string) =>
  createHmac('sha256', `${config.sessionSecret}:oauth-session`).update(sessionId).digest('base64url');

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

export function signState(config: Pick<Config, 'sessionSecret'>, claims: StateClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${mac(config, body)}`;
}

/** The claims of a state this server signed and that has not expired; undefined otherwise. */
export function verifyState(config: Pick<Config, 'sessionSecret'>, state: unknown, now: number): StateClaims | undefined {
  if (typeof state !== 'string' || state.length > 2000) return undefined;
  const [body, sig, extra] = state.split('.');
  if (!body || !sig || extra !== undefined || !safeEqual(sig, mac(config, body))) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = Claims.safeParse(json);
  if (!parsed.success || parsed.data.e < now) return undefined;
  return parsed.data;
}
