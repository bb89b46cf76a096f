/** Procfile `web:` — HTTP only, against DATABASE_URL (and APP_DATABASE_URL for the runtime login). */
import { loadConfig } from './config.ts';
import { connectDatabase } from './db/database.ts';
import { createApp } from './http/app.ts';
import { log, setLogLevel } from './log.ts';

const config = loadConfig();
setLogLevel(config.logLevel);
if (!config.databaseUrl) {
  console.error('Invalid environment variable DATABASE_URL: is required for the web process (npm start runs an embedded database instead)');
  process.exit(1);
}
const db = connectDatabase({ databaseUrl: config.databaseUrl, appDatabaseUrl: config.appDatabaseUrl });
const server = createApp({ config, db, now: () => new Date() }).listen(config.port, config.host ?? '::', () =>
  log.info('web listening', { port: config.port }),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => void db.close().then(() => process.exit(0)));
    server.closeIdleConnections();
  });
}
