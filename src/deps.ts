import type { Config } from './config.ts';
import type { Database } from './db/database.ts';

/** What the web app and the jobs are built from; tests pass their own clock. */
export interface AppDeps {
  config: Config;
  db: Database;
  now: () => Date;
}
