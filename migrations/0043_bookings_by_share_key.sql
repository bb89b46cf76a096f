-- The seats of one class, found by their key under RLS (blocking_bookings,
-- migrations/functions/blocking_bookings.sql): a class's seats may end at
-- different times once the service's buffers change, and all of them must
-- be counted, not only the first to end.
create index bookings_active_by_share_key on bookings (tenant_id, resource_id, share_key)
  where share_key is not null and status in ('pending', 'held', 'confirmed');
