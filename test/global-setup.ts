import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { adminQuery as admin, freePort } from './support/net.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser/owner URL of the test server's `postgres` database. */
    pgAdminUrl: string;
    /** A migrated database that each test file clones. */
    templateDatabase: string;
  }
}

const TEMPLATE = `slotwise_template_${process.pid}`;

/**
 * One throwaway PostgreSQL for the run (embedded, in a temp dir, fsync off),
 * or the server of TEST_DATABASE_URL. Migrated once into a template; every
 * test file gets its own database cloned from it. Never touches ./.data.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: EmbeddedServer | undefined;
  let dir: string | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    dir = await mkdtemp(path.join(tmpdir(), 'slotwise-test-'));
    await chmod(dir, 0o755); // as root, the postgres user must reach the data dir
    server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), ephemeral: true });
    adminUrl = server.url('postgres');
  }
  await admin(adminUrl, `drop database if exists ${TEMPLATE}`);
  await admin(adminUrl, `create database ${TEMPLATE}`);
  const url = new URL(adminUrl);
  url.pathname = `/${TEMPLATE}`;
  await migrate(url.toString());

  project.provide('pgAdminUrl', adminUrl);
  project.provide('templateDatabase', TEMPLATE);

  return async () => {
    await admin(adminUrl, `drop database if exists ${TEMPLATE} with (force)`).catch(() => undefined);
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}
