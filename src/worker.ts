/** Procfile `worker:` — graphile-worker with the project's task list and crontab. */
import { loadConfig } from './config.ts';
import { connectDatabase, ownerPgPool } from './db/database.ts';
import { startWorker } from './jobs/runner.ts';
import { setLogLevel } from './log.ts';

const config = loadConfig();
setLogLevel(config.logLevel);
if (!config.databaseUrl) {
  console.error('Invalid environment variable DATABASE_URL: is required for the worker process (npm start runs an embedded database instead)');
  process.exit(1);
}
const db = connectDatabase({ databaseUrl: config.databaseUrl, appDatabaseUrl: config.appDatabaseUrl });
const queuePool = ownerPgPool(config.databaseUrl);
const runner = await startWorker({ config, db, now: () => new Date() }, queuePool, { handleSignals: true });
await runner.promise;
await queuePool.end();
await db.close();
