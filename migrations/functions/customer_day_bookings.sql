-- The business's cap on one customer's online bookings a day, and how many
-- active bookings p_email already has on the business's calendar day of
-- p_start (in the business's zone).
create or replace function customer_day_bookings(p_email text, p_start timestamptz) returns table (cap integer, booked integer)
  language sql stable
  as $$
  select t.max_online_bookings_per_customer_day,
         (select count(*)::int from bookings b
           where b.customer_email = lower(p_email) and b.status in ('pending', 'held', 'confirmed')
             and b.starts_at >= (d.day::timestamp at time zone t.time_zone)
             and b.starts_at < ((d.day + 1)::timestamp at time zone t.time_zone))
    from tenants t
   cross join lateral (select (p_start at time zone t.time_zone)::date as day) d
   where t.id = app_private.current_tenant_id()
$$;
