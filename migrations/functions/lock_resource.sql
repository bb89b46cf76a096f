-- The advisory lock that serializes every writer of one resource's calendar
-- (DESIGN "Booking", step 2), for the rest of the transaction.
create or replace function lock_resource(p_resource uuid) returns void
  language sql volatile
  as $$ select pg_advisory_xact_lock(hashtextextended(app_private.current_tenant_id()::text || ':' || p_resource::text, 0)) $$;
