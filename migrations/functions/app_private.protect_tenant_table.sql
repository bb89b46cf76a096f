-- The tenant wall as one call, for every migration that creates a tenant
-- table: row-level security enabled and forced, and the tenant_isolation
-- policy on app_private.current_tenant_id(). Migrations only: no grant.
create or replace function app_private.protect_tenant_table(t regclass) returns void
  language plpgsql
  as $$
begin
  execute format('alter table %s enable row level security', t);
  execute format('alter table %s force row level security', t);
  execute format($p$create policy tenant_isolation on %s
    using (tenant_id = (select app_private.current_tenant_id()))
    with check (tenant_id = (select app_private.current_tenant_id()))$p$, t);
end $$;
revoke all on function app_private.protect_tenant_table(regclass) from public;
