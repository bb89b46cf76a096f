import { tenantOrigin, type Config } from '../config.ts';
import { derivedToken, newToken, tokenDigest } from '../auth/tokens.ts';
import type { Tenant } from '../tenancy/queries.ts';

/**
 * The customer's private manage link. The token is derived from the booking
 * id and a stored nonce with the server secret, so reminders days later can
 * carry the same link, while the database holds neither the token nor
 * anything that yields it without the secret. Lookups go by a second HMAC.
 */
export interface ManageSecret {
  nonce: string;
  token: string;
  digest: string;
}

export function newManageSecret(config: Config, bookingId: string): ManageSecret {
  const nonce = newToken();
  const token = derivedToken(config.sessionSecret, 'manage', bookingId, nonce);
  return { nonce, token, digest: tokenDigest(config.sessionSecret, token) };
}

export function manageToken(config: Config, booking: { id: string; manageNonce: string }): string {
  return derivedToken(config.sessionSecret, 'manage', booking.id, booking.manageNonce);
}

export function manageUrl(config: Config, tenant: Pick<Tenant, 'slug'>, booking: { id: string; manageNonce: string }): string {
  return `${tenantOrigin(config, tenant.slug)}/manage/${manageToken(config, booking)}`;
}

export function manageDigest(config: Config, token: string): string {
  return tokenDigest(config.sessionSecret, token);
}
