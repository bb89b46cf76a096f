import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { Logger, runMigrations as runWorkerMigrations } from 'graphile-worker';

/**
 * Migrations are forward-only numbered SQL files in `migrations/`, applied by
 * knex's migrator (its lock and `knex_migrations` bookkeeping) through a
 * migration source that reads the files. SQL stays in plain sight, and the
 * same files work from `src/` under Node's type stripping and from `dist/`.
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

function sqlMigrationSource(dir: string): Knex.MigrationSource<SqlMigration> {
  return {
    async getMigrations() {
      return (await listMigrationFiles(dir)).map((name) => ({ name, file: path.join(dir, name) }));
    },
    getMigrationName: (m) => m.name,
    async getMigration(m) {
      const sql = await readFile(m.file, 'utf8');
      return {
        // knex.raw reads `?` as a binding placeholder (it would turn a regex's
        // `https?` into `https$1`); `\?` is its escape for a literal one.
        up: (knex: Knex) => knex.raw(sql.replaceAll('?', '\\?')),
        down: () => {
          throw new Error(`${m.name}: migrations are forward-only; write a new migration instead`);
        },
      };
    },
  };
}

/**
 * Bring a database to the current schema as its owner: graphile-worker's own
 * schema first (our SQL wraps `graphile_worker.add_job`), then ours.
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
    const [, applied] = (await knex.migrate.latest({ migrationSource: sqlMigrationSource(dir) })) as [number, string[]];
    return applied;
  } finally {
    await knex.destroy();
  }
}

