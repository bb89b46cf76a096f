import session from 'express-session';
import connectPgSimple from 'connect-pg-simple';
import type { RequestHandler } from 'express';
import type { Knex } from 'knex';
import type pg from 'pg';
import type { AppDeps } from '../deps.ts';

declare module 'express-session' {
  interface SessionData {
    flash?: string;
  }
}

export const SESSION_TTL_MS = 14 * 24 * 60 * 60 * 1000;

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
    // trip per page view and per booking). A session therefore expires
    // SESSION_TTL_MS after it was last saved (created, signed in, flash
    // set), not after its last request; with `rolling: false` the
    // cookie's own expiry was already set at that save, so both agree.
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
    cookie: { httpOnly: true, secure, sameSite: 'lax', path: '/', maxAge: SESSION_TTL_MS },
  });
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
