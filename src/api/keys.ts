import { randomBytes } from 'node:crypto';
import type { AppDeps } from '../deps.ts';
import type { Database } from '../db/database.ts';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import { tokenDigest } from '../auth/tokens.ts';
import { queueNotification } from '../notifications/queries.ts';

/**
 * API keys: `sw_<prefix>_<secret>`, shown once. The database stores an HMAC
 * (keyed with the server secret) and the prefix, for telling keys apart.
 */
export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/**
 * Create a key, and tell the business's owner in the same transaction: a
 * key acts for the whole business, so the owner hears of every one, whoever
 * made it (an admin, the operator's CLI). `createdBy` is the user who made
 * it; their keys are revoked when they are removed or become staff
 * (migrations/0023).
 */
export async function createApiKey(deps: AppDeps, tenantId: string, name: string, createdBy: string | null = null): Promise<{ key: string; info: ApiKeyInfo }> {
  const prefix = randomBytes(4).toString('hex');
  const key = `sw_${prefix}_${randomBytes(24).toString('base64url')}`;
  const row = await withTenant(deps.db, tenantId, async (tx) => {
    const [r] = await tx('api_keys')
      .insert({ tenant_id: tenantId, name, prefix, key_hash: tokenDigest(deps.config.sessionSecret, key), created_by: createdBy })
      .returning('*');
    await tellOwner(deps, tx, { keyName: name, prefix, createdBy });
    return r;
  });
  return { key, info: toInfo(row) };
}

async function tellOwner(deps: AppDeps, tx: TenantTx, k: { keyName: string; prefix: string; createdBy: string | null }): Promise<void> {
  const owner = await tx('users').where({ role: 'owner' }).first<{ email: string } | undefined>('email');
  if (!owner) return;
  const creator = k.createdBy ? await tx('users').where({ id: k.createdBy }).first<{ name: string; email: string } | undefined>('name', 'email') : undefined;
  await queueNotification(tx, {
    bookingId: null,
    kind: 'api_key_created',
    to: owner.email,
    scheduledFor: deps.now(),
    payload: { keyName: k.keyName, prefix: k.prefix, createdBy: creator ? `${creator.name} <${creator.email}>` : null },
  });
}

export async function listApiKeys(tx: TenantTx): Promise<ApiKeyInfo[]> {
  return (await tx('api_keys').orderBy('created_at', 'desc')).map(toInfo);
}

export async function revokeApiKey(tx: TenantTx, id: string, now: Date): Promise<boolean> {
  return (await tx('api_keys').where({ id }).whereNull('revoked_at').update({ revoked_at: now })) > 0;
}

/** The tenant and key id a presented key belongs to, through the owner's narrow lookup. */
export async function apiKeyOwner(db: Database, secret: string, key: string): Promise<{ tenantId: string; keyId: string } | undefined> {
  if (!/^sw_[0-9a-f]{8}_[\w-]{20,64}$/.test(key)) return undefined;
  const { rows } = await db.app.raw<{ rows: { tenant_id: string; key_id: string }[] }>('select * from app_private.api_key_owner(?)', [tokenDigest(secret, key)]);
  return rows[0] && { tenantId: rows[0].tenant_id, keyId: rows[0].key_id };
}

function toInfo(r: { id: string; name: string; prefix: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null }): ApiKeyInfo {
  return { id: r.id, name: r.name, prefix: r.prefix, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at };
}
