import { isIPv6 } from 'node:net';
import type { RequestHandler } from 'express';
import type { AppDeps } from '../deps.ts';
import { perDatabase, type Database } from '../db/database.ts';
import { log } from '../log.ts';
import { tooManyRequests } from './errors.ts';

/** How long a process may hold hits it has counted but not yet written. */
export const RATE_FLUSH_MS = 1000;

interface Known {
  /** The window's hits: Postgres's count at the last write, plus this process's since. */
  hits: number;
  resetAt: number;
}

/**
 * Fixed-window counters in Postgres, so every web process shares them and a
 * restart does not reset an attacker's budget.
 *
 * A key's first hit in a window is written at once and returns the shared
 * count. Later hits are decided in this process, against that count plus the
 * hits it has counted since, and written for all keys together in one
 * statement every RATE_FLUSH_MS, which also brings back the other
 * processes' hits. So one process enforces a limit exactly, n processes
 * together at worst let through what each of them counts in one flush
 * interval; and a request costs no round trip of its own.
 */
export class RateLimiter {
  /** Keys whose window is still open, as far as this process knows. */
  readonly known = new Map<string, Known>();
  private pending = new Map<string, { hits: number; windowSeconds: number }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<{ allowed: boolean; retryAfter: number }> {
    const now = Date.now();
    let k = this.known.get(key);
    if (!k || k.resetAt <= now) {
      const [row] = await this.write([{ key, hits: 1, windowSeconds }]);
      k = { hits: row!.hits, resetAt: row!.resetAt };
      this.known.set(key, k);
    } else {
      k.hits++;
      const p = this.pending.get(key);
      if (p) p.hits++;
      else this.pending.set(key, { hits: 1, windowSeconds });
    }
    // Also after a first hit: the flush forgets ended windows, so many
    // one-time callers do not pile up in memory.
    this.timer ??= setTimeout(() => void this.flush(), RATE_FLUSH_MS).unref();
    return { allowed: k.hits <= limit, retryAfter: Math.max(1, Math.ceil((k.resetAt - now) / 1000)) };
  }

  /** Write the hits counted since the last flush, and learn the shared counts. */
  async flush(): Promise<void> {
    this.timer = undefined;
    const now = Date.now();
    for (const [key, k] of this.known) if (k.resetAt <= now && !this.pending.has(key)) this.known.delete(key);
    const batch = [...this.pending].map(([key, p]) => ({ key, ...p }));
    this.pending = new Map();
    if (!batch.length) return;
    try {
      for (const row of await this.write(batch)) {
        const k = this.known.get(row.key);
        // Hits counted while the statement ran are still pending: add them on.
        const since = this.pending.get(row.key)?.hits ?? 0;
        if (k) Object.assign(k, { hits: Math.max(k.hits, row.hits + since), resetAt: row.resetAt });
      }
    } catch (err) {
      // The database is away (or the app is shutting down): the hits stay
      // counted here and the next first hit of a window resynchronises.
      log.warn('rate limit counts not written', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async write(batch: { key: string; hits: number; windowSeconds: number }[]): Promise<{ key: string; hits: number; resetAt: number }[]> {
    // Named: prepared once per connection.
    const { rows } = await this.db.app.raw<{ rows: { key: string; hits: number; reset_ms: number }[] }>(
      `insert into rate_limits as r (key, hits, reset_at)
       select k, n, now() + make_interval(secs => w) from unnest(?::text[], ?::int[], ?::int[]) as t (k, n, w)
       on conflict (key) do update set
         hits = case when r.reset_at <= now() then excluded.hits else r.hits + excluded.hits end,
         reset_at = case when r.reset_at <= now() then excluded.reset_at else r.reset_at end
       returning key, hits, (extract(epoch from reset_at) * 1000)::float8 as reset_ms`,
      [batch.map((b) => b.key), batch.map((b) => b.hits), batch.map((b) => b.windowSeconds)],
    ).options({ name: 'slotwise_rate_limit_hits' });
    return rows.map((r) => ({ key: r.key, hits: r.hits, resetAt: r.reset_ms }));
  }
}

/** The process's limiter for `db`, shared by the web routes and the API. */
export const rateLimiterOf = perDatabase((db) => new RateLimiter(db));

export interface LimitOptions {
  name: string;
  limit: number;
  windowSeconds: number;
  /**
   * What the client's address is counted within (e.g. the tenant id); the
   * address alone when absent. The address part is always `addressKey`, so
   * no limit can count an IPv6 client per address.
   */
  scope?: (req: Parameters<RequestHandler>[0]) => string;
}

/** Counts only state-changing requests (the form POST), not page views. */
export function rateLimit(deps: AppDeps, opts: LimitOptions): RequestHandler {
  const limit = Math.max(1, Math.round(opts.limit * deps.config.rateLimitMultiplier));
  return async (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const who = `${opts.scope ? `${opts.scope(req)}:` : ''}${addressKey(req.ip)}`;
    const { allowed, retryAfter } = await rateLimiterOf(deps.db).hit(`${opts.name}:${who}`, limit, opts.windowSeconds);
    if (!allowed) throw tooManyRequests(retryAfter);
    next();
  };
}

/**
 * The client as rate limits count it: an IPv4 address as it is, an IPv6
 * address by its /64. One household, phone or server gets a whole /64 (or
 * more) from its provider, so counting single IPv6 addresses would give one
 * client 2^64 budgets.
 */
export function addressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const bare = ip.split('%')[0]!.toLowerCase(); // without a zone id (fe80::1%eth0)
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare);
  if (mapped) return mapped[1]!;
  if (!isIPv6(bare)) return bare;
  return `${ipv6Groups(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, "::" expanded and an IPv4 tail converted. */
function ipv6Groups(address: string): string[] {
  let a = address;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, v4.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail] = a.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}

/** Ended rate-limit windows, and login throttles whose window (a day at most) and wait are over. */
export async function purgeExpiredRateLimits(db: Database): Promise<number> {
  const windows = await db.app('rate_limits').where('reset_at', '<', db.app.fn.now()).del();
  const throttles = await db.app('login_throttles')
    .where('window_start', '<', db.app.raw("now() - interval '1 day'"))
    .andWhere((q) => q.whereNull('retry_at').orWhere('retry_at', '<', db.app.fn.now()))
    .del();
  return windows + throttles;
}
