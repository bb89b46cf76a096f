import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { deleteExpiredAuthTokens } from '../auth/queries.ts';
import { purgeExpiredSessions } from '../http/session.ts';
import { purgeExpiredRateLimits } from '../http/rate-limit.ts';
import { allTenantIds } from '../tenancy/queries.ts';

export interface PurgeResult {
  sessions: number;
  rateLimits: number;
  authTokens: number;
}

/**
 * Delete what has expired: browser sessions, rate-limit windows, and every
 * tenant's reset and handoff tokens (visited one tenant at a time through
 * withTenant, so the job is bound by the same RLS as a request).
 */
export async function purgeExpired(deps: AppDeps): Promise<PurgeResult> {
  const sessions = await purgeExpiredSessions(deps);
  const rateLimits = await purgeExpiredRateLimits(deps.db);
  let authTokens = 0;
  for (const tenantId of await allTenantIds(deps.db)) {
    authTokens += await withTenant(deps.db, tenantId, (tx) => deleteExpiredAuthTokens(tx, deps.now()));
  }
  return { sessions, rateLimits, authTokens };
}
