import { Logger, runOnce } from 'graphile-worker';
import { ownerPgPool } from '../../src/db/database.ts';
import { taskList } from '../../src/jobs/tasks.ts';
import type { AppDeps } from '../../src/deps.ts';
import type { TestDb } from './db.ts';

/**
 * Run the jobs that are due, as the worker would (its queue connection as
 * the owner, task bodies through deps). With `useNodeTime`, "due" follows
 * the process clock, which tests may fake with vi.setSystemTime.
 */
export async function runJobs(t: TestDb, deps: AppDeps, opts: { useNodeTime?: boolean } = {}): Promise<void> {
  const pool = ownerPgPool(t.url);
  try {
    await runOnce({ pgPool: pool, taskList: taskList(deps), logger: new Logger(() => () => undefined), useNodeTime: opts.useNodeTime ?? false });
  } finally {
    await pool.end();
  }
}
