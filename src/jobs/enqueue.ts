/**
 * A task name checked against GraphileWorker.Tasks, for statements that
 * enqueue a batch themselves with `app_private.add_jobs(task, payloads[],
 * run_ats[], job_keys[], max_attempts)` (migrations/functions/), e.g. one job per
 * row an INSERT … RETURNING wrote. The wrapper stamps the current tenant into
 * every payload and key, and runs only in a tenant transaction, so a job
 * exists only if that transaction commits.
 */
export const taskName = <K extends keyof GraphileWorker.Tasks>(task: K): K => task;
