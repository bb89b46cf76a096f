-- lock_resource without waiting: false when another transaction holds it.
-- "Any available" tries the offered resources this way, so a crowd asking
-- for one time spreads over them (src/bookings/service.ts, bookFirstFree).
create or replace function try_lock_resource(p_resource uuid) returns boolean
  language sql volatile
  as $$ select pg_try_advisory_xact_lock(hashtextextended(app_private.current_tenant_id()::text || ':' || p_resource::text, 0)) $$;
