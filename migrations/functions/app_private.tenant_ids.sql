-- For maintenance jobs that visit every tenant (each inside withTenant).
create or replace function app_private.tenant_ids() returns setof uuid
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select id from public.tenants order by id $$;
revoke all on function app_private.tenant_ids() from public;
grant execute on function app_private.tenant_ids() to slotwise_app;
