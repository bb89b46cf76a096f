-- A key may act only while the person who created it may manage keys: when
-- they are removed, or become staff, their keys are revoked (triggers on
-- users, migrations/0023), whichever code path made the change. Runs with the
-- rights of the caller, in its tenant transaction, behind the same policies.
create or replace function app_private.revoke_api_keys_of_creator() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  update public.api_keys set revoked_at = now()
   where tenant_id = old.tenant_id and created_by = old.id and revoked_at is null;
  return null;
end $$;
revoke all on function app_private.revoke_api_keys_of_creator() from public;
