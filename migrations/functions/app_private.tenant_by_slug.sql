-- Host name → tenant: the one cross-tenant read a request needs.
create or replace function app_private.tenant_by_slug(p_slug text) returns setof tenants
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select * from public.tenants where slug = lower(p_slug) $$;
revoke all on function app_private.tenant_by_slug(text) from public;
grant execute on function app_private.tenant_by_slug(text) to slotwise_app;
