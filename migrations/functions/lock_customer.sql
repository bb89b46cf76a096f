-- Serializes the online bookings of one customer (by email) of the current
-- tenant for the rest of the transaction, so the daily cap per customer is
-- counted and written without a race. Always taken before a resource's lock
-- (lock_resource): one order, no deadlock.
create or replace function lock_customer(p_email text) returns void
  language sql volatile
  as $$ select pg_advisory_xact_lock(hashtextextended(app_private.current_tenant_id()::text || ':customer:' || lower(p_email), 0)) $$;
