import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { tenantOrigin } from '../config.ts';
import { queueNotification } from '../notifications/queries.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { newToken, seal, tokenDigest } from './tokens.ts';
import {
  consumeAuthToken,
  insertAuthToken,
  peekAuthToken,
  revokeAuthTokens,
  setPasswordHash,
  userById,
  userWithHashByEmail,
  type User,
} from './queries.ts';
import type { TenantTx } from '../db/tenant.ts';

export const RESET_TOKEN_TTL_MS = 60 * 60 * 1000;
export const HANDOFF_TOKEN_TTL_MS = 2 * 60 * 1000;

export async function authenticate(deps: AppDeps, tenantId: string, email: string, password: string): Promise<User | undefined> {
  const found = await withTenant(deps.db, tenantId, (tx) => userWithHashByEmail(tx, email));
  const ok = await verifyPassword(found?.passwordHash, password);
  if (!ok || !found) return undefined;
  const { passwordHash: _drop, ...user } = found;
  return user;
}

export function loadUser(deps: AppDeps, tenantId: string, userId: string): Promise<User | undefined> {
  return withTenant(deps.db, tenantId, (tx) => userById(tx, userId));
}

/**
 * Email a reset link if the address belongs to a user of this tenant. The
 * caller answers the same either way, so the form does not reveal accounts.
 */
export async function requestPasswordReset(deps: AppDeps, tenant: Tenant, email: string): Promise<void> {
  await withTenant(deps.db, tenant.id, async (tx) => {
    const user = await userWithHashByEmail(tx, email);
    if (!user) return;
    await revokeAuthTokens(tx, user.id, 'password_reset');
    const token = newToken();
    const expiresAt = new Date(deps.now().getTime() + RESET_TOKEN_TTL_MS);
    await insertAuthToken(tx, { userId: user.id, purpose: 'password_reset', digest: tokenDigest(deps.config.sessionSecret, token), expiresAt });
    const link = `${tenantOrigin(deps.config, tenant.slug)}/password/reset/${token}`;
    // The link is a secret: it waits for the mail job sealed, never as plain text.
    await queueNotification(tx, {
      bookingId: null,
      kind: 'password_reset',
      to: user.email,
      scheduledFor: deps.now(),
      payload: { name: user.name, sealedLink: seal(deps.config.sessionSecret, link) },
    });
  });
}

export function isResetTokenValid(deps: AppDeps, tenantId: string, token: string): Promise<boolean> {
  return withTenant(deps.db, tenantId, async (tx) =>
    Boolean(await peekAuthToken(tx, 'password_reset', tokenDigest(deps.config.sessionSecret, token), deps.now())),
  );
}

/** Set a new password with a reset token; false when the token is used, expired or forged. */
export async function resetPassword(deps: AppDeps, tenantId: string, token: string, password: string): Promise<boolean> {
  const passwordHash = await hashPassword(password);
  return withTenant(deps.db, tenantId, async (tx) => {
    const userId = await consumeAuthToken(tx, 'password_reset', tokenDigest(deps.config.sessionSecret, token), deps.now());
    if (!userId) return false;
    await setPasswordHash(tx, userId, passwordHash);
    return true;
  });
}

/**
 * Sign-up happens on the root domain, but sessions are host-only cookies of
 * the tenant's subdomain: a short-lived single-use token carries the new
 * owner across.
 */
export async function createLoginHandoff(deps: AppDeps, tx: TenantTx, userId: string): Promise<string> {
  const token = newToken();
  const expiresAt = new Date(deps.now().getTime() + HANDOFF_TOKEN_TTL_MS);
  await insertAuthToken(tx, { userId, purpose: 'login_handoff', digest: tokenDigest(deps.config.sessionSecret, token), expiresAt });
  return token;
}

export function redeemLoginHandoff(deps: AppDeps, tenantId: string, token: string): Promise<User | undefined> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const userId = await consumeAuthToken(tx, 'login_handoff', tokenDigest(deps.config.sessionSecret, token), deps.now());
    return userId ? userById(tx, userId) : undefined;
  });
}
