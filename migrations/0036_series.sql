-- Recurring bookings (issue 18): a series is one customer's weekly (or
-- every N weeks) booking of one resource for one service, at the same
-- wall-clock time in the resource's zone. Its occurrences are ordinary
-- bookings that point at it (bookings.series_id): each is cancelled,
-- moved and reminded of as any booking; the series row keeps what was
-- asked for, so the occurrences can be listed and cancelled together.
create table series (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  service_id uuid not null,
  resource_id uuid not null,
  -- The rule: weekly, every interval_weeks, for occurrence_count or until
  -- until_date (a local date in time_zone, inclusive); exactly one of the two.
  frequency text not null default 'weekly' check (frequency = 'weekly'),
  interval_weeks integer not null check (interval_weeks between 1 and 12),
  occurrence_count integer check (occurrence_count is null or occurrence_count between 2 and 52),
  until_date date,
  -- The first start asked for, and the zone whose wall clock repeats (the resource's, then).
  first_start timestamptz not null,
  time_zone text not null,
  customer_name text not null check (char_length(customer_name) between 1 and 200),
  customer_email text not null check (char_length(customer_email) <= 254),
  customer_phone text check (customer_phone is null or char_length(customer_phone) <= 40),
  customer_time_zone text not null,
  source text not null check (source in ('public', 'admin', 'api')),
  created_by uuid,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  check ((occurrence_count is null) <> (until_date is null)),
  foreign key (tenant_id, service_id) references services (tenant_id, id) on delete restrict,
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete restrict
);
comment on table series is 'A recurring booking: what the customer asked for; its occurrences are the bookings pointing at it.';
select app_private.protect_tenant_table('series');
grant select, insert on series to slotwise_app;

-- An occurrence of a series. A series outlives none of its bookings' rows
-- (tenants cascade), so a deleted series (never by the app) only unlinks them.
alter table bookings add column series_id uuid;
alter table bookings add foreign key (tenant_id, series_id) references series (tenant_id, id) on delete set null (series_id);
create index bookings_by_series on bookings (tenant_id, series_id, starts_at) where series_id is not null;

-- Whether customers (and staff, and the API) may book the service as a series.
alter table services add column allow_series boolean not null default false;
grant update (allow_series) on services to slotwise_app;

-- One message for a whole series, listing its occurrences, rather than one per booking.
alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
  'booking_confirmation', 'booking_reminder', 'booking_cancelled', 'booking_rescheduled',
  'staff_booking_created', 'staff_booking_cancelled', 'staff_booking_rescheduled', 'password_reset', 'staff_invite',
  'webhook_endpoint_created', 'webhook_endpoint_disabled', 'email_verification', 'api_key_created',
  'payment_refunded', 'late_payment_refunded', 'calendar_broken',
  'series_confirmation', 'staff_series_created', 'series_cancelled', 'staff_series_cancelled'));
