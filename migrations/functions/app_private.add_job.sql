-- Enqueue a graphile-worker job from a tenant transaction, so the job exists
-- only if the transaction commits. The runtime role has no rights on the
-- graphile_worker schema; this wrapper runs as its owner. It stamps the
-- current tenant into the payload and into the job key, so a tenant can
-- neither enqueue work for another tenant nor replace another tenant's job.
create or replace function app_private.add_job(
  identifier text,
  payload jsonb default '{}',
  run_at timestamptz default null,
  job_key text default null,
  job_key_mode text default 'replace',
  max_attempts integer default null,
  priority integer default null,
  queue_name text default null
) returns bigint
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
  as $$
declare
  v_tenant uuid := app_private.current_tenant_id();
  v_job graphile_worker._private_jobs;
begin
  if v_tenant is null then
    raise exception 'add_job needs a tenant transaction' using errcode = '42501';
  end if;
  v_job := graphile_worker.add_job(
    identifier => identifier,
    payload => (coalesce(payload, '{}'::jsonb) || jsonb_build_object('tenantId', v_tenant))::json,
    queue_name => queue_name,
    run_at => run_at,
    max_attempts => max_attempts,
    job_key => case when job_key is null then null else v_tenant::text || ':' || job_key end,
    priority => priority,
    job_key_mode => job_key_mode
  );
  return v_job.id;
end $$;
revoke all on function app_private.add_job(text, jsonb, timestamptz, text, text, integer, integer, text) from public;
grant execute on function app_private.add_job(text, jsonb, timestamptz, text, text, integer, integer, text) to slotwise_app;
