import type { TenantTx } from '../db/tenant.ts';

export type Role = 'owner' | 'admin' | 'staff';
export const ROLES: readonly Role[] = ['owner', 'admin', 'staff'];

export interface User {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  role: Role;
}

interface UserRow {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
}

const toUser = (r: UserRow): User => ({ id: r.id, tenantId: r.tenant_id, email: r.email, name: r.name, role: r.role });

export async function userById(tx: TenantTx, id: string): Promise<User | undefined> {
  const row = await tx<UserRow>('users').where({ id }).first();
  return row && toUser(row);
}

export async function userWithHashByEmail(tx: TenantTx, email: string): Promise<(User & { passwordHash: string }) | undefined> {
  const row = await tx<UserRow>('users').where({ email: email.toLowerCase() }).first();
  return row && { ...toUser(row), passwordHash: row.password_hash };
}

export async function insertUser(tx: TenantTx, u: { email: string; name: string; role: Role; passwordHash: string }): Promise<User> {
  const [row] = await tx<UserRow>('users')
    .insert({ tenant_id: tx.tenantId, email: u.email.toLowerCase(), name: u.name, role: u.role, password_hash: u.passwordHash })
    .returning('*');
  return toUser(row!);
}

/**
 * The one way a password changes (reset link, change form, any later one):
 * in the same transaction, every other session of the user ends, so whoever
 * knew the old password, or holds a stolen cookie, is out. `keepSessionId`
 * is the session making the change, kept if it is the user's own.
 */
export async function setPasswordHash(tx: TenantTx, userId: string, passwordHash: string, keepSessionId: string | undefined): Promise<void> {
  await tx('users').where({ id: userId }).update({ password_hash: passwordHash, updated_at: tx.fn.now() });
  await endSessions(tx, userId, keepSessionId);
}

/**
 * End a user's sessions (all but `keepSessionId`). Sessions are found by
 * the user they are signed in as (http_sessions.signed_in_*, generated from
 * passport's part of the session, migrations/0023).
 */
export async function endSessions(tx: TenantTx, userId: string, keepSessionId?: string): Promise<number> {
  const q = tx('http_sessions').where({ signed_in_tenant: tx.tenantId, signed_in_user: userId });
  return (keepSessionId ? q.whereNot({ sid: keepSessionId }) : q).del();
}

export type TokenPurpose = 'password_reset' | 'login_handoff' | 'email_verification';

export async function insertAuthToken(tx: TenantTx, t: { userId: string; purpose: TokenPurpose; digest: string; expiresAt: Date }): Promise<void> {
  await tx('auth_tokens').insert({ tenant_id: tx.tenantId, user_id: t.userId, purpose: t.purpose, token_hash: t.digest, expires_at: t.expiresAt });
}

/** The user a still-valid token belongs to, without using it up. */
export async function peekAuthToken(tx: TenantTx, purpose: TokenPurpose, digest: string, now: Date): Promise<string | undefined> {
  const row = await tx('auth_tokens')
    .where({ purpose, token_hash: digest })
    .whereNull('used_at')
    .where('expires_at', '>', now)
    .first('user_id');
  return row?.user_id as string | undefined;
}

/**
 * Use a token up: one UPDATE that only matches an unused, unexpired row, so
 * two simultaneous redemptions cannot both succeed.
 */
export async function consumeAuthToken(tx: TenantTx, purpose: TokenPurpose, digest: string, now: Date): Promise<string | undefined> {
  const rows = await tx('auth_tokens')
    .where({ purpose, token_hash: digest })
    .whereNull('used_at')
    .where('expires_at', '>', now)
    .update({ used_at: now })
    .returning('user_id');
  return rows[0]?.user_id as string | undefined;
}

/** Drop a user's other unused tokens of a purpose (a new reset link replaces older ones). */
export async function revokeAuthTokens(tx: TenantTx, userId: string, purpose: TokenPurpose): Promise<void> {
  await tx('auth_tokens').where({ user_id: userId, purpose }).whereNull('used_at').del();
}

export async function deleteExpiredAuthTokens(tx: TenantTx, now: Date): Promise<number> {
  return tx('auth_tokens').where('expires_at', '<', now).del();
}
