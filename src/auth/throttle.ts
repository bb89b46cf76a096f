import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http/errors.ts';
import { addressKey } from '../http/rate-limit.ts';
import { tokenDigest } from './tokens.ts';

/**
 * How sign-in attempts are slowed down: within a window of `windowMs`,
 * `free` failed attempts, then each further one waits `baseSeconds`,
 * doubling with every failure up to `maxSeconds`. A wait, never a lockout:
 * the right password gets in once the wait is over.
 */
export interface ThrottleRule {
  free: number;
  baseSeconds: number;
  maxSeconds: number;
  windowMs: number;
}

/**
 * Per account (tenant + email), from any address: what stops guessing one
 * person's password, also from many addresses. About a hundred guesses a
 * day at most; a success starts the account afresh.
 */
export const ACCOUNT_RULE: ThrottleRule = { free: 10, baseSeconds: 30, maxSeconds: 15 * 60, windowMs: 24 * 3600_000 };
/**
 * Per client address (IPv6 by /64), across accounts and businesses: what
 * stops trying a few passwords on many accounts. Generous, and only
 * failures count, so an office behind one NAT signing in normally (typos
 * included) is never slowed down; one that fails more than 30 times an hour
 * waits a little, and is never locked out.
 */
export const ADDRESS_RULE: ThrottleRule = { free: 30, baseSeconds: 5, maxSeconds: 15 * 60, windowMs: 3600_000 };

export interface AttemptKeys {
  account: string;
  address: string;
}

export const tooManyLogins = (retryAfterSeconds: number) =>
  new HttpError(429, 'rate_limited', 'Too many attempts', `Too many attempts to sign in. Try again in ${waitInWords(retryAfterSeconds)}.`, {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });

/** The throttle keys of one attempt. The email is stored as a keyed hash: this table has no RLS. */
export function attemptKeys(secret: string, tenantId: string, email: string, ip: string | undefined): AttemptKeys {
  return { account: `account:${tokenDigest(secret, `login:${tenantId}:${email.trim().toLowerCase()}`)}`, address: `address:${addressKey(ip)}` };
}

interface Row {
  key: string;
  failures: number;
  window_start: Date;
  retry_at: Date | null;
}

/**
 * Count an attempt as failed before the password is checked, or refuse it
 * with 429 (`tooManyLogins`) while a wait is running.
 *
 * Counted first, under row locks, so that attempts sent in parallel are
 * decided one after another: of many that arrive together when one free
 * attempt is left, one goes on and the rest are refused like any later
 * attempt. The caller reports a success with `attemptSucceeded`; anything
 * else (a wrong password, a crash) stays counted.
 */
export async function beginAttempt(deps: AppDeps, keys: AttemptKeys): Promise<void> {
  const now = deps.now();
  const rules = rulesOf(deps, keys);
  const waitSeconds = await deps.db.app.transaction(async (trx) => {
    await trx.raw('insert into login_throttles (key, window_start) select unnest(?::text[]), ? on conflict (key) do nothing', [[...rules.keys()], now]);
    const rows: Row[] = await trx('login_throttles').whereIn('key', [...rules.keys()]).orderBy('key').forUpdate();
    const until = Math.max(0, ...rows.filter((r) => r.retry_at && r.retry_at > now).map((r) => r.retry_at!.getTime()));
    if (until) return Math.max(1, Math.ceil((until - now.getTime()) / 1000));
    for (const r of rows) {
      const rule = rules.get(r.key)!;
      const fresh = now.getTime() - r.window_start.getTime() >= rule.windowMs;
      const failures = (fresh ? 0 : r.failures) + 1;
      await trx('login_throttles').where({ key: r.key }).update({ failures, window_start: fresh ? now : r.window_start, retry_at: retryAt(rule, failures, now) });
    }
    return 0;
  });
  if (waitSeconds) throw tooManyLogins(waitSeconds);
}

/**
 * The password was right: the account starts afresh, and the address's
 * attempt was no failure (its earlier failures still count: a success of
 * one's own account must not buy guesses at others).
 */
export async function attemptSucceeded(deps: AppDeps, keys: AttemptKeys): Promise<void> {
  const rules = rulesOf(deps, keys);
  await deps.db.app.transaction(async (trx) => {
    await trx('login_throttles').where({ key: keys.account }).del();
    const [row] = await trx('login_throttles').where({ key: keys.address }).forUpdate() as Row[];
    if (!row) return;
    const failures = Math.max(0, row.failures - 1);
    // The wait this attempt itself may have started (it was counted as a failure) goes with it.
    const retry = failures < rules.get(keys.address)!.free ? null : row.retry_at;
    await trx('login_throttles').where({ key: keys.address }).update({ failures, retry_at: retry });
  });
}

/** After the attempt that made `failures`: no wait within the free attempts, then base · 2^n, capped. */
export function retryAt(rule: ThrottleRule, failures: number, now: Date): Date | null {
  if (failures < rule.free) return null;
  const seconds = Math.min(rule.maxSeconds, rule.baseSeconds * 2 ** Math.min(30, failures - rule.free));
  return new Date(now.getTime() + seconds * 1000);
}

function rulesOf(deps: AppDeps, keys: AttemptKeys): Map<string, ThrottleRule> {
  // RATE_LIMIT_MULTIPLIER scales the free attempts like every other limit (load tests, busy test suites).
  const scaled = (r: ThrottleRule): ThrottleRule => ({ ...r, free: Math.max(1, Math.round(r.free * deps.config.rateLimitMultiplier)) });
  return new Map([[keys.account, scaled(ACCOUNT_RULE)], [keys.address, scaled(ADDRESS_RULE)]]);
}

function waitInWords(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
