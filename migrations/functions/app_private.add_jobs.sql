-- Enqueue several jobs of one task in one call. A booking change queues a
-- send job per notification (confirmation, staff notices, reminders) and a
-- delivery job per webhook endpoint; app_private.add_job costs one
-- graphile_worker.add_jobs round of statements per job, this wrapper one
-- round for the whole batch.
--
-- The same rules as app_private.add_job: only in a tenant transaction, the
-- current tenant stamped into every payload and prefixed to every job key, a
-- pending job with the same key replaced ('replace' mode). payloads, run_ats
-- and job_keys are parallel arrays (run_ats and job_keys may be null: now, no
-- key). Keys must be distinct within one call. With `tenant_queue`, the jobs
-- go to the graphile-worker queue `<tenant_queue>:<current tenant>`, whose
-- jobs run one at a time (webhook deliveries: one tenant's slow endpoints
-- hold one worker slot at most); a caller can name only its own tenant's.
--
-- enable_seqscan = off: graphile_worker.add_jobs clears the key of a locked
-- job with `update _private_jobs … from unnest(specs) where jobs.key =
-- spec.job_key`. Called from queue_notifications (whose generic plans the call inherits
-- through plan_cache_mode), the planner sees an array of unknown length and,
-- while the jobs table is small when statistics are taken, prefers a hash
-- join over a sequential scan of the whole table; the cached plan then stays
-- while the table grows with every future reminder (one full scan per
-- booking, measured in bench/booking.ts). We enqueue a handful of jobs per
-- call, so an index probe per key is always right: inside the wrapper,
-- sequential scans are the planner's last resort. (Small lookups it makes,
-- of tasks and queues, have unique indexes.)
create or replace function app_private.add_jobs(
  identifier text,
  payloads jsonb[],
  run_ats timestamptz[] default null,
  job_keys text[] default null,
  max_attempts integer default null,
  tenant_queue text default null
) returns integer
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
  set enable_seqscan = off
  as $$
declare
  v_tenant uuid := app_private.current_tenant_id();
  v_count integer;
begin
  if v_tenant is null then
    raise exception 'add_jobs needs a tenant transaction' using errcode = '42501';
  end if;
  if cardinality(run_ats) <> cardinality(payloads) or cardinality(job_keys) <> cardinality(payloads) then
    raise exception 'add_jobs: run_ats and job_keys must match payloads one to one' using errcode = '22023';
  end if;
  if coalesce(cardinality(payloads), 0) = 0 then
    return 0;
  end if;
  select count(*) into v_count
  from graphile_worker.add_jobs(array(
    select row(
      add_jobs.identifier,
      (coalesce(j.payload, '{}'::jsonb) || jsonb_build_object('tenantId', v_tenant))::json,
      case when add_jobs.tenant_queue is null then null else add_jobs.tenant_queue || ':' || v_tenant::text end,
      j.run_at,
      add_jobs.max_attempts,
      case when j.job_key is null then null else v_tenant::text || ':' || j.job_key end,
      null,
      null
    )::graphile_worker.job_spec
    from unnest(payloads, run_ats, job_keys) as j (payload, run_at, job_key)
  )) as added;
  return v_count;
end $$;
revoke all on function app_private.add_jobs(text, jsonb[], timestamptz[], text[], integer, text) from public;
grant execute on function app_private.add_jobs(text, jsonb[], timestamptz[], text[], integer, text) to slotwise_app;
