-- Classes and seats. A service with a capacity above 1 books seats: each
-- seat is its own booking (its own customer, manage link and payment), and
-- the seats of one class (one service, one start, one resource) share a
-- key. The exclusion constraint now lets overlapping bookings stand only
-- when they share a key: the seats of one class. Everything else — another
-- service during a class, two classes, two private bookings — still cannot
-- overlap, whoever writes it. How many seats a class has left is counted
-- under the resource's lock (src/bookings/seats.ts): a constraint cannot count.
alter table services add column capacity integer not null default 1 check (capacity between 1 and 1000);
grant update (capacity) on services to slotwise_app;

alter table bookings add column share_key text check (share_key is null or char_length(share_key) <= 100);
grant update (share_key) on bookings to slotwise_app;

alter table bookings drop constraint bookings_no_overlap;
alter table bookings add constraint bookings_no_overlap exclude using gist (
  tenant_id with =, resource_id with =, blocked with &&, (coalesce(share_key, id::text)) with <>)
  where (status in ('pending', 'held', 'confirmed'));
