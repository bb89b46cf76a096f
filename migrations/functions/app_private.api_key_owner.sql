-- API key → tenant, before any tenant is known (the key decides the tenant,
-- not the Host header). Revoked keys resolve to nothing.
create or replace function app_private.api_key_owner(p_key_hash text) returns table (tenant_id uuid, key_id uuid)
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select tenant_id, id from public.api_keys where key_hash = p_key_hash and revoked_at is null $$;
revoke all on function app_private.api_key_owner(text) from public;
grant execute on function app_private.api_key_owner(text) to slotwise_app;
