-- A waitlist that refills freed time (src/waitlist/CONTEXT.md). A customer
-- for whom no time fits joins for a service (one resource, or any), a date
-- range and optionally a time-of-day window. When time frees up on a
-- resource, a job offers the first fitting free time to the first waiting
-- customer in order of joining: the time is held for them (a `held`
-- booking, source `waitlist`, so nobody else takes it) for the business's
-- waitlist_hold_minutes, and they get a link to claim it. Claiming
-- confirms; declining or letting it lapse offers it to the next. Each entry
-- gets one offer; the customer may join again.
alter table tenants add column waitlist_hold_minutes integer not null default 15 check (waitlist_hold_minutes between 5 and 1440);
grant update (waitlist_hold_minutes) on tenants to slotwise_app;

create table waitlist_entries (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  service_id uuid not null,
  -- null: any resource that offers the service
  resource_id uuid,
  from_date date not null,
  to_date date not null,
  -- Minutes after local midnight in the customer's zone, both or neither.
  window_start_min integer check (window_start_min between 0 and 1440),
  window_end_min integer check (window_end_min between 0 and 1440),
  customer_name text not null check (char_length(customer_name) between 1 and 200),
  customer_email text not null check (char_length(customer_email) <= 254),
  customer_phone text check (customer_phone is null or char_length(customer_phone) <= 40),
  customer_time_zone text not null,
  -- The link's token is derived (HMAC of id and nonce), only its digest stored, as a booking's manage link.
  link_nonce text not null,
  link_token_hash text not null,
  status text not null default 'waiting' check (status in ('waiting', 'offered', 'booked', 'passed', 'left', 'expired')),
  source text not null check (source in ('public', 'api')),
  -- The order of joining: a clock can give two joins the same instant, a sequence cannot.
  seq bigint generated always as identity,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, link_token_hash),
  check (to_date >= from_date and to_date - from_date <= 366),
  check ((window_start_min is null) = (window_end_min is null) and (window_start_min is null or window_end_min > window_start_min)),
  foreign key (tenant_id, service_id) references services (tenant_id, id) on delete cascade,
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete cascade
);
create index waitlist_waiting on waitlist_entries (tenant_id, seq) where (status = 'waiting');
create index waitlist_by_seq on waitlist_entries (tenant_id, seq);
select app_private.protect_tenant_table('waitlist_entries');
grant select, insert, update (status, updated_at) on waitlist_entries to slotwise_app;

-- Every offer made: its held booking, and how it ended.
create table waitlist_offers (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  entry_id uuid not null,
  booking_id uuid not null,
  status text not null default 'open' check (status in ('open', 'claimed', 'declined', 'expired')),
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  answered_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, booking_id),
  foreign key (tenant_id, entry_id) references waitlist_entries (tenant_id, id) on delete cascade,
  foreign key (tenant_id, booking_id) references bookings (tenant_id, id) on delete cascade
);
create index waitlist_offers_by_entry on waitlist_offers (tenant_id, entry_id);
create index waitlist_offers_by_created on waitlist_offers (tenant_id, created_at);
select app_private.protect_tenant_table('waitlist_offers');
grant select, insert, update (status, answered_at) on waitlist_offers to slotwise_app;

alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
  'booking_confirmation', 'booking_reminder', 'booking_cancelled', 'booking_rescheduled',
  'staff_booking_created', 'staff_booking_cancelled', 'staff_booking_rescheduled', 'password_reset', 'staff_invite',
  'webhook_endpoint_created', 'webhook_endpoint_disabled', 'email_verification', 'api_key_created',
  'payment_refunded', 'late_payment_refunded', 'calendar_broken',
  'series_confirmation', 'staff_series_created', 'series_cancelled', 'staff_series_cancelled',
  'booking_requested', 'staff_booking_requested', 'booking_declined',
  'waitlist_joined', 'waitlist_offer'));
