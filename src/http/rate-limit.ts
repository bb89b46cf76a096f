import type { RequestHandler } from 'express';
import type { AppDeps } from '../deps.ts';
import type { Database } from '../db/database.ts';
import { tooManyRequests } from './errors.ts';

/**
 * Fixed-window counters in Postgres, so every web process shares them and a
 * restart does not reset an attacker's budget. One upsert per request.
 */
export async function hit(db: Database, key: string, limit: number, windowSeconds: number): Promise<{ allowed: boolean; retryAfter: number }> {
  // Named: prepared once per connection, not parsed and planned on every POST.
  const { rows } = await db.app.raw<{ rows: { hits: number; retry_after: number }[] }>(
    `insert into rate_limits as r (key, hits, reset_at) values (?, 1, now() + make_interval(secs => ?))
     on conflict (key) do update set
       hits = case when r.reset_at <= now() then 1 else r.hits + 1 end,
       reset_at = case when r.reset_at <= now() then excluded.reset_at else r.reset_at end
     returning hits, ceil(extract(epoch from reset_at - now()))::int as retry_after`,
    [key, windowSeconds],
  ).options({ name: 'slotwise_rate_limit_hit' });
  const row = rows[0]!;
  return { allowed: row.hits <= limit, retryAfter: Math.max(1, row.retry_after) };
}

export interface LimitOptions {
  name: string;
  limit: number;
  windowSeconds: number;
  /** What identifies the caller; the client address by default. */
  key?: (req: Parameters<RequestHandler>[0]) => string;
}

/** Counts only state-changing requests (the form POST), not page views. */
export function rateLimit(deps: AppDeps, opts: LimitOptions): RequestHandler {
  const limit = Math.max(1, Math.round(opts.limit * deps.config.rateLimitMultiplier));
  return async (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const who = opts.key ? opts.key(req) : req.ip ?? 'unknown';
    const { allowed, retryAfter } = await hit(deps.db, `${opts.name}:${who}`, limit, opts.windowSeconds);
    if (!allowed) throw tooManyRequests(retryAfter);
    next();
  };
}

export async function purgeExpiredRateLimits(db: Database): Promise<number> {
  return db.app('rate_limits').where('reset_at', '<', db.app.fn.now()).del();
}
