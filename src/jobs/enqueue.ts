import type { TenantTx } from '../db/tenant.ts';

export interface EnqueueOptions {
  /** Unique per tenant (the wrapper prefixes the tenant id); a pending job with the same key is replaced. */
  jobKey?: string;
  runAt?: Date;
  maxAttempts?: number;
}

/**
 * Enqueue a job in the caller's tenant transaction: it exists only if that
 * transaction commits (DESIGN "Booking" step 5). The SECURITY DEFINER wrapper
 * stamps `tenantId` into the payload.
 */
export async function enqueue<K extends keyof GraphileWorker.Tasks>(
  tx: TenantTx,
  task: K,
  payload: Omit<GraphileWorker.Tasks[K], 'tenantId'>,
  opts: EnqueueOptions = {},
): Promise<void> {
  await tx.raw(`select app_private.add_job(?, ?::jsonb, run_at => ?, job_key => ?, max_attempts => ?)`, [
    task,
    JSON.stringify(payload),
    opts.runAt ?? null,
    opts.jobKey ?? null,
    opts.maxAttempts ?? null,
  ]);
}

/**
 * A task name checked against GraphileWorker.Tasks, for statements that
 * enqueue a batch themselves with `app_private.add_jobs(task, payloads[],
 * run_ats[], job_keys[], max_attempts)` (migrations/0011), e.g. one job per
 * row an INSERT … RETURNING wrote: same stamping and key rules as `enqueue`,
 * one call for the lot.
 */
export const taskName = <K extends keyof GraphileWorker.Tasks>(task: K): K => task;

export async function dequeue(tx: TenantTx, jobKey: string): Promise<void> {
  await tx.raw(`select app_private.remove_job(?)`, [jobKey]);
}
