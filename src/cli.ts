/**
 * Operator commands: `npm run admin -- <command>` (or `node dist/cli.js`).
 * Uses DATABASE_URL, or the embedded database in DATA_DIR when it is unset.
 */
import { loadConfig } from './config.ts';
import { openDatabaseServer } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { setLogLevel } from './log.ts';

const USAGE = `Usage: npm run admin -- <command>

Commands:
  migrate    Apply pending database migrations.
`;

const config = loadConfig();
setLogLevel(config.logLevel === 'info' ? 'warn' : config.logLevel);
const [command] = process.argv.slice(2);

if (command !== 'migrate') {
  process.stderr.write(command ? `Unknown command: ${command}\n\n${USAGE}` : USAGE);
  process.exit(2);
}

const server = await openDatabaseServer(config);
try {
  const applied = await migrate(server.url);
  console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Already up to date.');
} finally {
  await server.stop();
}
