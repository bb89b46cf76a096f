-- The tenant of the current transaction, or null. `nullif` because a
-- connection that once ran set_config(…, true) reads back '' afterwards.
-- Every tenant table's policy compares tenant_id with it.
create or replace function app_private.current_tenant_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;
grant execute on function app_private.current_tenant_id() to slotwise_app;
