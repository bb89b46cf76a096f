import type { RequestHandler } from 'express';
import type { AppDeps } from '../deps.ts';
import { HttpError, tooManyRequests } from '../http/errors.ts';
import { rateLimiterOf } from '../http/rate-limit.ts';
import { withTenant } from '../db/tenant.ts';
import { currentTenant } from '../tenancy/queries.ts';
import { apiKeyOwner } from './keys.ts';

const invalid = (detail: string, challenge: string) =>
  new HttpError(401, 'unauthorized', 'Unauthorized', detail, { headers: { 'WWW-Authenticate': challenge } });

/** Requests per key per minute (scaled by RATE_LIMIT_MULTIPLIER). */
export const API_RATE_PER_MINUTE = 300;
/**
 * Requests per business per minute, over all its keys (scaled likewise):
 * a business cannot buy more of the API's capacity by making more keys.
 */
export const API_TENANT_RATE_PER_MINUTE = 1200;

/**
 * Mounted in front of the whole /api router (src/http/app.ts): no route
 * there runs without a valid, unrevoked key. The key decides the tenant —
 * the Host header does not. Each key has its own rate limit, and the
 * business one over all its keys.
 */
/** How fresh an API key's "last used" is kept. */
const LAST_USED_STEP_MS = 60_000;

export function requireApiKey(deps: AppDeps): RequestHandler {
  const scaled = (n: number) => Math.max(1, Math.round(n * deps.config.rateLimitMultiplier));
  const perKey = scaled(API_RATE_PER_MINUTE);
  const perTenant = scaled(API_TENANT_RATE_PER_MINUTE);
  return async (req, res, next) => {
    const header = req.get('Authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw invalid('Send an API key as "Authorization: Bearer <key>".', 'Bearer');
    const owner = await apiKeyOwner(deps.db, deps.config.sessionSecret, m[1]!);
    if (!owner) throw invalid('This API key is not valid or has been revoked.', 'Bearer error="invalid_token"');
    const limiter = rateLimiterOf(deps.db);
    const key = await limiter.hit(`api:${owner.keyId}`, perKey, 60);
    if (!key.allowed) throw tooManyRequests(key.retryAfter, `This API key's limit of ${perKey} requests a minute is reached.`);
    const business = await limiter.hit(`api-tenant:${owner.tenantId}`, perTenant, 60);
    if (!business.allowed) throw tooManyRequests(business.retryAfter, `This business's API limit of ${perTenant} requests a minute, over all its keys, is reached.`);
    res.locals.tenant = await withTenant(deps.db, owner.tenantId, async (tx) => {
      // "Last used" to the minute: written at most once a minute per key, so a
      // crowd of requests with one key does not queue on the key's row.
      const now = deps.now();
      await tx('api_keys').where({ id: owner.keyId })
        .andWhere((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', new Date(now.getTime() - LAST_USED_STEP_MS)))
        .update({ last_used_at: now });
      return currentTenant(tx);
    });
    res.locals.apiKeyId = owner.keyId;
    next();
  };
}
