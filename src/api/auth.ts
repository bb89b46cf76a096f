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
 * Mounted in front of the whole /api router (src/http/app.ts): no route
 * there runs without a valid, unrevoked key. The key decides the tenant —
 * the Host header does not — and each key has its own rate limit.
 */
export function requireApiKey(deps: AppDeps): RequestHandler {
  const limit = Math.max(1, Math.round(API_RATE_PER_MINUTE * deps.config.rateLimitMultiplier));
  return async (req, res, next) => {
    const header = req.get('Authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw invalid('Send an API key as "Authorization: Bearer <key>".', 'Bearer');
    const owner = await apiKeyOwner(deps.db, deps.config.sessionSecret, m[1]!);
    if (!owner) throw invalid('This API key is not valid or has been revoked.', 'Bearer error="invalid_token"');
    const { allowed, retryAfter } = await rateLimiterOf(deps.db).hit(`api:${owner.keyId}`, limit, 60);
    if (!allowed) throw tooManyRequests(retryAfter);
    res.locals.tenant = await withTenant(deps.db, owner.tenantId, async (tx) => {
      await tx('api_keys').where({ id: owner.keyId }).update({ last_used_at: deps.now() });
      return currentTenant(tx);
    });
    res.locals.apiKeyId = owner.keyId;
    next();
  };
}
