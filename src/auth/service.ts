import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { tenantOrigin } from '../config.ts';
import { queueNotification, secretLink } from '../notifications/queries.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { newToken, tokenDigest } from './tokens.ts';
import { attemptKeys, attemptSucceeded, beginAttempt } from './throttle.ts';
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

/**
 * The one place a password is checked (the login form, the change form,
 * any later caller), so every check is throttled: per account and per
 * client address, with a growing wait answered as 429 (`tooManyLogins`),
 * see throttle.ts. `ip` is the client's address as Express reports it.
 */
export async function authenticate(deps: AppDeps, tenantId: string, email: string, password: string, ip: string | undefined): Promise<User | undefined> {
  const keys = attemptKeys(deps.config.sessionSecret, tenantId, email, ip);
  await beginAttempt(deps, keys);
  const found = await withTenant(deps.db, tenantId, (tx) => userWithHashByEmail(tx, email));
  const ok = await verifyPassword(found?.passwordHash, password);
  if (!ok || !found) return undefined;
  await attemptSucceeded(deps, keys);
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
    // Secret mail: sealed in the queue, redacted from the outbox that admins read.
    await queueNotification(tx, {
      bookingId: null,
      kind: 'password_reset',
      to: user.email,
      scheduledFor: deps.now(),
      payload: { name: user.name, ...secretLink(deps.config.sessionSecret, link) },
    });
  });
}

export function isResetTokenValid(deps: AppDeps, tenantId: string, token: string): Promise<boolean> {
  return withTenant(deps.db, tenantId, async (tx) =>
    Boolean(await peekAuthToken(tx, 'password_reset', tokenDigest(deps.config.sessionSecret, token), deps.now())),
  );
}

/**
 * Set a new password with a reset token; false when the token is used,
 * expired or forged. Every session of the user but `sessionId` (the
 * browser making the change) ends.
 */
export async function resetPassword(deps: AppDeps, tenantId: string, token: string, password: string, sessionId: string | undefined): Promise<boolean> {
  const passwordHash = await hashPassword(password);
  return withTenant(deps.db, tenantId, async (tx) => {
    const userId = await consumeAuthToken(tx, 'password_reset', tokenDigest(deps.config.sessionSecret, token), deps.now());
    if (!userId) return false;
    await setPasswordHash(tx, userId, passwordHash, sessionId);
    return true;
  });
}

/**
 * A signed-in user changes their password, proving the current one (a
 * throttled check, like the login form). The user's other sessions end;
 * `sessionId`, the one making the change, stays. False when the current
 * password is wrong.
 */
export async function changePassword(
  deps: AppDeps,
  user: User,
  current: string,
  next: string,
  at: { ip: string | undefined; sessionId: string },
): Promise<boolean> {
  if (!(await authenticate(deps, user.tenantId, user.email, current, at.ip))) return false;
  const passwordHash = await hashPassword(next);
  await withTenant(deps.db, user.tenantId, (tx) => setPasswordHash(tx, user.id, passwordHash, at.sessionId));
  return true;
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
