import { run, Logger, type Runner } from 'graphile-worker';
import type pg from 'pg';
import type { AppDeps } from '../deps.ts';
import { log } from '../log.ts';
import { crontab, taskList } from './tasks.ts';

const workerLogger = new Logger((scope) => (level, message, meta) => {
  const fields = { scope: scope.label, ...(meta ?? {}) };
  if (level === 'error') log.error(message, fields);
  else if (level === 'warning') log.warn(message, fields);
  else if (level === 'info') log.info(message, fields);
  else log.debug(message, fields);
});

/**
 * Start graphile-worker. Its queue connection is the owner pool (the runtime
 * role has no rights on the graphile_worker schema); task bodies use
 * deps.db, the runtime role, through withTenant.
 *
 * Jobs are fetched a few at a time and completed in batches (graphile-
 * worker's own batching, its docs' "Performance"): under load a send no
 * longer pays its own fetch and its own completion, each a round trip to
 * PostgreSQL. A job completed in a batch stays locked a moment longer; a
 * crash then may run it again, which every task tolerates (a notification
 * is claimed by its row's status, so it is not sent twice).
 */
export function startWorker(deps: AppDeps, queuePool: pg.Pool, opts: { handleSignals: boolean }): Promise<Runner> {
  return run({
    pgPool: queuePool,
    taskList: taskList(deps),
    crontab: crontab(deps.config),
    concurrency: deps.config.workerConcurrency,
    noHandleSignals: !opts.handleSignals,
    logger: workerLogger,
    preset: { worker: { localQueue: { size: deps.config.workerConcurrency + 1 }, completeJobBatchDelay: 0 } },
  });
}
