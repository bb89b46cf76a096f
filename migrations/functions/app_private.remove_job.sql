-- Remove a pending job of the current tenant by the key it was added with:
-- the same tenant prefix as app_private.add_job, so a tenant can only remove
-- its own jobs.
create or replace function app_private.remove_job(job_key text) returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
  as $$
declare
  v_tenant uuid := app_private.current_tenant_id();
begin
  if v_tenant is null then
    raise exception 'remove_job needs a tenant transaction' using errcode = '42501';
  end if;
  perform graphile_worker.remove_job(v_tenant::text || ':' || job_key);
end $$;
revoke all on function app_private.remove_job(text) from public;
grant execute on function app_private.remove_job(text) to slotwise_app;
