-- Connected account → business, for Stripe's webhook: the event names the
-- account, not the tenant, and arrives on the root domain. Only the id.
create or replace function app_private.tenant_by_stripe_account(p_account text) returns uuid
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select id from public.tenants where stripe_account_id = p_account $$;
revoke all on function app_private.tenant_by_stripe_account(text) from public;
grant execute on function app_private.tenant_by_stripe_account(text) to slotwise_app;
