/**
 * `npm start`: everything in one process for a laptop or a small box —
 * embedded PostgreSQL (unless DATABASE_URL), migrations, the demo tenant
 * into an empty embedded database, the web server and the worker. Ctrl-C
 * stops them in order: HTTP, worker, pools, then Postgres.
 *
 * Without DATABASE_URL this is a local run and NODE_ENV defaults to
 * development (the development session secret, secret links in the log);
 * with DATABASE_URL it is a deployment like any other: NODE_ENV unset means
 * production, SESSION_SECRET is required, and no demo tenant is created.
 */
import type { Server } from 'node:http';
import { embeddedDefaults, loadConfig, tenantOrigin } from './config.ts';
import { connectDatabase, ownerPgPool } from './db/database.ts';
import { openDatabaseServer, seedsDemo } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { createApp } from './http/app.ts';
import { startWorker } from './jobs/runner.ts';
import { log, setLogLevel } from './log.ts';
import { DEMO, seedDemoIfEmpty } from './tenancy/seed.ts';
import type { AppDeps } from './deps.ts';

const config = loadConfig(embeddedDefaults(process.env));
setLogLevel(config.logLevel);

const pgServer = await openDatabaseServer(config).catch((err: unknown) => {
  // What stops the start is the operator's to fix: say it in one line.
  console.error(`slotwise: cannot start the database: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
const applied = await migrate(pgServer.url);
if (applied.length) log.info('migrations applied', { applied });

const db = connectDatabase({ databaseUrl: pgServer.url, appDatabaseUrl: config.appDatabaseUrl });
const deps: AppDeps = { config, db, now: () => new Date() };
const seeded = seedsDemo(config, pgServer) && (await seedDemoIfEmpty(deps));

const queuePool = ownerPgPool(pgServer.url);
const worker = await startWorker(deps, queuePool, { handleSignals: false });
const app = createApp(deps);
const server: Server = app.listen(config.port, config.host ?? '::');
await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));

const demoUrl = tenantOrigin(config, DEMO.slug);
const demoLines = seedsDemo(config, pgServer)
  ? `
    Demo tenant:  ${demoUrl}   (dashboard: ${demoUrl}/admin)
    Demo login:   ${DEMO.email} / ${DEMO.password}${seeded ? '   (just created)' : ''}`
  : '';
console.log(`
  Slotwise is running.
    Sign up:      ${config.scheme}://${config.baseDomain}/signup${demoLines}
  Press Ctrl-C to stop.
`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info('shutting down', { signal });
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await worker.stop();
  await queuePool.end();
  await db.close();
  await pgServer.stop();
  log.info('stopped');
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(signal));
