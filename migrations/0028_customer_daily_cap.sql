-- Anyone can book on a business's public page, and every booking mails the
-- address typed in: without a cap, one visitor can make a business send
-- mail to any address, many times a day. A business caps how many active
-- bookings one email address may make online on one of its calendar days
-- (null: no cap). Staff and API bookings are not capped.
alter table tenants
  add column max_online_bookings_per_customer_day integer default 5
    check (max_online_bookings_per_customer_day between 1 and 1000);
grant update (max_online_bookings_per_customer_day) on tenants to slotwise_app;

-- Counting one customer's bookings of a day reads the day's bookings by start.
create index bookings_by_customer_start on bookings (tenant_id, customer_email, starts_at) where (status in ('held', 'confirmed'));
