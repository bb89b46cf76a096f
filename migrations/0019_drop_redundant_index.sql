-- notifications_by_booking (tenant_id, booking_id) repeats the first two
-- columns of the unique key (tenant_id, booking_id, kind, to_address,
-- scheduled_for), which answers every lookup by booking (and the cascade
-- from bookings) as well. Each booking writes three notifications, so it
-- paid three index inserts for nothing.
drop index notifications_by_booking;
