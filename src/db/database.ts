import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { log } from '../log.ts';

/** The role every request and every job body queries as (see migrations/0001). */
export const RUNTIME_ROLE = 'slotwise_app';

/**
 * The two connection pools of a process.
 *
 * - `owner` connects as `DATABASE_URL`: migrations, graphile-worker's queue,
 *   and nothing that serves a request.
 * - `app` is the runtime role, subject to row-level security. With
 *   `APP_DATABASE_URL` it is that login; otherwise it logs in with
 *   `DATABASE_URL` and every connection is switched to the runtime role at
 *   connect time (`-c role=…`), so RLS holds for all app queries. No code path
 *   may issue `RESET ROLE`.
 *
 * Every connection runs with `TimeZone=UTC`: node-pg renders tstzrange values
 * as text in the session zone, and the server's own zone must never matter.
 */
export interface Database {
  readonly owner: Knex;
  readonly app: Knex;
  readonly ownerUrl: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string;
  appDatabaseUrl?: string | undefined;
  appPoolMax?: number;
}

export function connectDatabase(opts: DatabaseOptions): Database {
  const owner = makeKnex(opts.databaseUrl, '-c TimeZone=UTC', 4);
  const appOptions = opts.appDatabaseUrl ? '-c TimeZone=UTC' : `-c role=${RUNTIME_ROLE} -c TimeZone=UTC`;
  const app = makeKnex(opts.appDatabaseUrl ?? opts.databaseUrl, appOptions, opts.appPoolMax ?? 10);
  let closed = false;
  return {
    owner,
    app,
    ownerUrl: opts.databaseUrl,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([owner.destroy(), app.destroy()]);
    },
  };
}

function makeKnex(connectionString: string, options: string, max: number): Knex {
  return knexFactory({
    client: 'pg',
    connection: { connectionString, options },
    pool: { min: 0, max },
    acquireConnectionTimeout: 10_000,
  });
}

/** A plain pg.Pool as the owner, for graphile-worker's queue connection. */
export function ownerPgPool(databaseUrl: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, options: '-c TimeZone=UTC', max });
  pool.on('error', (err) => log.error('idle database connection failed (owner pool)', { err }));
  pool.on('connect', (client) => client.on('error', (err) => log.error('database connection failed (owner pool)', { err })));
  return pool;
}

/**
 * One `T` per Database, made on first use: the process's shared state of a
 * pool (the rate limiter). Another process has its own: nothing a
 * booking's decision needs may live here.
 */
export function perDatabase<T>(make: (db: Database) => T): (db: Database) => T {
  const made = new WeakMap<Database, T>();
  return (db) => {
    let value = made.get(db);
    if (value === undefined) made.set(db, (value = make(db)));
    return value;
  };
}
