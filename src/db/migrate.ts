import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { Logger, runMigrations as runWorkerMigrations } from 'graphile-worker';

/**
 * The schema has two kinds of SQL files, applied by one migrator in one
 * transaction:
 *
 * - tables and data: forward-only numbered files `migrations/NNNN_name.sql`,
 *   each applied once by knex's migrator (its lock and `knex_migrations`
 *   bookkeeping) through a migration source that reads the files;
 * - functions: `migrations/functions/<name>.sql`, one function's current text
 *   each, applied again whenever the file's content changes (its sha256 is
 *   kept in `app_private.function_files`).
 *
 * SQL stays in plain sight, and the same files work from `src/` under Node's
 * type stripping and from `dist/`.
 */
const quietWorkerLogger = new Logger(() => () => undefined);

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

interface SqlMigration {
  name: string;
  file: string;
}

export async function listMigrationFiles(dir = MIGRATIONS_DIR): Promise<string[]> {
  return (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
}

// knex.raw reads `?` as a binding placeholder (it would turn a regex's
// `https?` into `https$1`); `\?` is its escape for a literal one.
function rawSql(knex: Knex, sql: string): Knex.Raw {
  return knex.raw(sql.replaceAll('?', '\\?'));
}

// knex prefixes a failed query's text to PostgreSQL's message; for a whole
// file that buries the message, which is what names the problem.
function databaseMessage(err: unknown, sql: string): string {
  const message = (err as Error).message;
  return message.startsWith(`${sql} - `) ? message.slice(sql.length + 3) : message;
}

/** The numbered migrations of `dir`, as knex's migrator takes them. */
export function sqlMigrationSource(dir: string): Knex.MigrationSource<SqlMigration> {
  return {
    async getMigrations() {
      return (await listMigrationFiles(dir)).map((name) => ({ name, file: path.join(dir, name) }));
    },
    getMigrationName: (m) => m.name,
    async getMigration(m) {
      const sql = await readFile(m.file, 'utf8');
      return {
        up: (knex: Knex) => rawSql(knex, sql),
        down: () => {
          throw new Error(`${m.name}: migrations are forward-only; write a new migration instead`);
        },
      };
    },
  };
}

// `name.sql` for a function of public, `schema.name.sql` for any other schema.
const FUNCTION_FILE = /^(?:([a-z_][a-z0-9_]*)\.)?([a-z_][a-z0-9_]*)\.sql$/;

interface FunctionFile {
  name: string;
  sql: string;
  sha256: string;
}

async function readFunctionFiles(dir: string): Promise<FunctionFile[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (name) => {
      const m = FUNCTION_FILE.exec(name);
      if (!m) throw new Error(`migrations/functions/${name}: name it <function>.sql or <schema>.<function>.sql`);
      const sql = await readFile(path.join(dir, name), 'utf8');
      const qualified = m[1] ? `${m[1]}\\.${m[2]}` : (m[2] as string);
      if (!new RegExp(`^create or replace function ${qualified}\\(`, 'im').test(sql)) {
        throw new Error(`migrations/functions/${name}: expected a line starting "create or replace function ${name.slice(0, -4)}("`);
      }
      return { name, sql, sha256: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Apply the function files whose content differs from what was last applied
 * (all of them, the first time), in file-name order, and record them.
 *
 * They run with check_function_bodies off, as pg_dump restores functions:
 * a SQL function's body is checked against the catalog when it is created,
 * so one that calls another would otherwise need the files in dependency
 * order, kept by hand. Instead, once every file is in place, each function of
 * ours is checked by its language's validator with the checks on: a body that
 * names a missing table, column or function (or a numbered migration that
 * took one away from an unchanged function) still fails the whole upgrade.
 */
async function applyFunctionFiles(trx: Knex.Transaction, dir: string): Promise<string[]> {
  const files = await readFunctionFiles(dir);
  await ensureFunctionFilesTable(trx);
  const { rows } = await trx.raw<{ rows: { name: string; sha256: string }[] }>('select name, sha256 from app_private.function_files');
  const applied = new Map(rows.map((r) => [r.name, r.sha256]));
  const changed = files.filter((f) => applied.get(f.name) !== f.sha256);

  await trx.raw('set local check_function_bodies = off');
  for (const f of changed) {
    try {
      await rawSql(trx, f.sql);
    } catch (err) {
      throw new Error(`migrations/functions/${f.name}: ${databaseMessage(err, f.sql)}`, { cause: err });
    }
    await trx.raw(
      `insert into app_private.function_files (name, sha256) values (?, ?)
       on conflict (name) do update set sha256 = excluded.sha256, applied_at = now()`,
      [f.name, f.sha256],
    );
  }
  await trx.raw('set local check_function_bodies = on');
  // A deleted file's function was dropped by a numbered migration; forget it.
  await trx.raw('delete from app_private.function_files where name <> all(?)', [files.map((f) => f.name)]);
  await validateFunctions(trx);
  return changed.map((f) => f.name);
}

/** The bookkeeping table, created by the migrator as knex creates knex_migrations: owned by the owner, no grants. */
async function ensureFunctionFilesTable(trx: Knex.Transaction): Promise<void> {
  const { rows } = await trx.raw<{ rows: { exists: boolean }[] }>(`select to_regclass('app_private.function_files') is not null as exists`);
  if (rows[0]?.exists) return;
  await trx.raw(`create table app_private.function_files (
    name text primary key,
    sha256 text not null,
    applied_at timestamptz not null default now()
  )`);
  await trx.raw(`comment on table app_private.function_files is 'The sha256 of each migrations/functions file as last applied (src/db/migrate.ts).'`);
}

/** Run the validator of every SQL and PL/pgSQL function of public and app_private (extensions' own excepted). */
async function validateFunctions(trx: Knex.Transaction): Promise<void> {
  const { rows } = await trx.raw<{ rows: { fn: string; oid: number; validator: string }[] }>(
    `select p.oid::regprocedure::text as fn, p.oid, l.lanvalidator::regproc::text as validator
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
      where n.nspname in ('public', 'app_private') and l.lanname in ('sql', 'plpgsql')
        and not exists (select from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
      order by 1`,
  );
  for (const r of rows) {
    const sql = `select ${r.validator}(${Number(r.oid)}::oid)`;
    try {
      await trx.raw(sql);
    } catch (err) {
      throw new Error(`function ${r.fn} is invalid: ${databaseMessage(err, sql)}`, { cause: err });
    }
  }
}

/**
 * Bring a database to the current schema as its owner: graphile-worker's own
 * schema first (our SQL wraps `graphile_worker.add_job`), then ours, in one
 * transaction: the pending numbered migrations, then the changed function
 * files. If anything fails, nothing of ours is applied. Concurrent runs
 * queue on knex's migration lock, which this transaction holds to the end.
 * Returns what was applied: numbered file names, then `functions/<file>`.
 */
export async function migrate(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    await runWorkerMigrations({ pgPool: pool, logger: quietWorkerLogger });
  } finally {
    await pool.end();
  }
  const knex = knexFactory({ client: 'pg', connection: { connectionString: databaseUrl, options: '-c TimeZone=UTC' }, pool: { min: 0, max: 1 } });
  try {
    return await knex.transaction(async (trx) => {
      // Given a transaction, knex's migrator runs inside it (a savepoint) and takes its lock there.
      const [, numbered] = (await trx.migrate.latest({ migrationSource: sqlMigrationSource(dir) })) as [number, string[]];
      const functions = await applyFunctionFiles(trx, path.join(dir, 'functions'));
      return [...numbered, ...functions.map((f) => `functions/${f}`)];
    });
  } finally {
    await knex.destroy();
  }
}
