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

/**
 * runJobs until no job is due. Jobs of a named queue (webhook deliveries run
 * in `webhooks:<tenant>`) can end one runOnce early: graphile-worker unlocks
 * the queue after a job without waiting, so the next fetch may find it still
 * locked and take that for "no more jobs".
 */
export async function drainJobs(t: TestDb, deps: AppDeps, maxRounds = 100): Promise<void> {
  for (let round = 0; round < maxRounds; round++) {
    await runJobs(t, deps);
    const { rows } = await t.owner.raw<{ rows: { due: string }[] }>(
      `select count(*) as due from graphile_worker._private_jobs where run_at <= now() and locked_at is null and attempts < max_attempts`,
    );
    if (Number(rows[0]!.due) === 0) return;
  }
  throw new Error(`jobs still due after ${maxRounds} rounds`);
}
