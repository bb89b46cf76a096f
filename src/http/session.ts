import session from 'express-session';
import connectPgSimple from 'connect-pg-simple';
import type { RequestHandler } from 'express';
import type { Knex } from 'knex';
import type pg from 'pg';
import type { AppDeps } from '../deps.ts';
import type { SessionUser } from '../auth/passport.ts';

declare module 'express-session' {
  interface SessionData {
    flash?: string;
    /** The last request of the signed-in user, as `sessionLifetime` last wrote it (epoch ms). */
    seenAt?: number;
  }
}

/** A signed-in session ends after this long without a request… */
export const SESSION_IDLE_MS = 12 * 3600_000;
/** …and this long after signing in, however busy. */
export const SESSION_ABSOLUTE_MS = 14 * 24 * 3600_000;
/** How stale `seenAt` may get: one session write per this interval of activity, not one per request. */
export const SEEN_EVERY_MS = 5 * 60_000;

export function sessionCookieName(secure: boolean): string {
  // `__Host-` makes the browser refuse the cookie unless it is Secure, host-only and Path=/.
  return secure ? '__Host-sid' : 'sid';
}

/**
 * Sessions live in Postgres (http_sessions, created by a migration: the
 * runtime role cannot create tables). Cookies are host-only (no Domain), so a
 * tenant subdomain never receives another's session.
 */
export function sessionMiddleware(deps: AppDeps): RequestHandler {
  const PgStore = connectPgSimple(session);
  const secure = deps.config.scheme === 'https';
  const store = new PgStore({
    tableName: 'http_sessions',
    createTableIfMissing: false,
    pruneSessionInterval: false, // the worker's cron purges expired sessions
    // No UPDATE on every request that leaves the session unchanged (a round
    // trip per page view). `sessionLifetime` changes the session (and so
    // its row's and cookie's expiry) at most every SEEN_EVERY_MS of
    // activity, which is what keeps an active session alive.
    disableTouch: true,
    pool: runtimeQueryable(deps.db.app) as never,
  });
  return session({
    name: sessionCookieName(secure),
    secret: deps.config.sessionSecret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    proxy: true,
    cookie: { httpOnly: true, secure, sameSite: 'lax', path: '/', maxAge: SESSION_IDLE_MS },
  });
}

/**
 * After passport: a signed-in session ends after SESSION_IDLE_MS without a
 * request and SESSION_ABSOLUTE_MS after signing in (passport's `since`,
 * stamped at every sign-in, src/auth/passport.ts). An ended session is
 * replaced by an empty one and the request goes on signed out (the
 * dashboard then sends it to the login form). A session without `since`
 * comes from before this rule and ends too.
 *
 * The row's and the cookie's expiry follow: each write sets them to the
 * idle limit from now, never past the absolute one, so the store forgets
 * what the server would refuse anyway. Measured on the wall clock, as the
 * cookie and the store measure theirs (the app's clock, `deps.now`, is the
 * business's: booking rules and tokens).
 */
export function sessionLifetime(): RequestHandler {
  return (req, res, next) => {
    const signedIn = (req.session as { passport?: { user?: Partial<SessionUser> } } | undefined)?.passport?.user;
    if (!signedIn) return next();
    const now = Date.now();
    const since = typeof signedIn.since === 'number' ? signedIn.since : Number.NaN;
    const seen = req.session.seenAt ?? since;
    if (!(now - since < SESSION_ABSOLUTE_MS && now - seen < SESSION_IDLE_MS)) {
      req.user = undefined;
      req.session.regenerate((err) => {
        if (err) return next(err);
        req.session.flash = 'Your session has ended. Sign in again.';
        res.locals.flashForNextPage = true; // this request only redirects to the login form, which shows it
        next();
      });
      return;
    }
    if (now - seen >= SEEN_EVERY_MS || req.session.seenAt === undefined) req.session.seenAt = now;
    req.session.cookie.maxAge = Math.min(SESSION_IDLE_MS, since + SESSION_ABSOLUTE_MS - now);
    next();
  };
}

export async function purgeExpiredSessions(deps: AppDeps): Promise<number> {
  return deps.db.app('http_sessions').where('expire', '<', deps.db.app.raw('now()::timestamp')).del();
}

/**
 * connect-pg-simple wants a pg.Pool-like `query(text, params)` with `$n`
 * placeholders; lend it connections of the runtime pool rather than opening
 * a third pool.
 */
function runtimeQueryable(knex: Knex) {
  return {
    async query(text: string, params: unknown[]) {
      const conn = (await knex.client.acquireConnection()) as pg.PoolClient;
      try {
        return await conn.query(text, params);
      } finally {
        await knex.client.releaseConnection(conn);
      }
    },
  };
}
